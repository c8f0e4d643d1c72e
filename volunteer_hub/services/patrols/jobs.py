"""The patrols' scheduled work (run by `flask jobs run` every 5 minutes): the reminder the day
before, the warning for a shift with too few people, and the home-safe escalation. Each is exactly
once however often it runs, and safe when two runs overlap: the member's escalation level moves up
by one guarded UPDATE, and every email has a unique outbox key."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from volunteer_hub import clock
from volunteer_hub.models import MemberStatus, PatrolMember, PatrolShift, Role, ShiftStatus, User, UserRole, db, utcnow
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.services.patrols.common import email_member, home_safe_minutes
from volunteer_hub.services.patrols.rota import WEEKDAYS, decision_deadline
from volunteer_hub.urls import external_url


def send_shift_reminders(now: dt.datetime | None = None) -> int:
    """The day before: everyone on a shift that starts in the next 24 hours gets one reminder."""
    now = now or utcnow()
    members = db.session.scalars(
        select(PatrolMember).join(PatrolMember.shift).where(
            PatrolMember.status == MemberStatus.JOINED, PatrolShift.status == ShiftStatus.SCHEDULED,
            PatrolShift.starts_at > now, PatrolShift.starts_at <= now + dt.timedelta(hours=24))
        .options(selectinload(PatrolMember.user), selectinload(PatrolMember.shift)))
    today = clock.local_date(now)
    sent = 0
    for m in members:
        day = "tomorrow" if clock.local_date(m.shift.starts_at) > today else "today"
        sent += email_member(m, "reminder", f"{day.capitalize()}: ", "patrol_reminder", day=day)
    return sent


def short_message(shift: PatrolShift, people: int) -> str:
    """"Only 1 person on Saturday's patrol: it will be cancelled if nobody joins by Friday 6pm"."""
    night = WEEKDAYS[clock.to_local(shift.starts_at).weekday()]
    deadline = decision_deadline(shift)
    when = f"{WEEKDAYS[clock.to_local(deadline).weekday()]} {clock.format_local(deadline, 'time')}"
    who = "Nobody is on" if people == 0 else f"Only {people} {'person' if people == 1 else 'people'} on"
    return f"{who} {night}'s patrol: it will be cancelled if nobody joins by {when}."


def _coordinators_for(shift: PatrolShift) -> list[User]:
    """Who hears about a shift: its on-call coordinator, or (none named) every admin."""
    if shift.on_call is not None and shift.on_call.is_active:
        return [shift.on_call]
    return list(db.session.scalars(select(User).join(UserRole).where(
        UserRole.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.id)))


def warn_short_shifts(now: dt.datetime | None = None) -> int:
    """48 hours before the start, a shift below its minimum (and not confirmed by a coordinator) is
    flagged to its coordinator and to the people on it, once."""
    now = now or utcnow()
    hours = current_app.config["VH_PATROL_SHORT_WARNING_HOURS"]
    joined = (select(func.count()).where(PatrolMember.shift_id == PatrolShift.id,
                                         PatrolMember.status == MemberStatus.JOINED).scalar_subquery())
    rows = db.session.execute(select(PatrolShift, joined.label("people")).where(
        PatrolShift.status == ShiftStatus.SCHEDULED, PatrolShift.confirmed_at.is_(None),
        PatrolShift.starts_at > now, PatrolShift.starts_at <= now + dt.timedelta(hours=hours),
        joined < PatrolShift.min_people)).all()
    sent = 0
    for shift, people in rows:
        message = short_message(shift, people)
        url = external_url("patrols.shift", shift_id=shift.id)
        for member in db.session.scalars(select(PatrolMember).where(
                PatrolMember.shift_id == shift.id, PatrolMember.status == MemberStatus.JOINED)
                .options(selectinload(PatrolMember.user))):
            sent += email_member(member, "short", "Too few people: ", "patrol_short", message=message)
        for coordinator in _coordinators_for(shift):
            sent += queue_email(
                key=f"patrol:{shift.id}:short:{coordinator.id}", recipient=coordinator.email,
                recipient_id=coordinator.id, subject=f"Too few people: {shift.title}, "
                f"{clock.format_local(shift.starts_at)}", template="patrol_short_coordinator", shift=shift,
                user=coordinator, message=message, shift_url=url,
                deadline=clock.format_local(decision_deadline(shift), "long"))
    return sent


def escalate_missing_check_outs(now: dt.datetime | None = None) -> int:
    """Someone who came but has not said "I'm home safe" 45 minutes after the end (a setting): the lead
    and the on-call coordinator get an email with the emergency contact; again at 90 minutes."""
    now = now or utcnow()
    first, second = home_safe_minutes()
    due = db.session.scalars(
        select(PatrolMember).join(PatrolMember.shift).where(
            PatrolMember.status == MemberStatus.JOINED, PatrolMember.came.is_(True),
            PatrolMember.home_safe_at.is_(None), PatrolMember.escalation_level < 2,
            PatrolShift.status == ShiftStatus.SCHEDULED, PatrolShift.started_at.is_not(None),
            PatrolShift.ends_at <= now - dt.timedelta(minutes=first),
            PatrolShift.ends_at > now - dt.timedelta(days=2))
        .options(selectinload(PatrolMember.user), selectinload(PatrolMember.shift).selectinload(PatrolShift.lead))
        .order_by(PatrolMember.id)).all()
    sent = 0
    for member in due:
        late = now - member.shift.ends_at
        level = 2 if late >= dt.timedelta(minutes=second) else 1
        # The guarded step up: of two overlapping runs, one moves the level and sends; the other finds it moved.
        moved = db.session.execute(
            update(PatrolMember).where(PatrolMember.id == member.id, PatrolMember.escalation_level < level,
                                       PatrolMember.home_safe_at.is_(None))
            .values(escalation_level=level).execution_options(synchronize_session=False)).rowcount
        if not moved:
            continue
        minutes = int(late.total_seconds() // 60)
        recipients = {u.id: u for u in [member.shift.lead, *_coordinators_for(member.shift)]
                      if u is not None and u.id != member.user_id and u.is_active}
        for person in recipients.values():
            sent += queue_email(
                key=f"patrol-member:{member.id}:home-safe:{level}:{person.id}", recipient=person.email,
                recipient_id=person.id,
                subject=f"{'Second alert' if level == 2 else 'Not home safe'}: {member.user.name} has not "
                        f"checked out ({minutes} minutes)", template="patrol_not_home_safe",
                member=member, shift=member.shift, user=person, level=level, minutes=minutes,
                lead_url=external_url("patrols.lead", shift_id=member.shift_id))
    return sent
