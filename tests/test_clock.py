"""The clock: one way to write a time (format_local, without strftime) held to strftime's
reading in Europe/London, every few minutes around both clock changes; time ranges across
them; local wall-clock times that do not exist or happen twice; freezing the clock."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from volunteer_hub import clock
from volunteer_hub.errors import ValidationFailed

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")  # the reference, independent of clock.ZONE


def _strftime_reading(value: dt.datetime, fmt: str) -> str:
    """How the site wrote times before format_local stopped using strftime (the reference)."""
    local = value.astimezone(LONDON)
    time = local.strftime("%-I:%M%p").lower().replace(":00", "")
    return {"time": time, "date": local.strftime("%a %-d %b %Y"), "iso": local.isoformat(),
            "long": local.strftime("%A %-d %B %Y, ") + time + f" ({local.tzname()})",
            "datetime": local.strftime("%a %-d %b %Y, ") + time}[fmt]


def _times():
    """Every 7 minutes around both clock changes of 2026, and across a year at odd times."""
    for day in (dt.datetime(2026, 3, 28, 12, tzinfo=UTC), dt.datetime(2026, 10, 24, 12, tzinfo=UTC)):
        for step in range(0, 36 * 60, 7):
            yield day + dt.timedelta(minutes=step)
    for step in range(0, 366 * 24, 13):
        yield dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(hours=step, minutes=step % 60)


@pytest.mark.parametrize("fmt", ["datetime", "date", "time", "long", "iso"])
def test_format_local_reads_as_strftime_in_london(fmt):
    for value in _times():
        assert clock.format_local(value, fmt) == _strftime_reading(value, fmt)


def test_dates_read_without_a_time():
    assert clock.format_local(dt.date(2026, 3, 3)) == "3 Mar 2026"
    assert clock.format_local(dt.date(2026, 3, 3), "long") == "Tuesday 3 March 2026"
    assert clock.format_local(None) == ""


def test_time_ranges_say_which_time_across_a_clock_change():
    assert clock.time_range(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                            dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "1:30am (BST) to 1:30am (GMT)"
    assert clock.time_range(dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
                            dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == "12:30am (GMT) to 2:30am (BST)"
    assert clock.time_range(dt.datetime(2026, 11, 28, 22, tzinfo=UTC),
                            dt.datetime(2026, 11, 29, 2, tzinfo=UTC)) == "10pm to 2am on Sun 29 Nov 2026"
    assert clock.time_range(dt.datetime(2026, 7, 1, 17, tzinfo=UTC),
                            dt.datetime(2026, 7, 1, 19, 30, tzinfo=UTC)) == "6pm to 8:30pm"


def test_a_skipped_local_time_is_refused_and_a_repeated_one_means_summer_time():
    with pytest.raises(ValidationFailed, match="clocks go forward"):
        clock.local_to_utc(dt.date(2026, 3, 29), dt.time(1, 30))
    assert clock.local_to_utc(dt.date(2026, 10, 25), dt.time(1, 30)) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert clock.start_of_day(dt.date(2026, 7, 1)) == dt.datetime(2026, 6, 30, 23, tzinfo=UTC)


def test_today_is_the_london_date():
    with clock.freeze(dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)):
        assert clock.today() == dt.date(2026, 7, 1)
        assert clock.now() == dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert clock.now() > dt.datetime(2026, 7, 1, tzinfo=UTC)


def test_months_are_added_to_the_end_of_a_shorter_month():
    assert clock.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert clock.add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
