"""The training pages work out their dates and times in Python, once per row: they must read
exactly as the one `local` filter (templating.format_local) says, in Europe/London."""
import datetime as dt

from volunteer_hub.blueprints.training import display
from volunteer_hub.templating import format_local, london

UTC = dt.UTC


def _old_time_range(starts_at, ends_at) -> str:
    """time_range as the filter wrote it with format_local (the reference)."""
    start, end = london(starts_at), london(ends_at)
    first, last = format_local(starts_at, "time"), format_local(ends_at, "time")
    if start.utcoffset() != end.utcoffset():
        first, last = f"{first} ({start.tzname()})", f"{last} ({end.tzname()})"
    if start.date() != end.date():
        last += " on " + format_local(ends_at, "date")
    return f"{first} to {last}"


def _times():
    """Every 7 minutes around both clock changes of 2026, and across a year at odd times."""
    for day in (dt.datetime(2026, 3, 28, 12, tzinfo=UTC), dt.datetime(2026, 10, 24, 12, tzinfo=UTC)):
        for step in range(0, 36 * 60, 7):
            yield day + dt.timedelta(minutes=step)
    for step in range(0, 366 * 24, 13):
        yield dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(hours=step, minutes=step % 60)


def test_dates_and_times_read_as_the_local_filter(app):
    with app.app_context():
        tz = display.local_zone()
        for value in _times():
            local = value.astimezone(tz)
            assert display.date(local) == format_local(value, "date")
            assert display.clock(local) == format_local(value, "time")
            assert display.date_time(local) == format_local(value)


def test_time_ranges_read_as_before_across_the_clock_changes(app):
    with app.app_context():
        for value in _times():
            for length in (dt.timedelta(minutes=30), dt.timedelta(hours=2, minutes=30), dt.timedelta(hours=13)):
                expected = (format_local(value, "date"), _old_time_range(value, value + length))
                assert display.when(value, value + length) == expected
                assert display.time_range(value, value + length) == expected[1]
    # the autumn change: 1:30am happens twice
    with app.app_context():
        assert display.time_range(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                                  dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "1:30am (BST) to 1:30am (GMT)"


def test_places_badge():
    from volunteer_hub.models import SessionStatus

    assert display.places_badge(SessionStatus.CANCELLED, 10, 3, 0) == ("text-bg-danger", "Cancelled")
    assert display.places_badge(SessionStatus.SCHEDULED, 10, 10, 2) == ("vh-badge-full", "Full · 2 waiting")
    assert display.places_badge(SessionStatus.SCHEDULED, 10, 9, 0) == ("vh-badge-places", "1 place left")
    assert display.places_badge(SessionStatus.SCHEDULED, 10, 3, 0) == ("vh-badge-places", "7 places left")
