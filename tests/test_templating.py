import datetime as dt

from volunteer_hub.templating import format_local, ordinal

UTC = dt.UTC


def test_times_are_shown_in_london_across_the_spring_clock_change(app):
    # 29 March 2026: clocks go forward at 01:00 UTC.
    assert format_local(dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "long").endswith("12:30am (GMT)")
    assert format_local(dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "long").endswith("2:30am (BST)")


def test_times_are_shown_in_london_across_the_autumn_clock_change(app):
    # 25 October 2026: 01:00-02:00 BST happens, then 01:00-02:00 GMT happens again.
    first = format_local(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "long")
    second = format_local(dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "long")
    assert first.endswith("1:30am (BST)") and second.endswith("1:30am (GMT)")


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
