"""Training's readers, one per page: the session list, the session page, My training, a trainer's sessions.

A reader never writes. An offer past its deadline reads as lapsed here (`Booking.offer_lapsed`) until the
next write or the offers job makes it so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload, load_only, selectinload

from volunteer_hub import clock
from volunteer_hub.models import (
    ACTIVE,
    HOLDING,
    MAX_SESSION,
    WAITING,
    Attendance,
    Booking,
    BookingStatus,
    CalendarFeed,
    Course,
    Organisation,
    SessionStatus,
    TrainingSession,
    User,
    db,
    session_trainers,
    utcnow,
)


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
        values.update(month_from=clock.local_to_utc(first, dt.time(0)), month_to=clock.local_to_utc(nxt, dt.time(0)))
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
           _bookings_counted(_OTHER.offer_lapsed(bindparam("now"))).label("lapsed"),
           _MINE.id.label("booking_id"), _MINE.status.label("booking_status"),
           _MINE.offer_expires_at.label("booking_offer_expires_at"),
           _bookings_counted(_OTHER.status.in_(WAITING), ~_OTHER.offer_lapsed(bindparam("now")),
                             _OTHER.queue_number < _MINE.queue_number).label("ahead"),
           User.id.label("trainer_id"), User.name.label("trainer_name"))
    .join(Course, Course.id == TrainingSession.course_id)
    .outerjoin(_PREREQUISITE, _PREREQUISITE.id == Course.prerequisite_id)
    .outerjoin(_MINE, and_(_MINE.session_id == TrainingSession.id, _MINE.user_id == bindparam("user_id"),
                           _MINE.status.in_(ACTIVE), ~_MINE.offer_lapsed(bindparam("now"))))
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
    """What the session page shows of a session (read-only), in one query. An offer past its deadline
    reads as lapsed (`Booking.offer_lapsed`): the page never writes."""
    session: object  # a row with the session's columns, course_title, course_summary, ...
    trainers: list[Trainer]  # by name
    held: int  # places held (confirmed or offered)
    waiting: int
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
    # Offers past their deadline read as lapsed: their places go to the first people waiting.
    passed_on = min(first.lapsed, first.waiting)
    return SessionPage(
        session=first,
        trainers=[Trainer(r.trainer_id, r.trainer_name) for r in rows if r.trainer_id is not None],
        held=first.held - first.lapsed + passed_on, waiting=first.waiting - passed_on, booking=booking,
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
        and_(Booking.status == BookingStatus.CANCELLED, Booking.is_late_cancellation.is_(True))),
        ~Booking.offer_lapsed(bindparam("now")))
    .order_by(Booking.queue_number)
)


def session_booking_rows(session_id: int) -> tuple[list, list[str]]:
    """(the session's active bookings as rows: id, user_id, status, offer_expires_at, name,
    organisation; in queue order) and the names of its late cancellations, in one query."""
    active, late = [], []
    for row in db.session.execute(_SESSION_BOOKINGS, {"session_id": session_id, "now": utcnow()}):
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




def feed_token(user: User) -> str | None:
    """The person's calendar link token, if they have made one (My training offers a button to make it)."""
    return db.session.scalar(select(CalendarFeed.token).where(CalendarFeed.user_id == user.id))
