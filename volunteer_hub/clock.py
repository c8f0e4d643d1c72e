"""The clock: now (aware UTC), today in Europe/London, and conversions between the two.

Times are stored in UTC and shown in Europe/London. The zone is named here and nowhere else;
`format_local` (the templates' `local` filter) is the one way a time is written for people.

Tests move time with `freeze(at)`; everything that asks `now()` or `today()` sees it.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from volunteer_hub.errors import ValidationFailed

ZONE_NAME = "Europe/London"
ZONE = ZoneInfo(ZONE_NAME)

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, aware, in UTC. Use as a callable default, never `default=now()`."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC)


@contextmanager
def freeze(at: dt.datetime) -> Iterator[None]:
    """Stop the clock at `at` (aware) for the duration: for tests and reproducible snapshots."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous


def to_local(value: dt.datetime) -> dt.datetime:
    """An aware time as Europe/London wall-clock time."""
    return value.astimezone(ZONE)


def local_date(value: dt.datetime | dt.date) -> dt.date:
    """The Europe/London date of a time (a date is returned as it is)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(ZONE).date()
    return value


def today() -> dt.date:
    """Today's date in Europe/London."""
    return now().astimezone(ZONE).date()


def local_to_utc(day: dt.date, time: dt.time, field: str | None = "start_time") -> dt.datetime:
    """A wall-clock time in Europe/London as aware UTC.

    A time that does not exist (the hour skipped when the clocks go forward) is refused with a
    reason; a time that happens twice (when the clocks go back) means the first, in summer time.
    """
    naive = dt.datetime.combine(day, time)
    local = naive.replace(tzinfo=ZONE, fold=0)
    if local.astimezone(dt.UTC).astimezone(ZONE).replace(tzinfo=None) != naive:
        raise ValidationFailed(
            f"{time:%H:%M} does not exist on {day:%-d %B %Y}: the clocks go forward that night. Choose another time.",
            field,
        )
    return local.astimezone(dt.UTC)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of a Europe/London date, as aware UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZONE).astimezone(dt.UTC)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, clamped to the month's end: 31 Jan + 1 = 28/29 Feb; 29 Feb + 12 = 28 Feb."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- writing times for people ------------------------------------------------------------
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")


def _clock_time(local: dt.datetime) -> str:
    """"7:30pm", "7pm"."""
    hour, minute = local.hour, local.minute
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}{suffix}" if minute == 0 else f"{hour}:{minute:02d}{suffix}"


def _short_date(day: dt.date) -> str:
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month]} {day.year}"


def format_local(value, fmt: str = "datetime") -> str:
    """How a time or date reads on every page and in every email, in Europe/London.

    Of a datetime: "Sat 28 Nov 2026, 7:30pm" (datetime), "Sat 28 Nov 2026" (date), "7:30pm"
    (time), "Saturday 28 November 2026, 7:30pm (GMT)" (long), ISO 8601 (iso). Of a date:
    "28 Nov 2026", or "Saturday 28 November 2026" (long). Written without strftime: lists call
    it for every row.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = value.astimezone(ZONE)
        if fmt == "time":
            return _clock_time(local)
        if fmt == "iso":
            return local.isoformat()
        if fmt == "date":
            return _short_date(local)
        if fmt == "long":
            return (f"{_LONG_DAYS[local.weekday()]} {local.day} {_LONG_MONTHS[local.month]} {local.year}, "
                    f"{_clock_time(local)} ({local.tzname()})")
        return f"{_short_date(local)}, {_clock_time(local)}"
    if isinstance(value, dt.date):
        if fmt == "long":
            return f"{_LONG_DAYS[value.weekday()]} {value.day} {_LONG_MONTHS[value.month]} {value.year}"
        return f"{value.day} {_MONTHS[value.month]} {value.year}"
    return str(value)


def time_range(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """"6pm to 8:30pm"; across a clock change both ends say which time: "1:30am (BST) to 1:30am
    (GMT)"; ending another day: "10pm to 2am on Sun 29 Nov 2026"."""
    start, end = starts_at.astimezone(ZONE), ends_at.astimezone(ZONE)
    first, last = _clock_time(start), _clock_time(end)
    if start.utcoffset() != end.utcoffset():
        first, last = f"{first} ({start.tzname()})", f"{last} ({end.tzname()})"
    if start.date() != end.date():
        last += " on " + _short_date(end)
    return f"{first} to {last}"
