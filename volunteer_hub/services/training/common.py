"""What the training writes share: the session lock, counting bookings, and the booking emails."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from volunteer_hub import clock
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.models import (
    Booking,
    TrainingSession,
    db,
)
from volunteer_hub.services import calendar as calendar_service
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url


def parse_reminder_hours(text: str, field: str | None = None) -> list[int]:
    try:
        hours = sorted({int(part) for part in text.replace(" ", "").split(",") if part}, reverse=True)
    except ValueError:
        raise ValidationFailed("Reminders: whole numbers of hours, separated by commas (e.g. 48,2).", field) from None
    if any(h <= 0 or h > 24 * 60 for h in hours):
        raise ValidationFailed("Reminders must be between 1 and 1440 hours before the start.", field)
    return hours


def lock_session(session: TrainingSession) -> TrainingSession:
    """Hold the session's row lock until the transaction ends, and see its latest state."""
    locked = db.session.scalars(
        select(TrainingSession).where(TrainingSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def bookings_in(session: TrainingSession, statuses) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status.in_(statuses))
        .options(selectinload(Booking.user))
        .order_by(Booking.queue_number).execution_options(populate_existing=True)))


def count_in(session: TrainingSession, statuses) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session.id, Booking.status.in_(statuses)))


def format_local(value: dt.datetime) -> str:
    return clock.format_local(value)


def email_booking(booking: Booking, kind: str, prefix: str, template: str, attachments=None, **ctx) -> None:
    session = booking.session
    queue_email(
        key=f"booking:{booking.id}:{kind}",
        recipient=booking.user.email, recipient_id=booking.user_id,
        subject=f"{prefix}{session.course.title}, {format_local(session.starts_at)}",
        template=template,
        attachments=attachments,
        booking=booking,
        user=booking.user,
        training_session=session,
        session_url=external_url("training.session_detail", session_id=session.id),
        **ctx,
    )


def email_confirmed(booking: Booking) -> None:
    email_booking(booking, "confirmed", "Booked: ", "training_booking_confirmed", [calendar_service.invitation(booking)])


def reminder_hours_for(session: TrainingSession) -> list[int]:
    text = session.reminder_hours or current_app.config["VH_REMINDER_HOURS"]
    return parse_reminder_hours(text)
