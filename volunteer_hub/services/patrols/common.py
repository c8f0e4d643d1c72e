"""What the patrol writes share: the shift's row lock, who is on it, the emails to the people on it."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from volunteer_hub import clock
from volunteer_hub.models import MemberStatus, PatrolMember, PatrolShift, ShiftStatus, User, db
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url


def lock_shift(shift: PatrolShift) -> PatrolShift:
    """Hold the shift's row lock until the transaction ends, and see its latest state."""
    return db.session.scalars(select(PatrolShift).where(PatrolShift.id == shift.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def joined_count(shift: PatrolShift) -> int:
    return db.session.scalar(select(func.count()).select_from(PatrolMember).where(
        PatrolMember.shift_id == shift.id, PatrolMember.status == MemberStatus.JOINED))


def joined_members(shift: PatrolShift) -> list[PatrolMember]:
    return list(db.session.scalars(select(PatrolMember).where(
        PatrolMember.shift_id == shift.id, PatrolMember.status == MemberStatus.JOINED)
        .options(selectinload(PatrolMember.user)).order_by(PatrolMember.id)
        .execution_options(populate_existing=True)))


def clashing_shift(shift: PatrolShift, user: User) -> PatrolShift | None:
    """Another shift (not cancelled) the person is on that overlaps this one."""
    return db.session.scalar(select(PatrolShift).join(PatrolMember).where(
        PatrolMember.user_id == user.id, PatrolMember.status == MemberStatus.JOINED, PatrolShift.id != shift.id,
        PatrolShift.status != ShiftStatus.CANCELLED,
        PatrolShift.starts_at < shift.ends_at, PatrolShift.ends_at > shift.starts_at).limit(1))


def email_member(member, kind: str, prefix: str, template: str, **ctx) -> bool:
    shift = member.shift
    return queue_email(
        key=f"patrol-member:{member.id}:{kind}", recipient=member.user.email, recipient_id=member.user_id,
        subject=f"{prefix}{shift.title}, {clock.format_local(shift.starts_at)}", template=template,
        member=member, user=member.user, shift=shift, times=clock.time_range(shift.starts_at, shift.ends_at),
        shift_url=external_url("patrols.shift", shift_id=shift.id), **ctx)


def home_safe_minutes() -> tuple[int, int]:
    """Minutes after a shift's end before the first and the second escalation."""
    return current_app.config["VH_PATROL_HOME_SAFE_MINUTES"], current_app.config["VH_PATROL_SECOND_ESCALATION_MINUTES"]
