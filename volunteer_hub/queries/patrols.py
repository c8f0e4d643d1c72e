"""Readers for the patrol pages: one function per page, each a fixed number of queries."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from volunteer_hub import clock
from volunteer_hub.models import (
    Item,
    KitCount,
    MemberStatus,
    MovementKind,
    PatrolMember,
    PatrolShift,
    PatrolTally,
    Place,
    ShiftStatus,
    StockMovement,
    TallyKind,
    User,
    db,
    utcnow,
)
from volunteer_hub.pagination import CappedPage, paginate_capped
from volunteer_hub.queries.sql import hours_between
from volunteer_hub.security import scope_to_viewer, sees_whole_patrol


class ShiftCard(NamedTuple):
    shift: PatrolShift
    joined: int
    mine: bool


def upcoming_shifts(viewer: User, page: int, per_page: int) -> CappedPage:
    """Shifts not yet ended, soonest first, with how many are on each and whether the viewer is."""
    stmt = (select(PatrolShift).where(PatrolShift.ends_at > utcnow())
            .order_by(PatrolShift.starts_at, PatrolShift.id))
    result = paginate_capped(stmt, page, per_page)
    ids = [s.id for s in result.items]
    counts = dict(db.session.execute(select(PatrolMember.shift_id, func.count()).where(
        PatrolMember.shift_id.in_(ids), PatrolMember.status == MemberStatus.JOINED)
        .group_by(PatrolMember.shift_id)).all()) if ids else {}
    mine = set(db.session.scalars(select(PatrolMember.shift_id).where(
        PatrolMember.shift_id.in_(ids), PatrolMember.user_id == viewer.id,
        PatrolMember.status == MemberStatus.JOINED))) if ids else set()
    result.items = [ShiftCard(s, counts.get(s.id, 0), s.id in mine) for s in result.items]
    return result


def get_shift(shift_id: int) -> PatrolShift | None:
    return db.session.get(PatrolShift, shift_id, options=[
        selectinload(PatrolShift.courses), joinedload(PatrolShift.lead), joinedload(PatrolShift.on_call)])


def members_of(shift: PatrolShift, viewer: User) -> list[PatrolMember]:
    """Everyone on the shift (joined) the viewer may see, by name, with their person (phone,
    emergency contact): the lead sees all of their shift; staff the people of their agencies."""
    stmt = (select(PatrolMember).join(PatrolMember.user).where(
        PatrolMember.shift_id == shift.id, PatrolMember.status == MemberStatus.JOINED)
        .options(joinedload(PatrolMember.user)).order_by(User.name, PatrolMember.id))
    if not sees_whole_patrol(viewer, shift):
        stmt = scope_to_viewer(stmt, viewer, PatrolMember.user_id)
    return list(db.session.scalars(stmt))


def joined_count(shift: PatrolShift) -> int:
    return db.session.scalar(select(func.count()).select_from(PatrolMember).where(
        PatrolMember.shift_id == shift.id, PatrolMember.status == MemberStatus.JOINED))


def my_membership(shift: PatrolShift, user: User) -> PatrolMember | None:
    return db.session.scalar(select(PatrolMember).where(
        PatrolMember.shift_id == shift.id, PatrolMember.user_id == user.id, PatrolMember.status == MemberStatus.JOINED))


def tallies(shift: PatrolShift) -> list[tuple[TallyKind, int]]:
    counts = dict(db.session.execute(select(PatrolTally.kind, PatrolTally.count).where(
        PatrolTally.shift_id == shift.id)).all())
    return [(kind, counts.get(kind, 0)) for kind in TallyKind]


def counted_phases(member: PatrolMember) -> set[str]:
    """"out", "in": which counts of the kit bag this shift has had."""
    return {p.value for p in db.session.scalars(select(KitCount.phase).where(KitCount.member_id == member.id).distinct())}


class ShiftHandOut(NamedTuple):
    item: str
    place: str
    quantity: int


def hand_outs(shift: PatrolShift) -> list[ShiftHandOut]:
    """What the shift handed out, by item and place (never to whom)."""
    place = func.coalesce(Place.name, StockMovement.place_text, "")
    rows = db.session.execute(
        select(Item.name, place, func.sum(StockMovement.quantity))
        .join(Item, Item.id == StockMovement.item_id).outerjoin(Place, Place.id == StockMovement.place_id)
        .where(StockMovement.patrol_shift_id == shift.id, StockMovement.kind == MovementKind.HAND_OUT)
        .group_by(Item.name, place).order_by(Item.name, place)).all()
    return [ShiftHandOut(*row) for row in rows]


def patrol_hours():
    """SQL: a person's hours on a shift (patrol_members joined to patrol_shifts): from the register
    being taken to their check-out, at most to the planned end (the end if they never checked out)."""
    s, pm = PatrolShift, PatrolMember
    until = case((and_(pm.home_safe_at.is_not(None), pm.home_safe_at < s.ends_at), pm.home_safe_at), else_=s.ends_at)
    return func.coalesce(func.sum(case((until > s.started_at, hours_between(s.started_at, until)), else_=0.0)), 0.0)


class MyPatrols(NamedTuple):
    upcoming: list[PatrolShift]
    hours_this_year: float
    shifts_this_year: int


def my_patrols(user: User) -> MyPatrols:
    """A volunteer's own record: their next shifts and their hours on patrol this (calendar) year."""
    now = utcnow()
    upcoming = list(db.session.scalars(select(PatrolShift).join(PatrolMember).where(
        PatrolMember.user_id == user.id, PatrolMember.status == MemberStatus.JOINED,
        PatrolShift.ends_at > now, PatrolShift.status == ShiftStatus.SCHEDULED)
        .order_by(PatrolShift.starts_at).limit(5)))
    year_start = clock.start_of_day(dt.date(clock.today().year, 1, 1))
    hours, shifts = db.session.execute(select(patrol_hours(), func.count()).select_from(PatrolMember).join(
        PatrolShift).where(PatrolMember.user_id == user.id, PatrolMember.came.is_(True),
                           PatrolShift.status == ShiftStatus.SCHEDULED, PatrolShift.started_at.is_not(None),
                           PatrolShift.starts_at >= year_start)).one()
    return MyPatrols(upcoming, round(float(hours), 1), shifts)


def escalated_members(viewer: User) -> list[PatrolMember]:
    """People not home safe whose alert has gone out, on shifts the viewer leads or is on call for
    (staff: all): the home page shows them in red."""
    from volunteer_hub.security import is_staff

    stmt = (select(PatrolMember).join(PatrolMember.shift).where(
        PatrolMember.escalation_level > 0, PatrolMember.home_safe_at.is_(None),
        PatrolShift.ends_at > utcnow() - dt.timedelta(days=2))
        .options(joinedload(PatrolMember.user), joinedload(PatrolMember.shift)).order_by(PatrolShift.ends_at))
    if not is_staff(viewer):
        stmt = stmt.where((PatrolShift.lead_id == viewer.id) | (PatrolShift.on_call_id == viewer.id))
    return list(db.session.scalars(stmt.limit(20)))
