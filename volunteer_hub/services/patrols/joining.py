"""Joining and leaving a shift: under the shift's row lock (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's write transaction began with BEGIN IMMEDIATE), with a partial unique index behind it, so
the most people is never exceeded however many join at once."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from volunteer_hub import clock
from volunteer_hub.errors import Conflict, NotAllowed
from volunteer_hub.models import MemberStatus, PatrolMember, PatrolShift, User, db, utcnow
from volunteer_hub.services.patrols.common import clashing_shift, email_member, joined_count, lock_shift
from volunteer_hub.services.patrols.gating import reasons_cannot_join


def membership(shift: PatrolShift, user: User) -> PatrolMember | None:
    return db.session.scalar(select(PatrolMember).where(
        PatrolMember.shift_id == shift.id, PatrolMember.user_id == user.id, PatrolMember.status == MemberStatus.JOINED))


def join_shift(shift: PatrolShift, user: User) -> PatrolMember:
    if not user.is_confirmed:
        raise NotAllowed("Confirm your email address before joining a patrol.")
    shift = lock_shift(shift)
    if shift.is_cancelled:
        raise Conflict("This shift has been cancelled.")
    if shift.starts_at <= utcnow() or shift.is_started:
        raise Conflict("This shift has already started.")
    if membership(shift, user) is not None:
        raise Conflict("You are already on this shift.")
    reasons = reasons_cannot_join(user, shift)
    if reasons:
        raise NotAllowed(reasons[0].text)
    if joined_count(shift) >= shift.max_people:
        raise Conflict("This shift is full.")
    clash = clashing_shift(shift, user)
    if clash is not None:
        raise Conflict(f"You are already on {clash.title} at that time ({clock.format_local(clash.starts_at)}).")
    member = PatrolMember(shift_id=shift.id, user_id=user.id, status=MemberStatus.JOINED)
    db.session.add(member)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("You are already on this shift.") from None
    email_member(member, "joined", "On patrol: ", "patrol_joined")
    return member


def leave_shift(member: PatrolMember, *, by: User) -> PatrolMember:
    shift = lock_shift(member.shift)
    db.session.refresh(member)
    if not member.is_joined:
        raise Conflict("You have already left this shift.")
    if shift.is_started or shift.starts_at <= utcnow():
        raise Conflict("This shift has started: tell the shift lead instead.")
    if shift.lead_id == member.user_id:
        raise Conflict("You lead this shift: ask a coordinator to choose another lead before you leave.")
    member.status = MemberStatus.LEFT
    member.left_at = utcnow()
    return member
