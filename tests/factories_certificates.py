"""Test data for certificates: courses, finalised sessions with a register, certificates."""
from __future__ import annotations

import datetime as dt
import itertools

from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Certificate,
    ComplianceRequirement,
    Course,
    TrainingSession,
    db,
    utcnow,
)
from volunteer_hub.services import certificates as service

_counter = itertools.count(1)


def make_course(title: str | None = None, validity_months: int | None = 24, **values) -> Course:
    """A course whose certificate lasts 24 months unless told otherwise (one title counter for all factories)."""
    from tests.factories_training import make_course as make_training_course

    return make_training_course(title, validity_months=validity_months, **values)


def make_session(course: Course, starts_at: dt.datetime | None = None, finalised: bool = True) -> TrainingSession:
    """A session that has happened (yesterday, unless told), its register finalised unless told."""
    from tests.factories_training import make_session as make_training_session

    starts_at = starts_at or utcnow() - dt.timedelta(days=1)
    return make_training_session(course, starts_at=starts_at, capacity=20, trainers=[], place=None,
                                 opens_ago=utcnow() - (starts_at - dt.timedelta(days=30)),
                                 closes_before=dt.timedelta(hours=1), cutoff_before=dt.timedelta(days=1),
                                 finalised_at=utcnow() if finalised else None)


def mark(session: TrainingSession, user, status: AttendanceStatus = AttendanceStatus.PRESENT) -> Attendance:
    attendance = db.session.scalar(
        db.select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user.id)
    )
    if attendance is None:
        attendance = Attendance(session_id=session.id, user_id=user.id, status=status)
        db.session.add(attendance)
    attendance.status = status
    db.session.commit()
    return attendance


def issue(user, course: Course, on: dt.date, **values) -> Certificate:
    """A certificate issued on `on` (a London date), through a real finalised register."""
    starts_at = dt.datetime.combine(on, dt.time(10, 0), tzinfo=dt.UTC)
    session = make_session(course, starts_at=starts_at)
    mark(session, user)
    result = service.sync_certificates_for_session(session)
    certificate = result.issued[0]
    for key, value in values.items():
        setattr(certificate, key, value)
    db.session.commit()
    return certificate


def require(course: Course, role=None, kind=None) -> ComplianceRequirement:
    requirement = ComplianceRequirement(course_id=course.id, role=role, organisation_kind=kind)
    db.session.add(requirement)
    db.session.commit()
    return requirement
