"""Training: courses, sessions, booking with a fair waitlist, calendar invitations, reminders
and the trainer's register.

Every function that counts places locks the session row first (`_lock_session`): SELECT ...
FOR UPDATE on PostgreSQL; on SQLite the writing transaction already began with BEGIN
IMMEDIATE. Promotion from the waitlist (`fill_places`) runs in the same transaction as the
change that freed the place. Functions flush, never commit.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload, load_only, selectinload

from volunteer_hub import clock
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import (
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    Booking,
    BookingStatus,
    CalendarFeed,
    Course,
    Organisation,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
    db,
    session_trainers,
    utcnow,
)
from volunteer_hub.services import calendar as calendar_service
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url

HOLDING = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)  # statuses that hold a place
WAITING = (BookingStatus.WAITLISTED, BookingStatus.OFFERED)  # statuses in the queue
ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.OFFERED)
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)
# The longest a session may run. The form allows at most a day (it ends the next day at the latest);
# the session list relies on the bound to read only the sessions starting from now minus this.
MAX_SESSION = dt.timedelta(hours=48)


local_to_utc = clock.local_to_utc
utc_to_local = clock.to_local


# --- courses -------------------------------------------------------------------------------
COURSE_FIELDS = ("title", "summary", "description", "duration_minutes", "audience", "validity_months",
                 "prerequisite_id", "gives_certificate", "late_counts_as_attended", "is_active")


def save_course(course: Course | None, **values) -> Course:
    """Create a course (course=None) or change one."""
    course = course or Course()
    title = (values.get("title") or "").strip()
    if not title:
        raise ValidationFailed("Enter the course title.", "title")
    clash = db.session.scalar(select(Course).where(func.lower(Course.title) == title.lower(), Course.id != (course.id or 0)))
    if clash is not None:
        raise Conflict(f"There is already a course called {clash.title}.", "title")
    prerequisite_id = values.get("prerequisite_id")
    if prerequisite_id is not None:
        if course.id is not None and prerequisite_id == course.id:
            raise ValidationFailed("A course cannot be its own prerequisite.", "prerequisite_id")
        if db.session.get(Course, prerequisite_id) is None:
            raise ValidationFailed("Choose a prerequisite from the list.", "prerequisite_id")
    for key in COURSE_FIELDS:
        if key in values:
            value = values[key]
            setattr(course, key, value.strip() if isinstance(value, str) else value)
    course.title = title
    if course.id is None:
        db.session.add(course)
    db.session.flush()
    return course


def list_courses(include_retired: bool = True) -> list[Course]:
    stmt = select(Course).options(selectinload(Course.prerequisite)).order_by(Course.is_active.desc(), Course.title)
    if not include_retired:
        stmt = stmt.where(Course.is_active.is_(True))
    return list(db.session.scalars(stmt))


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


def parse_reminder_hours(text: str, field: str | None = None) -> list[int]:
    try:
        hours = sorted({int(part) for part in text.replace(" ", "").split(",") if part}, reverse=True)
    except ValueError:
        raise ValidationFailed("Reminders: whole numbers of hours, separated by commas (e.g. 48,2).", field) from None
    if any(h <= 0 or h > 24 * 60 for h in hours):
        raise ValidationFailed("Reminders must be between 1 and 1440 hours before the start.", field)
    return hours


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
    _lock_session(session)
    if session.status is not SessionStatus.SCHEDULED:
        raise Conflict("Only a scheduled session can be changed.")
    _check_session_values(v)
    moved = (session.starts_at, session.ends_at, session.place, session.online_url) != (
        v.starts_at, v.ends_at, (v.place or "").strip() or None, (v.online_url or "").strip() or None)
    _apply_session_values(session, v)
    change_capacity(session, v.capacity)
    if moved:
        stamp = secrets.token_hex(4)
        for booking in _bookings(session, ACTIVE):
            attachments = [calendar_service.invitation(booking)] if booking.status is BookingStatus.CONFIRMED else []
            _email(booking, f"updated:{stamp}", "Changed: ", "training_session_changed", attachments)
    db.session.flush()


def copy_session(source: TrainingSession, new_day: dt.date) -> TrainingSession:
    """A new session like `source` on another day, same local times and booking offsets."""
    start_local = utc_to_local(source.starts_at)
    end_local = utc_to_local(source.ends_at)
    starts_at = local_to_utc(new_day, start_local.time(), "new_date")
    end_day = new_day + (end_local.date() - start_local.date())
    ends_at = local_to_utc(end_day, end_local.time(), "new_date")
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
    _lock_session(session)
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
    for booking in _bookings(session, ACTIVE):
        was_confirmed = booking.status is BookingStatus.CONFIRMED
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = utcnow()
        booking.cancelled_by_id = by.id
        attachments = [calendar_service.cancellation(booking)] if was_confirmed else []
        _email(booking, "session_cancelled", "Cancelled: ", "training_session_cancelled", attachments,
               was_confirmed=was_confirmed)
        told += 1
    db.session.flush()
    return told


# --- queries for pages ---------------------------------------------------------------------
@dataclass
class SessionFilter:
    course_id: int | None = None
    month: dt.date | None = None  # first day of the month, local
    place: str = ""


# For the pages' statements, built once at import (only their bound values change).
_MINE = aliased(Booking)  # the viewer's active booking, if any
_OTHER = aliased(Booking)  # the session's other bookings, counted
_PREREQUISITE = aliased(Course)


def _bookings_counted(*conditions):
    return (select(func.count()).select_from(_OTHER)
            .where(_OTHER.session_id == TrainingSession.id, *conditions).scalar_subquery())


def _upcoming_conditions(sessions, shape: tuple[bool, bool, bool]) -> list:
    """Sessions not yet ended, as bound conditions on `sessions` (TrainingSession or an alias of it),
    with the filters of `shape` (course, month, place). Those under way started at most
    MAX_SESSION ago: saying so lets the database read the start-time index from there, instead of
    walking every past session."""
    has_course, has_month, has_place = shape
    conditions = [sessions.starts_at > bindparam("since"), sessions.ends_at > bindparam("now"),
                  sessions.status != SessionStatus.CANCELLED]
    if has_course:
        conditions.append(sessions.course_id == bindparam("course_id"))
    if has_month:
        conditions += [sessions.starts_at >= bindparam("month_from"), sessions.starts_at < bindparam("month_to")]
    if has_place:
        conditions.append(func.lower(sessions.place).like(bindparam("place")))
    return conditions


def _upcoming_values(f: SessionFilter) -> tuple[tuple[bool, bool, bool], dict]:
    """The filter's shape and the values bound to its conditions."""
    now = utcnow()
    values = {"since": now - MAX_SESSION, "now": now}
    if f.course_id:
        values["course_id"] = f.course_id
    if f.month:
        first = f.month.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        values.update(month_from=local_to_utc(first, dt.time(0)), month_to=local_to_utc(nxt, dt.time(0)))
    if f.place:
        values["place"] = f"%{f.place.strip().lower()}%"
    return (bool(f.course_id), bool(f.month), bool(f.place)), values


_COUNTED_SESSION = aliased(TrainingSession)
_SESSION_LISTS: dict[tuple[bool, bool, bool], object] = {}  # a statement per filter shape, built once


def _session_list_statement(shape: tuple[bool, bool, bool]):
    """A page of the list, soonest first (a page stops early in the start-time index), with each
    session's places held and waiting, the viewer's booking status and, in every row, how many
    sessions the whole list has: a plain count, which the database works out once."""
    if shape not in _SESSION_LISTS:
        total = (select(func.count()).select_from(_COUNTED_SESSION)
                 .where(*_upcoming_conditions(_COUNTED_SESSION, shape)).scalar_subquery())
        mine = (select(_MINE.status).where(_MINE.session_id == TrainingSession.id, _MINE.user_id == bindparam("user_id"),
                                           _MINE.status.in_(ACTIVE)).scalar_subquery())
        _SESSION_LISTS[shape] = (
            select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.place,
                   TrainingSession.status, TrainingSession.capacity, Course.title.label("course_title"),
                   _bookings_counted(_OTHER.status.in_(HOLDING)).label("held"),
                   _bookings_counted(_OTHER.status == BookingStatus.WAITLISTED).label("waiting"),
                   mine.label("my_status"), total.label("total"))
            .join(Course, Course.id == TrainingSession.course_id)
            .where(*_upcoming_conditions(TrainingSession, shape))
            .order_by(TrainingSession.starts_at, TrainingSession.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return _SESSION_LISTS[shape]


def _count_statement(shape: tuple[bool, bool, bool]):
    return select(func.count()).select_from(TrainingSession).where(*_upcoming_conditions(TrainingSession, shape))


def upcoming_sessions(f: SessionFilter, user: User, limit: int, offset: int) -> tuple[list, int]:
    """(a page of the session list as rows: id, starts_at, ends_at, place, status, capacity,
    course_title, held, waiting, my_status; and how many sessions the list has). One query, and a
    count only for a page past the end."""
    shape, values = _upcoming_values(f)
    rows = db.session.execute(_session_list_statement(shape),
                              {**values, "user_id": user.id, "limit": limit, "offset": offset}).all()
    if rows:
        return rows, rows[0].total
    return rows, (db.session.scalar(_count_statement(shape), values) if offset else 0)


def place_counts(session_ids, user: User | None = None) -> dict[int, tuple[int, int]] | tuple[dict, dict]:
    """{session id: (places held, people waiting)} in one query. Given a user, also (same query)
    {session id: the user's active booking status}, as a pair (counts, mine)."""
    ids = list(session_ids)
    columns = [Booking.session_id, Booking.status, func.count()]
    if user is not None:
        columns.append(func.max(case((Booking.user_id == user.id, 1), else_=0)))
    rows = db.session.execute(
        select(*columns).where(Booking.session_id.in_(ids), Booking.status.in_(ACTIVE))
        .group_by(Booking.session_id, Booking.status)) if ids else []
    out = {i: [0, 0] for i in ids}
    mine = {}
    for session_id, status, n, *is_mine in rows:
        if status in HOLDING:
            out[session_id][0] += n
        if status is BookingStatus.WAITLISTED:
            out[session_id][1] += n
        if is_mine and is_mine[0]:
            mine[session_id] = status
    counts = {k: (v[0], v[1]) for k, v in out.items()}
    return counts if user is None else (counts, mine)


KNOWN_PLACES_FROM = 200  # the place filter suggests the places of this many upcoming sessions
_SOONEST_PLACES = (select(TrainingSession.place)
                   .where(TrainingSession.starts_at > bindparam("now"), TrainingSession.place.is_not(None))
                   .order_by(TrainingSession.starts_at).limit(KNOWN_PLACES_FROM).subquery())
_KNOWN_PLACES = select(_SOONEST_PLACES.c.place).distinct().order_by(_SOONEST_PLACES.c.place)


def known_places() -> list[str]:
    """The places of the next sessions (suggestions for the place filter), by name."""
    return list(db.session.scalars(_KNOWN_PLACES, {"now": utcnow()}))


_COURSE_CHOICES = select(Course.id, Course.title).where(Course.is_active.is_(True)).order_by(Course.title)


def course_choices() -> list[tuple[int, str]]:
    """(id, title) of the active courses, by title: for a filter (no need to load the courses)."""
    return list(db.session.execute(_COURSE_CHOICES).all())


def active_booking(session: TrainingSession, user: User) -> Booking | None:
    return db.session.scalar(select(Booking).where(
        Booking.session_id == session.id, Booking.user_id == user.id, Booking.status.in_(ACTIVE)))


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line (offers and waiting both count), None if not in the queue."""
    if booking.status not in WAITING:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == booking.session_id, Booking.status.in_(WAITING),
        Booking.queue_number < booking.queue_number))
    return ahead + 1


_AHEAD = aliased(Booking)


def waitlist_positions(bookings) -> dict[int, int | None]:
    """{booking id: waitlist_position(booking)} for many bookings, in one query."""
    positions: dict[int, int | None] = {b.id: None for b in bookings}
    waiting = [b.id for b in bookings if b.status in WAITING]
    if waiting:
        ahead = (select(func.count()).select_from(_AHEAD).where(
            _AHEAD.session_id == Booking.session_id, _AHEAD.status.in_(WAITING),
            _AHEAD.queue_number < Booking.queue_number).correlate(Booking).scalar_subquery())
        rows = db.session.execute(select(Booking.id, ahead).where(Booking.id.in_(waiting)))
        positions.update({booking_id: n + 1 for booking_id, n in rows})
    return positions


# A person's name and organisation's name, for listing them: only the columns the lists show (a
# person's other columns, such as the password hash, would be read and converted for every row).
_PERSON_NAME = (load_only(User.name, User.organisation_id), joinedload(User.organisation).load_only(Organisation.name),
                lazyload(User.role_rows))
# A booking's person and organisation, in the same query.
_WITH_PERSON = (joinedload(Booking.user).options(*_PERSON_NAME),)


def session_bookings(session: TrainingSession, statuses=ACTIVE) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status.in_(statuses))
        .options(*_WITH_PERSON)
        .order_by(Booking.queue_number)))


# --- the session page: what it shows, as plain rows -----------------------------------------
# One row per trainer (by name; one row with no trainer if it has none): the session, its course,
# its places held and waiting, whether an offer is overdue, and the viewer's booking with the
# number of people ahead of them in the queue.
_SESSION_PAGE = (
    select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.place,
           TrainingSession.online_url, TrainingSession.capacity, TrainingSession.status, TrainingSession.notes,
           TrainingSession.booking_opens_at, TrainingSession.booking_closes_at,
           TrainingSession.cancellation_cutoff_at, TrainingSession.cancel_reason,
           Course.title.label("course_title"), Course.summary.label("course_summary"),
           Course.audience.label("course_audience"), _PREREQUISITE.title.label("prerequisite_title"),
           _bookings_counted(_OTHER.status.in_(HOLDING)).label("held"),
           _bookings_counted(_OTHER.status == BookingStatus.WAITLISTED).label("waiting"),
           exists().where(_OTHER.session_id == TrainingSession.id, _OTHER.status == BookingStatus.OFFERED,
                          _OTHER.offer_expires_at <= bindparam("now")).label("has_expired_offers"),
           _MINE.id.label("booking_id"), _MINE.status.label("booking_status"),
           _MINE.offer_expires_at.label("booking_offer_expires_at"),
           _bookings_counted(_OTHER.status.in_(WAITING), _OTHER.queue_number < _MINE.queue_number).label("ahead"),
           User.id.label("trainer_id"), User.name.label("trainer_name"))
    .join(Course, Course.id == TrainingSession.course_id)
    .outerjoin(_PREREQUISITE, _PREREQUISITE.id == Course.prerequisite_id)
    .outerjoin(_MINE, and_(_MINE.session_id == TrainingSession.id, _MINE.user_id == bindparam("user_id"),
                           _MINE.status.in_(ACTIVE)))
    .outerjoin(session_trainers, session_trainers.c.session_id == TrainingSession.id)
    .outerjoin(User, User.id == session_trainers.c.user_id)
    .where(TrainingSession.id == bindparam("session_id"))
    .order_by(User.name, User.id)
)


class Trainer(NamedTuple):
    id: int
    name: str | None


@dataclass
class MyBooking:
    id: int
    status: BookingStatus
    offer_expires_at: dt.datetime | None


@dataclass
class SessionPage:
    """What the session page shows of a session (read-only), in one query."""
    session: object  # a row with the session's columns, course_title, course_summary, ...
    trainers: list[Trainer]  # by name
    held: int  # places held (confirmed or offered)
    waiting: int
    has_expired_offers: bool
    booking: MyBooking | None  # the viewer's active booking
    position: int | None  # the viewer's place in the queue (waiting or offered), 1 = first


def session_page(session_id: int, user: User) -> SessionPage | None:
    """The session page's data for this viewer, or None if there is no such session."""
    rows = db.session.execute(_SESSION_PAGE, {"session_id": session_id, "user_id": user.id, "now": utcnow()}).all()
    if not rows:
        return None
    first = rows[0]
    booking = None
    if first.booking_id is not None:
        booking = MyBooking(first.booking_id, first.booking_status, first.booking_offer_expires_at)
    return SessionPage(
        session=first,
        trainers=[Trainer(r.trainer_id, r.trainer_name) for r in rows if r.trainer_id is not None],
        held=first.held, waiting=first.waiting, has_expired_offers=bool(first.has_expired_offers), booking=booking,
        position=first.ahead + 1 if booking is not None and booking.status in WAITING else None,
    )


# A session's active bookings and late cancellations, queue order, with each person's name and
# organisation: columns only (the page shows nothing else of them).
_SESSION_BOOKINGS = (
    select(Booking.id, Booking.user_id, Booking.status, Booking.offer_expires_at, User.name,
           Organisation.name.label("organisation"))
    .join(User, User.id == Booking.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .where(Booking.session_id == bindparam("session_id"), or_(
        Booking.status.in_(ACTIVE),
        and_(Booking.status == BookingStatus.CANCELLED, Booking.is_late_cancellation.is_(True))))
    .order_by(Booking.queue_number)
)


def session_booking_rows(session_id: int) -> tuple[list, list[str]]:
    """(the session's active bookings as rows: id, user_id, status, offer_expires_at, name,
    organisation; in queue order) and the names of its late cancellations, in one query."""
    active, late = [], []
    for row in db.session.execute(_SESSION_BOOKINGS, {"session_id": session_id}):
        if row.status is BookingStatus.CANCELLED:
            late.append(row.name)
        else:
            active.append(row)
    return active, late


# My training: every booking of a person with its session, course, mark, and (for those in the
# queue) how many are ahead; and, in each row, their calendar link's token, if they have one yet.
_MY_TRAINING = (
    select(Booking.id, Booking.session_id, Booking.status, Booking.offer_expires_at,
           TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.place,
           TrainingSession.status.label("session_status"), TrainingSession.cancel_reason,
           TrainingSession.finalised_at, Course.title.label("course_title"), Attendance.status.label("mark"),
           case((Booking.status.in_(WAITING), select(func.count()).select_from(_OTHER).where(
               _OTHER.session_id == Booking.session_id, _OTHER.status.in_(WAITING),
               _OTHER.queue_number < Booking.queue_number).scalar_subquery()), else_=None).label("ahead"),
           select(CalendarFeed.token).where(CalendarFeed.user_id == Booking.user_id).scalar_subquery()
           .label("feed_token"))
    .join(TrainingSession, TrainingSession.id == Booking.session_id)
    .join(Course, Course.id == TrainingSession.course_id)
    .outerjoin(Attendance, and_(Attendance.session_id == Booking.session_id, Attendance.user_id == Booking.user_id))
    .where(Booking.user_id == bindparam("user_id"))
    .order_by(TrainingSession.starts_at.desc(), Booking.id.desc())
)


def my_training(user: User) -> list:
    """Every booking of the person, latest session first, as rows: id, session_id, status,
    offer_expires_at, starts_at, ends_at, place, session_status, cancel_reason, finalised_at,
    course_title, mark (their attendance status, if marked), ahead (people ahead of them in the
    queue, for a booking in it) and feed_token (their calendar link's, None if not made yet).
    One query."""
    return db.session.execute(_MY_TRAINING, {"user_id": user.id}).all()


def my_bookings(user: User) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).join(Booking.session).where(Booking.user_id == user.id)
        .options(contains_eager(Booking.session).joinedload(TrainingSession.course).load_only(Course.title))
        .order_by(TrainingSession.starts_at.desc(), Booking.id.desc())))


def trainer_sessions(user: User) -> list[TrainingSession]:
    from volunteer_hub.models import session_trainers

    return list(db.session.scalars(
        select(TrainingSession).join(session_trainers, session_trainers.c.session_id == TrainingSession.id)
        .where(session_trainers.c.user_id == user.id,
               TrainingSession.starts_at > utcnow() - dt.timedelta(days=60))
        .options(selectinload(TrainingSession.course))
        .order_by(TrainingSession.starts_at)))


def is_trainer_of(user: User, session: TrainingSession) -> bool:
    return any(t.id == user.id for t in session.trainers)


# --- booking -------------------------------------------------------------------------------
def _lock_session(session: TrainingSession) -> TrainingSession:
    """Hold the session's row lock until the transaction ends, and see its latest state."""
    locked = db.session.scalars(
        select(TrainingSession).where(TrainingSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def _bookings(session: TrainingSession, statuses) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status.in_(statuses))
        .options(selectinload(Booking.user))
        .order_by(Booking.queue_number).execution_options(populate_existing=True)))


def _count(session: TrainingSession, statuses) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session.id, Booking.status.in_(statuses)))


def has_completed_prerequisite(user: User, course: Course) -> bool:
    """Whether the person has done the course's prerequisite: a current certificate for it, or,
    for a prerequisite that gives no certificate, attendance (present or late) at a finalised session."""
    if course.prerequisite_id is None:
        return True
    prerequisite = course.prerequisite
    if prerequisite.gives_certificate:
        from volunteer_hub.services.certificates import has_current_certificate

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
            raise Conflict(f"Booking for this session opens on {_fmt(session.booking_opens_at)}.")
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
            f"This overlaps another of your bookings: {clash.session.course.title} on {_fmt(clash.session.starts_at)}."
        )


def _fmt(value: dt.datetime) -> str:
    return clock.format_local(value)


def book_session(session: TrainingSession, user: User, by: User | None = None) -> Booking:
    """Book a place, or a place on the waitlist if the session is full. One step, under the lock."""
    if not user.is_confirmed and by is None:
        raise NotAllowed("Confirm your email address before booking training.")
    session = _lock_session(session)
    by_coordinator = by is not None and by.id != user.id
    check_can_book(session, user, by_coordinator=by_coordinator)
    held = _count(session, HOLDING)
    waiting = _count(session, (BookingStatus.WAITLISTED,))
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
        _email_confirmed(booking)
    else:
        _email(booking, "waitlisted", "Waitlist: ", "training_waitlisted", position=waitlist_position(booking))
    return booking


def cancel_booking(booking: Booking, by: User) -> Booking:
    """Cancel a booking or leave the waitlist. After the cut-off it is taken but marked late.
    A freed place goes to the first person waiting, in this transaction."""
    session = _lock_session(booking.session)
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
        _email(booking, "cancelled", "Cancelled: ", "training_booking_cancelled",
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
    _lock_session(first)
    _lock_session(second)
    cancel_booking(booking, by=by)  # if the new booking is refused, the caller rolls this back
    return book_session(target, user, by=by)


def fill_places(session: TrainingSession) -> list[Booking]:
    """Offer free places to the first people waiting. The caller holds the session lock."""
    now = utcnow()
    if session.status is not SessionStatus.SCHEDULED or now >= session.booking_closes_at:
        return []
    offered = []
    free = session.capacity - _count(session, HOLDING)
    if free <= 0:
        return []
    for booking in _bookings(session, (BookingStatus.WAITLISTED,))[:free]:
        booking.status = BookingStatus.OFFERED
        booking.offered_at = now
        booking.offer_expires_at = min(now + dt.timedelta(hours=current_app.config["VH_OFFER_HOURS"]),
                                       session.booking_closes_at)
        offered.append(booking)
        db.session.flush()
        _email(booking, "offer", "A place for you: ", "training_offer",
               offer_url=external_url("training.booking_offer", booking_id=booking.id))
    db.session.flush()
    return offered


def accept_offer(booking: Booking) -> Booking:
    session = _lock_session(booking.session)
    db.session.refresh(booking)
    if booking.status is BookingStatus.CONFIRMED:
        raise Conflict("You have already accepted this place.")
    if booking.status is not BookingStatus.OFFERED:
        raise Conflict("There is no offer to accept on this booking.")
    if booking.offer_expires_at <= utcnow():
        lapse_offers(session)
        raise Conflict("Sorry, this offer has lapsed: the place has gone to the next person.")
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = utcnow()
    db.session.flush()
    _email_confirmed(booking)
    return booking


def decline_offer(booking: Booking) -> Booking:
    session = _lock_session(booking.session)
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
    session = _lock_session(session)
    expired = [b for b in _bookings(session, (BookingStatus.OFFERED,)) if b.offer_expires_at <= utcnow()]
    for booking in expired:
        booking.status = BookingStatus.LAPSED
        db.session.flush()
        _email(booking, "lapsed", "Offer lapsed: ", "training_offer_lapsed")
    if expired:
        fill_places(session)
    return len(expired)


def has_expired_offers(session: TrainingSession) -> bool:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.OFFERED,
        Booking.offer_expires_at <= utcnow())) > 0


def sessions_with_expired_offers() -> list[int]:
    """Ids of sessions holding an offer whose deadline has passed."""
    return list(db.session.scalars(select(Booking.session_id).where(
        Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at <= utcnow()).distinct()))


def change_capacity(session: TrainingSession, capacity: int) -> list[Booking]:
    """Raise or lower the places. Lower than those taken is refused; raising offers the new places."""
    session = _lock_session(session)
    taken = _count(session, HOLDING)
    if capacity < 1:
        raise ValidationFailed("Capacity must be at least 1.", "capacity")
    if capacity < taken:
        raise ValidationFailed(
            f"{taken} places are booked or offered, so the capacity cannot go below {taken}. "
            "Cancel or move people first.", "capacity")
    session.capacity = capacity
    db.session.flush()
    return fill_places(session)


# --- emails --------------------------------------------------------------------------------
def _email(booking: Booking, kind: str, prefix: str, template: str, attachments=None, **ctx) -> None:
    session = booking.session
    queue_email(
        key=f"booking:{booking.id}:{kind}",
        recipient=booking.user.email,
        subject=f"{prefix}{session.course.title}, {_fmt(session.starts_at)}",
        template=template,
        attachments=attachments,
        booking=booking,
        user=booking.user,
        training_session=session,
        session_url=external_url("training.session_detail", session_id=session.id),
        **ctx,
    )


def _email_confirmed(booking: Booking) -> None:
    _email(booking, "confirmed", "Booked: ", "training_booking_confirmed", [calendar_service.invitation(booking)])


def reminder_hours_for(session: TrainingSession) -> list[int]:
    text = session.reminder_hours or current_app.config["VH_REMINDER_HOURS"]
    return parse_reminder_hours(text)


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
            recipient=booking.user.email,
            subject=f"Reminder: {booking.session.course.title}, {_fmt(booking.session.starts_at)}",
            template="training_reminder",
            booking=booking, user=booking.user, training_session=booking.session, hours=h,
            session_url=external_url("training.session_detail", session_id=booking.session_id),
        ):
            queued += 1
    db.session.flush()
    return queued




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
    return calendar_service.feed(list(bookings))


# --- the register --------------------------------------------------------------------------
@dataclass
class RegisterRow:
    user: User
    booking: Booking | None
    attendance: Attendance | None

    @property
    def status(self) -> AttendanceStatus | None:
        return self.attendance.status if self.attendance else None


def register_and_late_cancellations(session: TrainingSession) -> tuple[list[RegisterRow], list[Booking]]:
    """The register (everyone confirmed plus walk-ins, by name, with their mark if any) and the
    session's late cancellations: the bookings of both in one query."""
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, or_(
            Booking.status == BookingStatus.CONFIRMED,
            and_(Booking.status == BookingStatus.CANCELLED, Booking.is_late_cancellation.is_(True))))
        .options(*_WITH_PERSON)
        .order_by(Booking.queue_number)))
    marks = {a.user_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id)
        .options(joinedload(Attendance.user).options(*_PERSON_NAME), selectinload(Attendance.corrections)))}
    rows = [RegisterRow(b.user, b, marks.pop(b.user_id, None)) for b in bookings if b.status is BookingStatus.CONFIRMED]
    rows += [RegisterRow(a.user, None, a) for a in marks.values()]
    rows.sort(key=lambda r: (r.user.name.lower(), r.user.id))
    return rows, [b for b in bookings if b.status is BookingStatus.CANCELLED]


# The register page, as plain rows. The session with its course, who finalised it and its
# trainers (one row per trainer; their ids decide who may take the register).
_FINALISER = aliased(User)
_REGISTER_SESSION = (
    select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.place,
           TrainingSession.status, TrainingSession.finalised_at, Course.title.label("course_title"),
           _FINALISER.name.label("finalised_by_name"), session_trainers.c.user_id.label("trainer_id"))
    .join(Course, Course.id == TrainingSession.course_id)
    .outerjoin(_FINALISER, _FINALISER.id == TrainingSession.finalised_by_id)
    .outerjoin(session_trainers, session_trainers.c.session_id == TrainingSession.id)
    .where(TrainingSession.id == bindparam("session_id"))
)
# Confirmed bookings and late cancellations, in queue order, with the person's name and organisation.
_REGISTER_BOOKINGS = (
    select(Booking.user_id, Booking.status, User.name, Organisation.name.label("organisation"))
    .join(User, User.id == Booking.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .where(Booking.session_id == bindparam("session_id"), or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.CANCELLED, Booking.is_late_cancellation.is_(True))))
    .order_by(Booking.queue_number)
)
# Every mark, with the person and the mark's corrections (one row per correction, oldest first).
_REGISTER_MARKS = (
    select(Attendance.id, Attendance.user_id, Attendance.status, User.name, Organisation.name.label("organisation"),
           AttendanceCorrection.corrected_at, AttendanceCorrection.old_status, AttendanceCorrection.new_status,
           AttendanceCorrection.reason)
    .join(User, User.id == Attendance.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .outerjoin(AttendanceCorrection, AttendanceCorrection.attendance_id == Attendance.id)
    .where(Attendance.session_id == bindparam("session_id"))
    .order_by(Attendance.id, AttendanceCorrection.id)
)


class RegisterSession(NamedTuple):
    """What the register page shows of its session."""
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str | None
    status: SessionStatus
    finalised_at: dt.datetime | None
    course_title: str
    finalised_by_name: str | None
    trainers: list[Trainer]  # ids only (name None): for who may take the register


def register_session(session_id: int) -> RegisterSession | None:
    rows = db.session.execute(_REGISTER_SESSION, {"session_id": session_id}).all()
    if not rows:
        return None
    return RegisterSession(*rows[0][:8], [Trainer(r.trainer_id, None) for r in rows if r.trainer_id is not None])


@dataclass
class RegisterLine:
    """A person on the register page: their mark (if any) and its corrections, as plain values."""
    user_id: int
    name: str
    organisation: str | None
    has_booking: bool  # False: a walk-in (or their booking is no longer confirmed)
    attendance_id: int | None = None
    status: AttendanceStatus | None = None
    corrections: list = None  # (corrected_at, old status, new status, reason), oldest first


def register_lines(session_id: int) -> tuple[list[RegisterLine], list[str]]:
    """The register page's people (as register_and_late_cancellations: everyone confirmed plus
    walk-ins, by name) and the names of its late cancellations, in two queries of columns."""
    params = {"session_id": session_id}
    lines, late = {}, []
    for b in db.session.execute(_REGISTER_BOOKINGS, params):
        if b.status is BookingStatus.CONFIRMED:
            lines[b.user_id] = RegisterLine(b.user_id, b.name, b.organisation, True)
        else:
            late.append(b.name)
    for m in db.session.execute(_REGISTER_MARKS, params):
        line = lines.get(m.user_id)
        if line is None:
            line = lines[m.user_id] = RegisterLine(m.user_id, m.name, m.organisation, False)
        if line.attendance_id is None:
            line.attendance_id, line.status, line.corrections = m.id, m.status, []
        if m.corrected_at is not None:
            line.corrections.append((m.corrected_at, m.old_status, m.new_status, m.reason))
    return sorted(lines.values(), key=lambda r: (r.name.lower(), r.user_id)), late


def register_rows(session: TrainingSession) -> list[RegisterRow]:
    """Everyone confirmed plus walk-ins, by name, with their mark if any."""
    return register_and_late_cancellations(session)[0]


def late_cancellations(session: TrainingSession) -> list[Booking]:
    return register_and_late_cancellations(session)[1]


def _check_register_open(session: TrainingSession) -> None:
    if session.status is SessionStatus.CANCELLED:
        raise Conflict("This session was cancelled.")
    if session.is_finalised:
        raise Conflict("The register is finalised. A coordinator can correct a mark, with a reason.")


def mark_attendance(session: TrainingSession, user: User, status: AttendanceStatus, by: User) -> Attendance:
    """Record one person's mark (booked people only; walk-ins are added with add_walk_in)."""
    _lock_session(session)
    _check_register_open(session)
    attendance = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id))
    if attendance is None:
        booking = db.session.scalar(select(Booking).where(
            Booking.session_id == session.id, Booking.user_id == user.id, Booking.status == BookingStatus.CONFIRMED))
        if booking is None:
            raise NotAllowed(f"{user.name} is not booked on this session. Add them as a walk-in.")
        attendance = Attendance(session_id=session.id, user_id=user.id, booking_id=booking.id, status=status)
        db.session.add(attendance)
    attendance.status = status
    attendance.marked_at = utcnow()
    attendance.marked_by_id = by.id
    db.session.flush()
    return attendance


def mark_everyone_present(session: TrainingSession, by: User) -> int:
    """Mark everyone not yet marked as present. Returns how many were marked."""
    n = 0
    for row in register_rows(session):
        if row.attendance is None:
            mark_attendance(session, row.user, AttendanceStatus.PRESENT, by)
            n += 1
    return n


def add_walk_in(session: TrainingSession, by: User, user: User | None = None, name: str = "", email: str = "") -> Attendance:
    """Add someone who turned up without a booking: an existing person, or a new one by name and
    email (they are invited to set a password). They are marked present."""
    from volunteer_hub.services.auth import normalise_email
    from volunteer_hub.services.people import invite_person

    _lock_session(session)
    _check_register_open(session)
    if user is None:
        email = normalise_email((email or "").strip())
        if not email or "@" not in email:
            raise ValidationFailed("Enter their email address.", "email")
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            name = (name or "").strip()
            if not name:
                raise ValidationFailed("Enter their name: they are new to the site.", "name")
            user = User(name=name[:120], email=email)
            user.role_rows = [UserRole(role=Role.VOLUNTEER)]
            db.session.add(user)
            db.session.flush()
            invite_person(user, invited_by=by)
    existing = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id))
    if existing is not None or db.session.scalar(select(Booking.id).where(
            Booking.session_id == session.id, Booking.user_id == user.id, Booking.status == BookingStatus.CONFIRMED)):
        raise Conflict(f"{user.name} is already on this register.", "email")
    attendance = Attendance(session_id=session.id, user_id=user.id, status=AttendanceStatus.PRESENT,
                            is_walk_in=True, marked_by_id=by.id)
    db.session.add(attendance)
    db.session.flush()
    return attendance


def finalise_register(session: TrainingSession, by: User) -> None:
    """Lock the register, record who and when, and issue certificates."""
    from volunteer_hub.services.certificates import sync_certificates_for_session

    session = _lock_session(session)
    _check_register_open(session)
    if session.starts_at > utcnow():
        raise Conflict("The register can be finalised once the session has started.")
    unmarked = [r.user.name for r in register_rows(session) if r.attendance is None]
    if unmarked:
        raise ValidationFailed(f"Mark everyone first. Not marked: {', '.join(unmarked)}.")
    session.finalised_at = utcnow()
    session.finalised_by_id = by.id
    session.status = SessionStatus.COMPLETED
    db.session.flush()
    sync_certificates_for_session(session, by=by)


def correct_attendance(attendance: Attendance, status: AttendanceStatus, reason: str, by: User) -> AttendanceCorrection:
    """A coordinator's change to a finalised register, kept in the history."""
    from volunteer_hub.services.certificates import sync_certificates_for_session

    session = _lock_session(attendance.session)
    if not session.is_finalised:
        raise Conflict("The register is not finalised yet: change the mark on the register.")
    if not by.has_role(Role.COORDINATOR, Role.ADMIN):
        raise NotAllowed("Only a coordinator can correct a finalised register.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give a reason for the correction.", "reason")
    if status is attendance.status:
        raise ValidationFailed("That is already the mark.", "status")
    correction = AttendanceCorrection(attendance=attendance, old_status=attendance.status, new_status=status,
                                      reason=reason[:500], corrected_by_id=by.id)
    attendance.status = status
    attendance.marked_at = utcnow()
    attendance.marked_by_id = by.id
    db.session.add(correction)
    db.session.flush()
    sync_certificates_for_session(session, by=by)
    return correction


# --- attendance figures --------------------------------------------------------------------
@dataclass
class Rate:
    label: str
    attended: int
    marked: int
    session: TrainingSession | None = None

    @property
    def percent(self) -> int | None:
        return round(100 * self.attended / self.marked) if self.marked else None


def attendance_rates() -> tuple[list[Rate], list[Rate], list[tuple[User, int]]]:
    """(per session, per course, no-shows per person) over finalised registers, in three queries."""
    attended = func.sum(case((Attendance.status.in_(ATTENDED), 1), else_=0))
    finalised = and_(TrainingSession.finalised_at.is_not(None))
    per_session = db.session.execute(
        select(TrainingSession, attended, func.count(Attendance.id))
        .join(Attendance, Attendance.session_id == TrainingSession.id).where(finalised)
        .group_by(TrainingSession.id).order_by(TrainingSession.starts_at.desc()).limit(100)
        .options(selectinload(TrainingSession.course))).all()
    per_course = db.session.execute(
        select(Course.title, attended, func.count(Attendance.id))
        .join(TrainingSession, TrainingSession.course_id == Course.id)
        .join(Attendance, Attendance.session_id == TrainingSession.id).where(finalised)
        .group_by(Course.id, Course.title).order_by(Course.title)).all()
    no_shows = db.session.execute(
        select(User, func.count(Attendance.id)).join(Attendance, Attendance.user_id == User.id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(finalised, Attendance.status == AttendanceStatus.ABSENT)
        .group_by(User.id).order_by(func.count(Attendance.id).desc(), User.name).limit(100)).all()
    return (
        [Rate(f"{s.course.title}", a or 0, m, s) for s, a, m in per_session],
        [Rate(t, a or 0, m) for t, a, m in per_course],
        [(u, n) for u, n in no_shows],
    )
