"""Training's emails: confirmations with their calendar invitation, and reminders before a session."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from volunteer_hub.models import (
    Booking,
    BookingStatus,
    SessionStatus,
    TrainingSession,
    db,
    utcnow,
)
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.services.training.common import format_local, reminder_hours_for
from volunteer_hub.urls import external_url

# --- emails --------------------------------------------------------------------------------






def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue each due reminder once per booking per reminder (the outbox key makes it so),
    never after the session has started, and not for a time before the person booked."""
    now = now or utcnow()
    horizon = now + dt.timedelta(hours=24 * 60)
    bookings = db.session.scalars(
        select(Booking).join(Booking.session).where(
            Booking.status == BookingStatus.CONFIRMED, TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at > now, TrainingSession.starts_at <= horizon)
        .options(selectinload(Booking.session).selectinload(TrainingSession.course), selectinload(Booking.user)))
    queued = 0
    for booking in bookings:
        hours = reminder_hours_for(booking.session)
        due = [h for h in hours if booking.session.starts_at - dt.timedelta(hours=h) <= now
               and (booking.confirmed_at or booking.created_at) < booking.session.starts_at - dt.timedelta(hours=h)]
        if not due:
            continue
        h = min(due)  # only the nearest one: a reminder whose window has passed is never sent late
        if queue_email(
            key=f"reminder:booking:{booking.id}:{h}h",
            recipient=booking.user.email, recipient_id=booking.user_id,
            subject=f"Reminder: {booking.session.course.title}, {format_local(booking.session.starts_at)}",
            template="training_reminder",
            booking=booking, user=booking.user, training_session=booking.session, hours=h,
            session_url=external_url("training.session_detail", session_id=booking.session_id),
        ):
            queued += 1
    db.session.flush()
    return queued




