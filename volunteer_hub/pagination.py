"""Pages of a query that count only as far as they need to.

`db.paginate` counts every matching row for "page 3 of 4,000", work that grows with the data. A
`CappedPage` counts at most a fixed number of rows past the start of the current stretch (1,000
by default, in whole stretches of the cap), enough to say "more than 1,000" and to link the next
pages; the exact total appears once the end is within reach. It offers the attributes the shared
`pagination` macro reads (`pages`, `has_prev`, `iter_pages`, ...), so page links keep working.
"""
from __future__ import annotations

from collections.abc import Iterator
from math import ceil

from flask import request
from sqlalchemy import Select, func, literal_column, select

from volunteer_hub.extensions import db

MAX_PAGE = 100_000  # far past any real list; keeps OFFSET inside the databases' integers


def requested_page() -> int:
    """?page= as a page number: 1 for anything that is not one, never past MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


class CappedPage:
    def __init__(self, items: list, page: int, per_page: int, counted: int, limit: int) -> None:
        self.items = items
        self.page = page
        self.per_page = per_page
        self.is_capped = counted > limit  # there are more than `limit` rows
        self.total: int | None = None if self.is_capped else counted
        self.more_than = limit if self.is_capped else None
        # Pages known to exist: up to the end, or up to the last row counted.
        self.pages = ceil(counted / per_page) if counted else 0

    @property
    def count_label(self) -> str:
        """"1,234" or "more than 1,000": for "{{ page.count_label }} people"."""
        return f"more than {self.more_than:,}" if self.is_capped else f"{self.total:,}"

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4,
                   right_edge: int = 2) -> Iterator[int | None]:
        """Page numbers for the links, None for a gap. When the total is not known there is no
        last page to show: the known pages near the current one, then a gap."""
        if self.pages <= 1:
            return
        shown = sorted(set(range(1, min(left_edge, self.pages) + 1))
                       | set(range(max(1, self.page - left_current), min(self.page + right_current, self.pages) + 1))
                       | (set() if self.is_capped else set(range(max(1, self.pages - right_edge + 1), self.pages + 1))))
        previous = 0
        for number in shown:
            if number > previous + 1:
                yield None
            yield number
            previous = number
        if self.is_capped:
            yield None

    def __iter__(self):
        return iter(self.items)


def paginate_capped(stmt: Select, page: int, per_page: int, cap: int = 1000) -> CappedPage:
    """One page of `stmt` (ordered) and a count that reads at most `cap` rows past the current
    stretch. Two queries, whatever the size."""
    page = max(page, 1)
    offset = (page - 1) * per_page
    items = list(db.session.scalars(stmt.limit(per_page).offset(offset)).unique())
    limit = _stretch_end(offset, per_page, cap)
    # Only whether a row exists matters: no columns (an index can answer), no order.
    rows = stmt.order_by(None).with_only_columns(literal_column("1"), maintain_column_froms=True).limit(limit + 1)
    counted = db.session.scalar(select(func.count()).select_from(rows.subquery()))
    return CappedPage(items, page, per_page, counted, limit)


def rows_page(page_stmt: Select, count_stmt: Select, params: dict, page: int, per_page: int,
              cap: int, make_row=None) -> CappedPage:
    """`paginate_capped` for the busiest list pages, which show a few columns of each row and
    build their statements once (with bind parameters) instead of on every call. `page_stmt`
    takes the parameters `limit` and `offset` besides `params`; `count_stmt` takes `count_limit`
    and must count at most that many rows. `make_row` turns each result row into what the page
    shows. Same counting rule, so the same page links and "More than 1,000"."""
    page = max(page, 1)
    offset = (page - 1) * per_page
    limit = _stretch_end(offset, per_page, cap)
    result = db.session.execute(page_stmt, {**params, "limit": per_page, "offset": offset})
    items = [make_row(row) for row in result] if make_row else result.all()
    counted = db.session.scalar(count_stmt, {**params, "count_limit": limit + 1})
    return CappedPage(items, page, per_page, counted, limit)


def _stretch_end(offset: int, per_page: int, cap: int) -> int:
    """The end of the current stretch of `cap` rows: the count reads one row past it."""
    return cap * ceil((offset + per_page) / cap)
