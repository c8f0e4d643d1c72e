"""Booking: book, cancel, move, and the fair waitlist (offers, accepting, declining, lapsing)."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import (
    ACTIVE,
    HOLDING,
    Attendance,
    AttendanceStatus,
    Booking,
    BookingStatus,
    Course,
    SessionStatus,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.queries.certificates import has_current_certificate
from volunteer_hub.queries.training import active_booking, waitlist_position
from volunteer_hub.services import calendar as calendar_service
from volunteer_hub.services.training.common import (
    bookings_in,
    count_in,
    email_booking,
    email_confirmed,
    format_local,
    lock_session,
)
from volunteer_hub.urls import external_url

# --- booking -------------------------------------------------------------------------------






def has_completed_prerequisite(user: User, course: Course) -> bool:
    """Whether the person has done the course's prerequisite: a current certificate for it, or,
    for a prerequisite that gives no certificate, attendance (present or late) at a finalised session."""
    if course.prerequisite_id is None:
        return True
    prerequisite = course.prerequisite
    if prerequisite.gives_certificate:
        return has_current_certificate(user, prerequisite)
    return db.session.scalar(
        select(func.count()).select_from(Attendance).join(Attendance.session).where(
            Attendance.user_id == user.id,
            TrainingSession.course_id == course.prerequisite_id,
            TrainingSession.finalised_at.is_not(None),
            Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE)),
        )
    ) > 0


def _overlapping(session: TrainingSession, user: User) -> Booking | None:
    return db.session.scalar(
        select(Booking).join(Booking.session).where(
            Booking.user_id == user.id, Booking.status.in_(ACTIVE), Booking.session_id != session.id,
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.starts_at < session.ends_at, TrainingSession.ends_at > session.starts_at,
        ).options(selectinload(Booking.session).selectinload(TrainingSession.course)).limit(1))


def check_can_book(session: TrainingSession, user: User, by_coordinator: bool = False) -> None:
    """Raise the reason this person cannot book this session now (nothing if they can)."""
    now = utcnow()
    if session.status is SessionStatus.CANCELLED:
        raise Conflict("This session has been cancelled.")
    if session.status is SessionStatus.COMPLETED or session.starts_at <= now:
        raise Conflict("This session has already started or finished.")
    if not by_coordinator:
        if now < session.booking_opens_at:
            raise Conflict(f"Booking for this session opens on {format_local(session.booking_opens_at)}.")
        if now >= session.booking_closes_at:
            raise Conflict("Booking for this session has closed.")
    existing = active_booking(session, user)
    if existing is not None:
        if existing.status is BookingStatus.CONFIRMED:
            raise Conflict("You are already booked on this session." if not by_coordinator
                           else f"{user.name} is already booked on this session.")
        raise Conflict("You are already on the waitlist for this session." if not by_coordinator
                       else f"{user.name} is already on the waitlist for this session.")
    if not has_completed_prerequisite(user, session.course):
        raise NotAllowed(f"You need to complete {session.course.prerequisite.title} before booking this course.")
    clash = _overlapping(session, user)
    if clash is not None:
        raise Conflict(
            f"This overlaps another of your bookings: {clash.session.course.title} on {format_local(clash.session.starts_at)}."
        )


def book_session(session: TrainingSession, user: User, by: User | None = None) -> Booking:
    """Book a place, or a place on the waitlist if the session is full. One step, under the lock."""
    if not user.is_confirmed and by is None:
        raise NotAllowed("Confirm your email address before booking training.")
    session = lock_session(session)
    _lapse_overdue_offers(session)
    by_coordinator = by is not None and by.id != user.id
    check_can_book(session, user, by_coordinator=by_coordinator)
    held = count_in(session, HOLDING)
    waiting = count_in(session, (BookingStatus.WAITLISTED,))
    queue_number = (db.session.scalar(select(func.max(Booking.queue_number)).where(Booking.session_id == session.id))
                    or 0) + 1
    confirmed = held < session.capacity and waiting == 0
    booking = Booking(session_id=session.id, user_id=user.id, queue_number=queue_number,
                      status=BookingStatus.CONFIRMED if confirmed else BookingStatus.WAITLISTED,
                      confirmed_at=utcnow() if confirmed else None, booked_by_id=(by or user).id)
    db.session.add(booking)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("You are already booked on this session.") from None
    if confirmed:
        email_confirmed(booking)
    else:
        email_booking(booking, "waitlisted", "Waitlist: ", "training_waitlisted", position=waitlist_position(booking))
    return booking


def cancel_booking(booking: Booking, by: User) -> Booking:
    """Cancel a booking or leave the waitlist. After the cut-off it is taken but marked late.
    A freed place goes to the first person waiting, in this transaction."""
    session = lock_session(booking.session)
    _lapse_overdue_offers(session)
    db.session.refresh(booking)
    if booking.status not in ACTIVE:
        raise Conflict("This booking is already cancelled.")
    if session.starts_at <= utcnow():
        raise Conflict("This session has already started; it can no longer be cancelled here.")
    was = booking.status
    now = utcnow()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by_id = by.id
    booking.is_late_cancellation = was is BookingStatus.CONFIRMED and now > session.cancellation_cutoff_at
    db.session.flush()
    if was is BookingStatus.CONFIRMED:
        email_booking(booking, "cancelled", "Cancelled: ", "training_booking_cancelled",
               [calendar_service.cancellation(booking)], by_someone_else=by.id != booking.user_id)
    if was in HOLDING:
        fill_places(session)
    return booking


def move_booking(booking: Booking, target: TrainingSession, by: User) -> Booking:
    """Move someone to another session of the same course (a coordinator's action)."""
    if target.id == booking.session_id:
        raise ValidationFailed("Choose a different session.", "session_id")
    if target.course_id != booking.session.course_id:
        raise ValidationFailed("Choose a session of the same course.", "session_id")
    user = booking.user
    # Lock both sessions in id order so two moves the other way round cannot deadlock.
    first, second = sorted((booking.session, target), key=lambda s: s.id)
    lock_session(first)
    lock_session(second)
    cancel_booking(booking, by=by)  # if the new booking is refused, the caller rolls this back
    return book_session(target, user, by=by)


def fill_places(session: TrainingSession) -> list[Booking]:
    """Offer free places to the first people waiting. The caller holds the session lock."""
    now = utcnow()
    if session.status is not SessionStatus.SCHEDULED or now >= session.booking_closes_at:
        return []
    offered = []
    free = session.capacity - count_in(session, HOLDING)
    if free <= 0:
        return []
    for booking in bookings_in(session, (BookingStatus.WAITLISTED,))[:free]:
        booking.status = BookingStatus.OFFERED
        booking.offered_at = now
        booking.offer_expires_at = min(now + dt.timedelta(hours=current_app.config["VH_OFFER_HOURS"]),
                                       session.booking_closes_at)
        offered.append(booking)
        db.session.flush()
        email_booking(booking, "offer", "A place for you: ", "training_offer",
               offer_url=external_url("training.booking_offer", booking_id=booking.id))
    db.session.flush()
    return offered


class Accepted(NamedTuple):
    """What accepting an offer came to: the booking, and whether the offer had lapsed (then the
    lapse is what was written: the place went to the next person, who has been emailed)."""
    booking: Booking
    lapsed: bool


def accept_offer(booking: Booking) -> Accepted:
    session = lock_session(booking.session)
    db.session.refresh(booking)
    if booking.status is BookingStatus.CONFIRMED:
        raise Conflict("You have already accepted this place.")
    if booking.offer_lapsed(utcnow()):
        _lapse_overdue_offers(session)
        return Accepted(booking, lapsed=True)
    if booking.status is not BookingStatus.OFFERED:
        raise Conflict("There is no offer to accept on this booking.")
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = utcnow()
    db.session.flush()
    email_confirmed(booking)
    return Accepted(booking, lapsed=False)


def decline_offer(booking: Booking) -> Booking:
    session = lock_session(booking.session)
    _lapse_overdue_offers(session)
    db.session.refresh(booking)
    if booking.status is not BookingStatus.OFFERED:
        raise Conflict("There is no offer to decline on this booking.")
    booking.status = BookingStatus.DECLINED
    booking.cancelled_at = utcnow()
    db.session.flush()
    fill_places(session)
    return booking


def lapse_offers(session: TrainingSession) -> int:
    """Offers past their deadline lapse; their places go to the next in line. Takes the lock."""
    return _lapse_overdue_offers(lock_session(session))


def _lapse_overdue_offers(session: TrainingSession) -> int:
    """Make the lapse of overdue offers permanent. The caller holds the session lock."""
    now = utcnow()
    expired = [b for b in bookings_in(session, (BookingStatus.OFFERED,)) if b.offer_lapsed(now)]
    for booking in expired:
        booking.status = BookingStatus.LAPSED
        db.session.flush()
        email_booking(booking, "lapsed", "Offer lapsed: ", "training_offer_lapsed")
    if expired:
        fill_places(session)
    return len(expired)


def sessions_with_expired_offers() -> list[int]:
    """Ids of sessions holding an offer whose deadline has passed."""
    return list(db.session.scalars(select(Booking.session_id).where(Booking.offer_lapsed(utcnow())).distinct()))


def change_capacity(session: TrainingSession, capacity: int) -> list[Booking]:
    """Raise or lower the places. Lower than those taken is refused; raising offers the new places."""
    session = lock_session(session)
    taken = count_in(session, HOLDING)
    if capacity < 1:
        raise ValidationFailed("Capacity must be at least 1.", "capacity")
    if capacity < taken:
        raise ValidationFailed(
            f"{taken} places are booked or offered, so the capacity cannot go below {taken}. "
            "Cancel or move people first.", "capacity")
    session.capacity = capacity
    db.session.flush()
    return fill_places(session)


