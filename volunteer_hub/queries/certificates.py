"""Certificates' readers: a person's certificates, verification, and the expiring lists.

"Current" certificate for a person and a course is decided once, in SQL (`Certificate.is_current`):
among the ones not withdrawn, the one that lasts longest (never-expiring beats any date; then the
later issue date, then the later id). A renewal therefore simply becomes the current one; every
certificate stays in the history.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    Date,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import joinedload

from volunteer_hub import clock
from volunteer_hub.models import (
    Certificate,
    CertificateStatus,
    Course,
    User,
    db,
)
from volunteer_hub.security import scope_to_viewer


# --- reading ---------------------------------------------------------------------------------
def _good(at: dt.date):
    """SQL: not revoked, not withdrawn, issued by `at` and not expired on `at`."""
    return and_(
        Certificate.revoked_at.is_(None),
        Certificate.withdrawn_at.is_(None),
        Certificate.issued_on <= at,
        or_(Certificate.expires_on.is_(None), Certificate.expires_on >= at),
    )


def has_current_certificate(user: User, course: Course, at: dt.date | dt.datetime | None = None) -> bool:
    """Does `user` hold a valid certificate for `course` on `at` (default today)? For prerequisites."""
    day = clock.local_date(at) if at is not None else clock.today()
    return bool(db.session.scalar(select(exists().where(
        Certificate.user_id == user.id, Certificate.course_id == course.id, _good(day)
    ))))


@dataclass
class CertificateView:
    certificate: Certificate
    status: CertificateStatus
    is_current: bool = False
    days_left: int | None = None


# What needs doing first: expired, then expiring soon, then the rest (each by title).
_CURRENT_ORDER = {CertificateStatus.EXPIRED: 0, CertificateStatus.EXPIRING: 1}


# Built once (building it, with its loader option, cost as much as running it).
_HISTORY = (
    select(Certificate, Certificate.is_current().label("is_current")).where(Certificate.user_id == bindparam("user_id"))
    .options(joinedload(Certificate.course))
    .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
)


def certificates_of(user: User) -> tuple[list[CertificateView], list[CertificateView]]:
    """(current certificate per course or title, the whole history newest first)."""
    today = clock.today()
    rows = db.session.execute(_HISTORY, {"user_id": user.id}).all()

    def view(c, is_current):
        days = (c.expires_on - today).days if c.expires_on else None
        return CertificateView(c, c.status_on(today, expiring_days()), bool(is_current), days)

    history = [view(c, is_current) for c, is_current in rows]
    current = sorted((v for v in history if v.is_current),
                     key=lambda v: (_CURRENT_ORDER.get(v.status, 2), v.certificate.display_title.casefold()))
    return current, history


class CurrentCertificate(NamedTuple):
    title: str
    status: CertificateStatus
    course_id: int | None = None  # None: recorded from elsewhere, with no course here
    expires_on: dt.date | None = None

    @property
    def needs_renewing(self) -> bool:
        return self.course_id is not None and self.status in (CertificateStatus.EXPIRING, CertificateStatus.EXPIRED)


# Built once: what the home page's panel needs of a holder's certificates, as rows.
_HOLDER_CERTIFICATES = (
    select(Certificate.id, Certificate.course_id, Certificate.title, Course.title.label("course_title"),
           Certificate.issued_on, Certificate.expires_on, Certificate.revoked_at, Certificate.withdrawn_at)
    .outerjoin(Course, Course.id == Certificate.course_id)
    .where(Certificate.user_id == bindparam("user_id"), Certificate.is_current())
)


def current_certificates(user: User) -> list[CurrentCertificate]:
    """The current certificates of `certificates_of` (same choice, same order) as (title, status),
    read as rows: for the home page's panel, which shows no more than that."""
    today, days = clock.today(), expiring_days()
    rows = db.session.execute(_HOLDER_CERTIFICATES, {"user_id": user.id}).all()
    # status_on reads only the dates it is given, so a row with the same names serves.
    current = [CurrentCertificate(r.course_title if r.course_id else (r.title or ""),
                                  Certificate.status_on(r, today, days), r.course_id, r.expires_on) for r in rows]
    return sorted(current, key=lambda c: (_CURRENT_ORDER.get(c.status, 2), c.title.casefold()))


def find_certificate_for_verification(text: str) -> Certificate | None:
    """A certificate by its verification code or its printed number (any case, spaces ignored)."""
    text = "".join((text or "").split())
    if not text or len(text) > 43:
        return None
    stmt = select(Certificate).options(joinedload(Certificate.user), joinedload(Certificate.course))
    found = db.session.scalar(stmt.where(Certificate.verification_code == text))
    if found is None:
        found = db.session.scalar(stmt.where(Certificate.number == text.upper()))
    return found


# --- expiring soon ---------------------------------------------------------------------------
def _expiring_between(start, end) -> tuple:
    """SQL: the current certificates of active people expiring from `start` to `end` (FROM
    certificates JOIN users)."""
    return (
        User.is_active,
        Certificate.revoked_at.is_(None),
        Certificate.withdrawn_at.is_(None),
        Certificate.expires_on.between(start, end),
        Certificate.is_current(),
    )


def expiring_query(days: int, today: dt.date | None = None, viewer: User | None = None):
    """Current certificates of active people expiring from today to `days` days ahead, soonest
    first; only people `viewer` may see, when given (the reminders job sees everyone)."""
    today = today or clock.today()
    stmt = (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(*_expiring_between(today, today + dt.timedelta(days=days)))
        .options(joinedload(Certificate.user).joinedload(User.organisation), joinedload(Certificate.course))
        .order_by(Certificate.expires_on, User.name, Certificate.id)
    )
    return stmt if viewer is None else scope_to_viewer(stmt, viewer, Certificate.user_id)


@functools.cache
def _count_expiring_stmt():
    """Built once (building it costs more than running it): count at most :cap + 1 rows."""
    listed = (
        select(Certificate.id)
        .join(User, User.id == Certificate.user_id)
        .where(*_expiring_between(bindparam("start", type_=Date), bindparam("end", type_=Date)))
        .limit(bindparam("cap_1"))
    )
    return select(func.count()).select_from(listed.subquery())


def count_expiring(days: int, cap: int) -> tuple[int, bool]:
    """(how many certificates `expiring_query` lists, up to `cap`; whether there are more). Reads
    at most cap + 1 of them, in expiry order, so the home page costs the same whatever the size."""
    today = clock.today()
    counted = db.session.scalar(_count_expiring_stmt(),
                                {"start": today, "end": today + dt.timedelta(days=days), "cap_1": cap + 1})
    return min(counted, cap), counted > cap








PANEL_COUNT_CAP = 100  # the home page's "certificates expiring" (its list counts to VH_LIST_COUNT_CAP)


def expiry_for(course: Course | None, issued_on: dt.date) -> dt.date | None:
    if course is None or course.validity_months is None:
        return None
    return clock.add_months(issued_on, course.validity_months)


def expiring_days() -> int:
    return int(current_app.config["VH_CERT_EXPIRING_DAYS"])


def status_of(certificate: Certificate, today: dt.date | None = None) -> CertificateStatus:
    return certificate.status_on(today or clock.today(), expiring_days())
