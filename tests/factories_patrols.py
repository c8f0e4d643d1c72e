"""Patrol test data: people cleared to patrol, shifts written directly (any time, past or future,
no rules), and places on them. The services' own rules are exercised by calling the services."""
from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from tests.factories import make_user
from volunteer_hub import clock
from volunteer_hub.models import MemberStatus, OutboxMessage, PatrolMember, PatrolShift, Role, User, db

_counter = itertools.count(1)


def make_patroller(*roles: Role, dbs_renew_by: dt.date | None = dt.date(2030, 1, 1), **values) -> User:
    """A confirmed person with a DBS check good until 2030, a phone and an emergency contact."""
    user = make_user(*roles, **values)
    user.dbs_checked_on = dt.date(2025, 1, 1) if dbs_renew_by else None
    user.dbs_renew_by = dbs_renew_by
    user.phone = user.phone or "07700 900123"
    user.emergency_contact_name = user.emergency_contact_name or "Sam Next-of-kin"
    user.emergency_contact_phone = user.emergency_contact_phone or "07700 900999"
    db.session.commit()
    return user


def make_shift(*, starts_at: dt.datetime | None = None, day: dt.date | None = None, start: dt.time = dt.time(22, 0),
               hours: float = 5, title: str | None = None, courses=(), started: bool = False, **values) -> PatrolShift:
    """A shift starting at `starts_at` (UTC), or at `start` (London) on the London date `day`;
    written directly, so it may be in the past."""
    if starts_at is None:
        starts_at = clock.local_to_utc(day, start)
    values.setdefault("needs_dbs", True)
    shift = PatrolShift(title=title or f"Patrol {next(_counter)}", starts_at=starts_at,
                        ends_at=starts_at + dt.timedelta(hours=hours), courses=list(courses), **values)
    if started:
        shift.started_at = starts_at
    db.session.add(shift)
    db.session.commit()
    return shift


def add_member(shift: PatrolShift, user: User, *, came: bool | None = None,
               status: MemberStatus = MemberStatus.JOINED) -> PatrolMember:
    """A place on a shift written directly (no rules, no emails)."""
    member = PatrolMember(shift_id=shift.id, user_id=user.id, status=status, came=came)
    db.session.add(member)
    db.session.commit()
    return member


def outbox(key_contains: str = "") -> list[OutboxMessage]:
    """The queued emails (oldest first) whose key contains `key_contains`."""
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [m for m in rows if key_contains in m.key]
