"""The rota: shifts one at a time or as a weekly pattern, their times across midnight and the clock
changes, and the coordinator's decision on a shift with too few people (confirm it or cancel it)."""
from __future__ import annotations

import datetime as dt
import uuid

from volunteer_hub import audit, clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import Course, MemberStatus, PatrolMember, PatrolShift, ShiftStatus, User, db, utcnow
from volunteer_hub.services.patrols.common import clashing_shift, email_member, joined_count, joined_members, lock_shift
from volunteer_hub.services.patrols.gating import reasons_for

MAX_WEEKS = 12
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def shift_times(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """(starts_at, ends_at) in UTC for a shift starting on the London date `day`; an end at or before
    the start is the next morning. A time the clocks skip is refused next to its field."""
    starts_at = clock.local_to_utc(day, start, "start_time")
    end_day = day + dt.timedelta(days=1) if end <= start else day
    ends_at = clock.local_to_utc(end_day, end, "end_time")
    return starts_at, ends_at


def length_note(shift: PatrolShift) -> str:
    """What a volunteer must know about the length of a shift on a clock-change night ("" otherwise)."""
    start, end = clock.to_local(shift.starts_at), clock.to_local(shift.ends_at)
    on_the_wall = (end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds() / 3600
    actual = shift.hours
    if abs(on_the_wall - actual) < 0.01:
        return ""
    how = "go back" if actual > on_the_wall else "go forward"
    return (f"The clocks {how} during this shift: it lasts {_hours(actual)}, "
            f"not the {_hours(on_the_wall)} the times suggest.")


def _hours(hours: float) -> str:
    whole = int(hours) if hours == int(hours) else round(hours, 1)
    return f"{whole} hour" + ("" if whole == 1 else "s")


def decision_deadline(shift: PatrolShift) -> dt.datetime:
    """When a shift short of people is confirmed or cancelled: 6pm the day before it starts."""
    day = clock.local_date(shift.starts_at) - dt.timedelta(days=1)
    return min(clock.local_to_utc(day, dt.time(18, 0), None), shift.starts_at)


def _check(title: str, min_people: int, max_people: int, lead: User | None) -> None:
    if not (title or "").strip():
        raise ValidationFailed("Give the shift a title.", "title")
    if min_people is None or min_people < 2:
        raise ValidationFailed("At least 2 people: nobody patrols alone.", "min_people")
    if max_people is None or max_people < min_people:
        raise ValidationFailed("The most people cannot be fewer than the fewest.", "max_people")
    if lead is not None and not lead.is_active:
        raise ValidationFailed(f"{lead.name}'s account is closed: choose another lead.", "lead_id")


def create_shift(*, title: str, day: dt.date, start_time: dt.time, end_time: dt.time, by: User | None,
                 area: str = "", meeting_point: str = "", lead: User | None = None, on_call: User | None = None,
                 min_people: int = 2, max_people: int = 6, courses: list[Course] = (), needs_dbs: bool = True,
                 notes: str = "", series: str | None = None) -> PatrolShift:
    _check(title, min_people, max_people, lead)
    starts_at, ends_at = shift_times(day, start_time, end_time)
    if starts_at <= utcnow():
        raise ValidationFailed("The shift must start in the future.", "date")
    shift = PatrolShift(title=title.strip(), area=(area or "").strip(), meeting_point=(meeting_point or "").strip(),
                        starts_at=starts_at, ends_at=ends_at, lead=lead, on_call=on_call or by,
                        min_people=min_people, max_people=max_people, courses=list(courses), needs_dbs=needs_dbs,
                        notes=(notes or "").strip(), series=series, created_by_id=by.id if by else None)
    db.session.add(shift)
    db.session.flush()
    if lead is not None:  # the lead is one of the people on it, and must hold what it asks of them
        reasons = reasons_for(lead, shift, you=False)
        if reasons:
            raise ValidationFailed(f"{lead.name} cannot lead this shift: {reasons[0].text}", "lead_id")
        clash = clashing_shift(shift, lead)
        if clash is not None:
            raise ValidationFailed(f"{lead.name} is already on {clash.title} at that time "
                                   f"({clock.format_local(clash.starts_at)}).", "lead_id")
        db.session.add(PatrolMember(shift_id=shift.id, user_id=lead.id, status=MemberStatus.JOINED))
        db.session.flush()
    return shift


def create_weekly_pattern(*, first_day: dt.date, weekdays: set[int], weeks: int = 8, **fields) -> list[PatrolShift]:
    """The same shift on each chosen weekday (0 = Monday ... 4 = Friday, 5 = Saturday) for `weeks` weeks
    from `first_day`: all of them, or none (a time the clocks skip on one night refuses the lot)."""
    if not weekdays:
        raise ValidationFailed("Choose at least one night of the week.", "weekdays")
    if not 1 <= (weeks or 0) <= MAX_WEEKS:
        raise ValidationFailed(f"Between 1 and {MAX_WEEKS} weeks.", "weeks")
    series = uuid.uuid4().hex[:16]
    days = [first_day + dt.timedelta(days=n) for n in range(weeks * 7)]
    shifts = []
    for day in days:
        if day.weekday() in weekdays:
            try:
                shifts.append(create_shift(day=day, series=series, **fields))
            except ValidationFailed as error:
                if error.field in ("start_time", "end_time", "date"):
                    error.message = f"{clock.format_local(day)}: {error.message}"
                raise
    return shifts


def confirm_shift(shift: PatrolShift, *, by: User) -> PatrolShift:
    """Let a shift with fewer than its minimum run anyway (the coordinator's decision at the deadline)."""
    shift = lock_shift(shift)
    if shift.is_cancelled:
        raise Conflict("This shift has been cancelled.")
    if joined_count(shift) == 0:
        raise Conflict("Nobody is on this shift: nobody patrols alone, so cancel it instead.")
    shift.confirmed_at = utcnow()
    audit.record("patrol.confirmed", shift, facts={"people": joined_count(shift), "minimum": shift.min_people})
    return shift


def cancel_shift(shift: PatrolShift, reason: str, *, by: User, for_too_few: bool = False) -> PatrolShift:
    """Cancel a shift and tell everyone on it (in this transaction)."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why it is cancelled (the people on it are told).", "reason")
    shift = lock_shift(shift)
    if shift.is_cancelled:
        raise Conflict("This shift is already cancelled.")
    if shift.is_started:
        raise Conflict("This shift has started: it can no longer be cancelled.")
    shift.status = ShiftStatus.CANCELLED
    shift.cancelled_at = utcnow()
    shift.cancel_reason = reason.strip()
    shift.cancelled_for_too_few = for_too_few
    for member in joined_members(shift):
        email_member(member, "cancelled", "Cancelled: ", "patrol_cancelled", reason=shift.cancel_reason)
    audit.record("patrol.cancelled", shift, facts={"reason": shift.cancel_reason, "too_few": for_too_few})
    return shift
