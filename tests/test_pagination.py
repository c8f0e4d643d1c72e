"""Page links when the total is counted only up to a cap (volunteer_hub.pagination)."""
from volunteer_hub.pagination import CappedPage


def links(page):
    return list(page.iter_pages(left_edge=1, right_edge=1, left_current=2, right_current=2))


def test_with_the_total_known_the_last_page_is_linked():
    page = CappedPage(items=[], page=10, per_page=25, counted=1000, limit=1000)
    assert (page.total, page.is_capped, page.pages) == (1000, False, 40)
    assert links(page) == [1, None, 8, 9, 10, 11, 12, None, 40]
    assert page.has_next and page.next_num == 11 and page.prev_num == 9


def test_past_the_cap_there_is_no_last_page_only_more():
    page = CappedPage(items=[], page=10, per_page=25, counted=1001, limit=1000)
    assert (page.total, page.is_capped, page.more_than) == (None, True, 1000)
    assert links(page) == [1, None, 8, 9, 10, 11, 12, None]
    assert page.has_next


def test_at_the_end_of_a_counted_stretch_the_next_page_is_still_offered():
    page = CappedPage(items=[], page=40, per_page=25, counted=1001, limit=1000)
    assert links(page) == [1, None, 38, 39, 40, 41, None] and page.next_num == 41


def test_one_page_needs_no_links():
    page = CappedPage(items=[1, 2], page=1, per_page=25, counted=2, limit=1000)
    assert links(page) == [] and not page.has_next and not page.has_prev
