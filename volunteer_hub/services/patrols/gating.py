"""Who may join a shift: a current certificate for each course it names and, if it asks, a DBS check,
both still good on the night. The reasons are in the volunteer's words, with the course to book."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select

from volunteer_hub import clock
from volunteer_hub.models import Certificate, PatrolShift, User, db


class Reason(NamedTuple):
    text: str
    course_id: int | None = None  # the course to book, when a certificate is what is missing


def _current_certificates(user_ids, course_ids) -> dict[tuple[int, int], Certificate]:
    """{(person, course): their current certificate} (Certificate.is_current: the one definition)."""
    if not user_ids or not course_ids:
        return {}
    rows = db.session.scalars(select(Certificate).where(
        Certificate.user_id.in_(user_ids), Certificate.course_id.in_(course_ids), Certificate.is_current()))
    return {(c.user_id, c.course_id): c for c in rows}


def _reasons(user: User, shift: PatrolShift, current: dict, on: dt.date, today: dt.date, you: bool) -> list[Reason]:
    reasons = []
    whose = "Your" if you else f"{user.name}'s"
    for course in shift.courses:
        certificate = current.get((user.id, course.id))
        title = course.title
        if certificate is None:
            reasons.append(Reason(f"{'You need' if you else f'{user.name} needs'} a current {title} certificate: "
                                  "book the course.", course.id))
        elif certificate.revoked_at is not None:
            reasons.append(Reason(f"{whose} {title} certificate was revoked: book the course again.", course.id))
        elif certificate.expires_on is not None and certificate.expires_on < on:
            verb = "expired" if certificate.expires_on < today else "runs out"
            when = clock.format_local(certificate.expires_on)
            tail = "" if certificate.expires_on < today else ", before this shift"
            reasons.append(Reason(f"{whose} {title} certificate {verb} on {when}{tail}: book a refresher.", course.id))
    if shift.needs_dbs:
        if user.dbs_renew_by is None:
            reasons.append(Reason(f"{'You need' if you else f'{user.name} needs'} a current DBS check: "
                                  "ask your coordinator."))
        elif user.dbs_renew_by < on:
            verb = "ran out" if user.dbs_renew_by < today else "runs out"
            reasons.append(Reason(f"{whose} DBS check {verb} on {clock.format_local(user.dbs_renew_by)}: "
                                  "ask your coordinator to renew it."))
    return reasons


def reasons_cannot_join(user: User, shift: PatrolShift) -> list[Reason]:
    """Why `user` may not join `shift` (empty: they may). Checked on the night's date."""
    return reasons_for(user, shift, you=True)


def reasons_for(user: User, shift: PatrolShift, *, you: bool) -> list[Reason]:
    """The same reasons, said to the person (`you`) or about them (to the coordinator naming a lead)."""
    current = _current_certificates([user.id], [c.id for c in shift.courses])
    return _reasons(user, shift, current, clock.local_date(shift.starts_at), clock.today(), you=you)


def members_not_qualified(shift: PatrolShift, members) -> dict[int, list[Reason]]:
    """{member id: reasons} for people on the shift whose certificate or DBS check will not be good on the
    night (it lapsed or was revoked after they joined): the coordinator's flags. Nobody is removed."""
    current = _current_certificates([m.user_id for m in members], [c.id for c in shift.courses])
    on, today = clock.local_date(shift.starts_at), clock.today()
    flags = {}
    for member in members:
        reasons = _reasons(member.user, shift, current, on, today, you=False)
        if reasons:
            flags[member.id] = reasons
    return flags
