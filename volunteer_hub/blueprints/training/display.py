"""Dates, times and badges for the training pages, worked out in Python once per row.

`templating.format_local` (the `local` filter) is the one definition of how a time reads. The
lists call these instead, per row: they convert each time to local time once and write the same
text without strftime (tests/views/test_training_display.py holds them to format_local).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from volunteer_hub import clock
from volunteer_hub.models import SessionStatus

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_zone() -> ZoneInfo:
    return clock.ZONE


def date(local: dt.datetime) -> str:
    """"Sat 28 Nov 2026" (format_local(value, "date")), of a local time."""
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month]} {local.year}"


def clock_time(local: dt.datetime) -> str:
    """"7:30pm", "7pm" (format_local(value, "time")), of a local time."""
    hour, minute = local.hour, local.minute
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}{suffix}" if minute == 0 else f"{hour}:{minute:02d}{suffix}"


def date_time(local: dt.datetime) -> str:
    """"Sat 28 Nov 2026, 7:30pm" (format_local(value)), of a local time."""
    return f"{date(local)}, {clock_time(local)}"


def local_time_range(start: dt.datetime, end: dt.datetime) -> str:
    """"6pm to 8:30pm"; across a clock change both ends say which time: "1:30am (BST) to 1:30am
    (GMT)"; ending another day: "10pm to 2am on Sun 29 Nov 2026". Of two local times."""
    first, last = clock_time(start), clock_time(end)
    if start.utcoffset() != end.utcoffset():
        first, last = f"{first} ({start.tzname()})", f"{last} ({end.tzname()})"
    if start.date() != end.date():
        last += " on " + date(end)
    return f"{first} to {last}"


def time_range(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    tz = local_zone()
    return local_time_range(starts_at.astimezone(tz), ends_at.astimezone(tz))


def when(starts_at: dt.datetime, ends_at: dt.datetime, tz: ZoneInfo | None = None) -> tuple[str, str]:
    """(the date, the time range): what `starts_at|local('date')` and `starts_at|time_range(ends_at)` show."""
    tz = tz or local_zone()
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return date(start), local_time_range(start, end)


def places_badge(status: SessionStatus, capacity: int, held: int, waiting: int) -> tuple[str, str]:
    """(the badge's class, its text): places left, full with how many waiting, or cancelled."""
    if status is SessionStatus.CANCELLED:
        return "text-bg-danger", "Cancelled"
    if held >= capacity:
        return "vh-badge-full", f"Full · {waiting} waiting"
    left = capacity - held
    return "vh-badge-places", f"{left} {'place' if left == 1 else 'places'} left"
