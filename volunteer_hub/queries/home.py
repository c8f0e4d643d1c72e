"""What the home page's panels show of each area, read as rows.

Every signed-in visit draws the panels, and each shows a line or two: the next booking, the
sessions someone teaches, what is in their kit bag. Loading bookings, sessions, balances and
loans as objects (and every booking, to pick the next one) cost more than the rest of the page,
so the panels read the columns they show, with statements built once. The rules stay where they
are: the same choice of rows as the areas' own pages (see each function).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, null, or_, select, true

from volunteer_hub import clock
from volunteer_hub.models import (
    AssetLoan,
    Booking,
    BookingStatus,
    Course,
    Holder,
    Item,
    SessionStatus,
    StockBalance,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.models.equipment import item_noun
from volunteer_hub.models.training import ACTIVE_BOOKING_STATUSES, WAITING, session_trainers
from volunteer_hub.queries.sql import unindexed


class PanelSession(NamedTuple):
    id: int
    course_title: str
    starts_at: dt.datetime
    booking_status: BookingStatus | None = None  # for a booking: confirmed, waitlisted or offered
    offer_expires_at: dt.datetime | None = None  # an offered place: answer by then
    taken: int | None = None  # for a session taught: places taken
    capacity: int | None = None


# The person's next active booking of a session that has not started (a tie: the later booking).
_NEXT_BOOKING = (
    select(TrainingSession.id, Course.title, TrainingSession.starts_at, Booking.status)
    .join(Booking, Booking.session_id == TrainingSession.id)
    .join(Course, Course.id == TrainingSession.course_id)
    .where(Booking.user_id == bindparam("user_id"), Booking.status.in_(ACTIVE_BOOKING_STATUSES),
           TrainingSession.starts_at > bindparam("now"))
    .order_by(TrainingSession.starts_at, Booking.id.desc())
    .limit(1)
)

# Sessions the person teaches that have not ended, soonest first (as `trainer_sessions`, which
# the teaching page lists: cancelled ones too).
_TEACHING = (
    select(TrainingSession.id, Course.title, TrainingSession.starts_at)
    .join(session_trainers, session_trainers.c.session_id == TrainingSession.id)
    .join(Course, Course.id == TrainingSession.course_id)
    .where(session_trainers.c.user_id == bindparam("user_id"), TrainingSession.ends_at > bindparam("now"))
    .order_by(TrainingSession.starts_at, TrainingSession.id)
    .limit(bindparam("limit"))
    # SQLite (no statistics) took the index on status, which nearly every session shares, and
    # sorted the whole window (500 sessions at scale 100); the index on the start, which also
    # orders by id, reads the first eight and stops. PostgreSQL's planner needs no hint.
    .with_hint(TrainingSession, "INDEXED BY ix_training_sessions_starts_at", "sqlite")
)


def next_booking(user: User) -> PanelSession | None:
    """The session of `user`'s next active booking (confirmed or on the waitlist), if any."""
    row = db.session.execute(_NEXT_BOOKING, {"user_id": user.id, "now": utcnow()}).first()
    return PanelSession(*row) if row else None


# The person's next active bookings (as _NEXT_BOOKING), an offer past its deadline left out (it
# reads as lapsed: Booking.offer_lapsed), with the offer's deadline.
_UPCOMING = (
    select(TrainingSession.id, Course.title, TrainingSession.starts_at, Booking.status, Booking.offer_expires_at)
    .join(Booking, Booking.session_id == TrainingSession.id)
    .join(Course, Course.id == TrainingSession.course_id)
    .where(Booking.user_id == bindparam("user_id"), Booking.status.in_(ACTIVE_BOOKING_STATUSES),
           ~Booking.offer_lapsed(bindparam("now")), TrainingSession.starts_at > bindparam("now"))
    .order_by(TrainingSession.starts_at, Booking.id.desc())
    .limit(bindparam("limit"))
)


def upcoming_bookings(user: User, limit: int = 3) -> list[PanelSession]:
    """`user`'s next `limit` active bookings still to come, soonest first (offers with their deadline)."""
    rows = db.session.execute(_UPCOMING, {"user_id": user.id, "now": utcnow(), "limit": limit})
    return [PanelSession(*row) for row in rows]


def _taken():
    return (select(func.count()).select_from(Booking)
            .where(Booking.session_id == TrainingSession.id, Booking.status == BookingStatus.CONFIRMED)
            .correlate(TrainingSession).scalar_subquery())


_TEACHING_WITH_PLACES = (
    select(TrainingSession.id, Course.title, TrainingSession.starts_at, null(), null(), _taken(),
           TrainingSession.capacity)
    .join(session_trainers, session_trainers.c.session_id == TrainingSession.id)
    .join(Course, Course.id == TrainingSession.course_id)
    .where(session_trainers.c.user_id == bindparam("user_id"), TrainingSession.ends_at > bindparam("now"))
    .order_by(TrainingSession.starts_at, TrainingSession.id)
    .limit(bindparam("limit"))
    # SQLite (no statistics) took the index on status, which nearly every session shares, and
    # sorted the whole window (500 sessions at scale 100); the index on the start, which also
    # orders by id, reads the first eight and stops. PostgreSQL's planner needs no hint.
    .with_hint(TrainingSession, "INDEXED BY ix_training_sessions_starts_at", "sqlite")
)


def sessions_taught(user: User, limit: int = 3) -> list[PanelSession]:
    """The next `limit` sessions `user` teaches that have not ended yet, with places taken."""
    rows = db.session.execute(_TEACHING_WITH_PLACES, {"user_id": user.id, "now": utcnow(), "limit": limit})
    return [PanelSession(*row) for row in rows]


# Registers still open: sessions the person teaches that have ended, not cancelled, not finalised.
_UNFINALISED = (
    select(TrainingSession.id, Course.title, TrainingSession.starts_at)
    .join(session_trainers, session_trainers.c.session_id == TrainingSession.id)
    .join(Course, Course.id == TrainingSession.course_id)
    .where(session_trainers.c.user_id == bindparam("user_id"), TrainingSession.ends_at <= bindparam("now"),
           TrainingSession.finalised_at.is_(None), TrainingSession.status != SessionStatus.CANCELLED)
    .order_by(TrainingSession.starts_at, TrainingSession.id)
    .limit(bindparam("limit"))
    # SQLite (no statistics) took the index on status, which nearly every session shares, and
    # sorted the whole window (500 sessions at scale 100); the index on the start, which also
    # orders by id, reads the first eight and stops. PostgreSQL's planner needs no hint.
    .with_hint(TrainingSession, "INDEXED BY ix_training_sessions_starts_at", "sqlite")
)


def registers_to_finalise(user: User, limit: int = 5) -> list[PanelSession]:
    """Sessions `user` taught whose register is not finalised yet, oldest first."""
    rows = db.session.execute(_UNFINALISED, {"user_id": user.id, "now": utcnow(), "limit": limit})
    return [PanelSession(*row) for row in rows]


class KitBagLine(NamedTuple):
    quantity: int
    noun: str  # "personal alarm", "personal alarms"


class KitBagSummary(NamedTuple):
    lines: list[KitBagLine]  # what the bag holds, by item name
    loans: int  # items on loan, not returned


# One row per item in the bag (or one empty row), each carrying the number of items on loan:
# the bag and the loans in one query.
_LOANS = (
    select(func.count().label("loans"))
    .where(AssetLoan.user_id == bindparam("user_id"), AssetLoan.returned_at.is_(None))
    .subquery("loans")
)
_HELD = (
    select(StockBalance.quantity, Item.name, Item.plural)
    .join(Holder, Holder.id == StockBalance.holder_id)
    .join(Item, Item.id == StockBalance.item_id)
    .where(Holder.user_id == bindparam("user_id"), StockBalance.quantity > 0)
    .subquery("held")
)
_KIT_BAG = (
    select(_LOANS.c.loans, _HELD.c.quantity, _HELD.c.name, _HELD.c.plural)
    .select_from(_LOANS.outerjoin(_HELD, true()))
    .order_by(_HELD.c.name)
)


def kit_bag_summary(user: User) -> KitBagSummary:
    """What `user`'s kit bag holds (as `kit_bag_with_balances`) and how many items they have on loan
    (as `loans_for`)."""
    rows = db.session.execute(_KIT_BAG, {"user_id": user.id}).all()
    lines = [KitBagLine(r.quantity, item_noun(r.name, r.plural, r.quantity)) for r in rows if r.quantity is not None]
    return KitBagSummary(lines, rows[0][0] if rows else 0)


@dataclass(frozen=True)
class ErasureRequests:
    open: int
    next_due: dt.date | None


def erasure_requests_summary() -> ErasureRequests:
    """For an admin's home page: open erasure requests and the nearest deadline, in one query."""
    from volunteer_hub.models import ErasureRequest

    count, due = db.session.execute(
        select(func.count(ErasureRequest.id), func.min(ErasureRequest.due_on)).where(ErasureRequest.closed_at.is_(None))
    ).one()
    return ErasureRequests(count, due)


# --- staff: what needs doing ------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffSummary:
    dbs_lapsing: int  # DBS renewal due in the next 90 days (people the viewer sees)
    unconfirmed: int  # accounts whose email is not confirmed (people the viewer sees)
    failing_emails: int  # given up, or failed three times and still trying
    overdue_loans: int  # returnable kit past its due date (people the viewer sees)
    handed_out_week: int  # items handed out in the last 7 days (partnership-wide)


DBS_DAYS = 90
FAILING_ATTEMPTS = 3


def staff_summary(viewer: User) -> StaffSummary:
    """The coordinator's to-do counts, in one query (scalar subqueries), whatever the data."""
    from volunteer_hub.models import HandOutTotal, OutboxMessage, OutboxStatus, TotalGrain
    from volunteer_hub.security import visible_people

    today = clock.today()

    def people(*conditions):
        return (select(func.count()).select_from(User)
                .where(User.is_active.is_(True), User.erased_at.is_(None), visible_people(viewer), *conditions)
                .scalar_subquery())

    row = db.session.execute(select(
        people(User.dbs_renew_by >= today, User.dbs_renew_by <= today + dt.timedelta(days=DBS_DAYS)),
        people(User.confirmed_at.is_(None)),
        select(func.count()).select_from(OutboxMessage)
        .where(or_(OutboxMessage.status == OutboxStatus.FAILED,
                   and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.attempts >= FAILING_ATTEMPTS)))
        .scalar_subquery(),
        select(func.count()).select_from(AssetLoan)
        .where(AssetLoan.returned_at.is_(None), AssetLoan.due_on < today, visible_people(viewer, AssetLoan.user_id))
        .scalar_subquery(),
        select(func.coalesce(func.sum(HandOutTotal.quantity), 0))
        .where(HandOutTotal.grain == TotalGrain.DAY, HandOutTotal.period_start >= today - dt.timedelta(days=6))
        .scalar_subquery(),
    )).one()
    return StaffSummary(*row)


class ComingSession(NamedTuple):
    id: int
    course_title: str
    starts_at: dt.datetime
    capacity: int
    taken: int
    waiting: int


def _waiting():
    return (select(func.count()).select_from(Booking)
            .where(Booking.session_id == TrainingSession.id, Booking.status.in_(WAITING),
                   ~Booking.offer_lapsed(bindparam("now")))
            .correlate(TrainingSession).scalar_subquery())


_COMING = (
    select(TrainingSession.id, Course.title, TrainingSession.starts_at, TrainingSession.capacity, _taken(), _waiting())
    .join(Course, Course.id == TrainingSession.course_id)
    .where(TrainingSession.starts_at > bindparam("now"), TrainingSession.starts_at <= bindparam("until"),
           # Not through the index on status, which nearly every session shares (SQLite took it and
           # sorted the whole window, 500 sessions at scale 100): the index on the start, which
           # also orders by id, reads the first eight and stops.
           unindexed(TrainingSession.status) == SessionStatus.SCHEDULED)
    .order_by(TrainingSession.starts_at, TrainingSession.id)
    .limit(bindparam("limit"))
)


def coming_sessions(weeks: int = 4, limit: int = 8) -> list[ComingSession]:
    """The next `weeks` weeks' sessions with places taken and people waiting, soonest first."""
    now = utcnow()
    rows = db.session.execute(_COMING, {"now": now, "until": now + dt.timedelta(weeks=weeks), "limit": limit})
    return [ComingSession(*row) for row in rows]
