"""Each person's private calendar feed of their sessions."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from volunteer_hub.models import (
    Booking,
    BookingStatus,
    CalendarFeed,
    PatrolMember,
    PatrolShift,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.services import calendar as calendar_service


# --- calendar feed -------------------------------------------------------------------------
def calendar_feed_token(user: User) -> str:
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
        db.session.flush()
    return feed.token


def reset_calendar_feed(user: User) -> str:
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return calendar_feed_token(user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utcnow()
    db.session.flush()
    return feed.token


def calendar_feed_for_token(token: str) -> bytes | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token)) if token else None
    if feed is None or not feed.user.is_active:
        return None
    bookings = db.session.scalars(
        select(Booking).join(Booking.session).where(
            Booking.user_id == feed.user_id, Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.CANCELLED)),
            TrainingSession.starts_at > utcnow() - dt.timedelta(days=90))
        .options(selectinload(Booking.session).selectinload(TrainingSession.course),
                 selectinload(Booking.session).selectinload(TrainingSession.trainers)))
    patrols = db.session.scalars(
        select(PatrolMember).join(PatrolMember.shift).where(
            PatrolMember.user_id == feed.user_id, PatrolShift.starts_at > utcnow() - dt.timedelta(days=90))
        .options(selectinload(PatrolMember.shift)).order_by(PatrolShift.starts_at, PatrolMember.id))
    return calendar_service.feed(list(bookings), list(patrols))


