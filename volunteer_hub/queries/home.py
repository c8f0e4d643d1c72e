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

from sqlalchemy import bindparam, func, select, true

from volunteer_hub.models import (
    AssetLoan,
    Booking,
    BookingStatus,
    Course,
    Holder,
    Item,
    StockBalance,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.models.equipment import item_noun
from volunteer_hub.models.training import ACTIVE_BOOKING_STATUSES, session_trainers


class PanelSession(NamedTuple):
    id: int
    course_title: str
    starts_at: dt.datetime
    booking_status: BookingStatus | None = None  # for a booking: confirmed, waitlisted or offered


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
)


def next_booking(user: User) -> PanelSession | None:
    """The session of `user`'s next active booking (confirmed or on the waitlist), if any."""
    row = db.session.execute(_NEXT_BOOKING, {"user_id": user.id, "now": utcnow()}).first()
    return PanelSession(*row) if row else None


def sessions_taught(user: User, limit: int = 3) -> list[PanelSession]:
    """The next `limit` sessions `user` teaches that have not ended yet."""
    rows = db.session.execute(_TEACHING, {"user_id": user.id, "now": utcnow(), "limit": limit})
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
