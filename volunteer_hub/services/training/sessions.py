"""Sessions: create, change, copy and cancel a dated run of a course."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from volunteer_hub import clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    ACTIVE,
    MAX_SESSION,
    BookingStatus,
    Course,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.services import calendar as calendar_service
from volunteer_hub.services.training.bookings import change_capacity
from volunteer_hub.services.training.common import bookings_in, email_booking, lock_session, parse_reminder_hours


# --- sessions ------------------------------------------------------------------------------
@dataclass
class SessionValues:
    course: Course
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str | None
    online_url: str | None
    capacity: int
    trainers: list[User]
    booking_opens_at: dt.datetime | None = None
    booking_closes_at: dt.datetime | None = None
    cancellation_cutoff_at: dt.datetime | None = None
    notes: str = ""
    reminder_hours: str | None = None


def _check_session_values(v: SessionValues) -> None:
    if v.ends_at <= v.starts_at:
        raise ValidationFailed("The session must end after it starts.", "end_time")
    if v.ends_at - v.starts_at > MAX_SESSION:
        raise ValidationFailed("A session must end within 48 hours of its start: schedule each day on its own.",
                               "end_time")
    if not (v.place or "").strip() and not (v.online_url or "").strip():
        raise ValidationFailed("Give a place (address) or an online link.", "place")
    if v.capacity is None or v.capacity < 1:
        raise ValidationFailed("Capacity must be at least 1.", "capacity")
    if not v.trainers:
        raise ValidationFailed("Choose at least one trainer.", "trainer_ids")
    for person in v.trainers:
        if not person.has_role(Role.TRAINER):
            raise ValidationFailed(f"{person.name} is not a trainer.", "trainer_ids")
    opens = v.booking_opens_at
    closes = v.booking_closes_at or v.starts_at
    if opens is not None and closes <= opens:
        raise ValidationFailed("Booking must close after it opens.", "booking_closes")
    if closes > v.starts_at:
        raise ValidationFailed("Booking must close by the time the session starts.", "booking_closes")
    if v.reminder_hours:
        parse_reminder_hours(v.reminder_hours, field="reminder_hours")




def _apply_session_values(session: TrainingSession, v: SessionValues) -> None:
    session.course = v.course
    session.starts_at = v.starts_at
    session.ends_at = v.ends_at
    session.place = (v.place or "").strip() or None
    session.online_url = (v.online_url or "").strip() or None
    session.trainers = list(v.trainers)
    session.booking_closes_at = v.booking_closes_at or v.starts_at
    session.booking_opens_at = v.booking_opens_at or min(utcnow(), session.booking_closes_at - dt.timedelta(minutes=1))
    session.cancellation_cutoff_at = v.cancellation_cutoff_at or (v.starts_at - dt.timedelta(hours=24))
    session.notes = (v.notes or "").strip()
    session.reminder_hours = (v.reminder_hours or "").strip() or None


def create_session(v: SessionValues) -> TrainingSession:
    """Schedule a new session of a course."""
    _check_session_values(v)
    session = TrainingSession(capacity=v.capacity, status=SessionStatus.SCHEDULED)
    _apply_session_values(session, v)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: TrainingSession, v: SessionValues) -> None:
    """Change a session; everyone booked or waiting hears about a change of time or place."""
    lock_session(session)
    if session.status is not SessionStatus.SCHEDULED:
        raise Conflict("Only a scheduled session can be changed.")
    _check_session_values(v)
    moved = (session.starts_at, session.ends_at, session.place, session.online_url) != (
        v.starts_at, v.ends_at, (v.place or "").strip() or None, (v.online_url or "").strip() or None)
    _apply_session_values(session, v)
    change_capacity(session, v.capacity)
    if moved:
        stamp = secrets.token_hex(4)
        for booking in bookings_in(session, ACTIVE):
            attachments = [calendar_service.invitation(booking)] if booking.status is BookingStatus.CONFIRMED else []
            email_booking(booking, f"updated:{stamp}", "Changed: ", "training_session_changed", attachments)
    db.session.flush()


def copy_session(source: TrainingSession, new_day: dt.date) -> TrainingSession:
    """A new session like `source` on another day, same local times and booking offsets."""
    start_local = clock.to_local(source.starts_at)
    end_local = clock.to_local(source.ends_at)
    starts_at = clock.local_to_utc(new_day, start_local.time(), "new_date")
    end_day = new_day + (end_local.date() - start_local.date())
    ends_at = clock.local_to_utc(end_day, end_local.time(), "new_date")
    shift = starts_at - source.starts_at
    closes = source.booking_closes_at + shift
    opens = min(utcnow(), closes - dt.timedelta(minutes=1))
    return create_session(SessionValues(
        course=source.course, starts_at=starts_at, ends_at=ends_at, place=source.place, online_url=source.online_url,
        capacity=source.capacity, trainers=list(source.trainers), booking_opens_at=opens, booking_closes_at=closes,
        cancellation_cutoff_at=source.cancellation_cutoff_at + shift, notes=source.notes,
        reminder_hours=source.reminder_hours,
    ))


def cancel_session(session: TrainingSession, reason: str, by: User) -> int:
    """Cancel a session and tell everyone booked or waiting. Returns how many were told."""
    lock_session(session)
    if session.status is SessionStatus.CANCELLED:
        raise Conflict("This session is already cancelled.")
    if session.is_finalised:
        raise Conflict("This session's register is finalised; it cannot be cancelled.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the session is cancelled (people will see this).", "reason")
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = utcnow()
    session.cancel_reason = reason[:500]
    told = 0
    for booking in bookings_in(session, ACTIVE):
        was_confirmed = booking.status is BookingStatus.CONFIRMED
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = utcnow()
        booking.cancelled_by_id = by.id
        attachments = [calendar_service.cancellation(booking)] if was_confirmed else []
        email_booking(booking, "session_cancelled", "Cancelled: ", "training_session_cancelled", attachments,
               was_confirmed=was_confirmed)
        told += 1
    db.session.flush()
    return told


