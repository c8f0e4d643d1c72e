"""Training test data: courses, sessions (times relative to now, in UTC) and bookings."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.factories import make_user
from volunteer_hub.models import Booking, BookingStatus, Course, Role, SessionStatus, TrainingSession, db, utcnow

_counter = itertools.count(1)


def make_course(title: str | None = None, **values) -> Course:
    course = Course(title=title or f"Course {next(_counter)}", summary="A course.", **values)
    db.session.add(course)
    db.session.commit()
    return course


def make_session(course: Course | None = None, *, starts_in: dt.timedelta = dt.timedelta(days=7),
                 hours: float = 2, capacity: int = 10, trainers=None, place: str = "Town Hall, High Street",
                 opens_ago: dt.timedelta = dt.timedelta(days=1), closes_before: dt.timedelta = dt.timedelta(0),
                 cutoff_before: dt.timedelta = dt.timedelta(hours=24), starts_at: dt.datetime | None = None,
                 **values) -> TrainingSession:
    """The one session factory: starting `starts_in` from now (or at `starts_at`), booking open."""
    trainers = list(trainers) if trainers is not None else [make_user(Role.TRAINER)]
    course = course or make_course()
    now = utcnow().replace(microsecond=0)
    starts_at = starts_at or now + starts_in
    session = TrainingSession(
        course=course, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=hours),
        place=place, capacity=capacity, booking_opens_at=now - opens_ago,
        booking_closes_at=starts_at - closes_before, cancellation_cutoff_at=starts_at - cutoff_before,
        status=SessionStatus.SCHEDULED, **values,
    )
    session.trainers = trainers
    db.session.add(session)
    db.session.commit()
    return session


def make_booking(session: TrainingSession, user=None, status: BookingStatus = BookingStatus.CONFIRMED) -> Booking:
    """A booking written directly (no rules, no emails): for setting the scene."""
    from sqlalchemy import func, select

    user = user or make_user()
    number = (db.session.scalar(select(func.max(Booking.queue_number)).where(Booking.session_id == session.id)) or 0) + 1
    booking = Booking(session_id=session.id, user_id=user.id, status=status, queue_number=number,
                      confirmed_at=utcnow() - dt.timedelta(days=3) if status is BookingStatus.CONFIRMED else None,
                      created_at=utcnow() - dt.timedelta(days=3),
                      offer_expires_at=utcnow() + dt.timedelta(hours=24) if status is BookingStatus.OFFERED else None)
    db.session.add(booking)
    db.session.commit()
    return booking


@pytest.fixture()
def course(app):
    return make_course("Bystander intervention", validity_months=24)


@pytest.fixture()
def training_session(app, course, trainer):
    return make_session(course, trainers=[trainer])
