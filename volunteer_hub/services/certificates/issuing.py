"""Issuing and withdrawing: from a finalised register, recorded from elsewhere, revoked."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import (
    select,
)

from volunteer_hub import audit, clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Certificate,
    Course,
    SessionStatus,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.queries.certificates import expiry_for


# --- issuing and withdrawing ---------------------------------------------------------------
def _new_certificate(prefix: str = "VH", **values) -> Certificate:
    """Insert a certificate and give it its number from its row id (unique under concurrency)."""
    certificate = Certificate(
        number="pending-" + secrets.token_hex(8),
        verification_code=secrets.token_urlsafe(18),
        **values,
    )
    db.session.add(certificate)
    db.session.flush()
    certificate.number = f"{prefix}-{certificate.issued_on.year}-{certificate.id:06d}"
    db.session.flush()
    return certificate


def issue_certificate(user: User, course: Course, issued_on: dt.date, by: User | None = None) -> Certificate:
    """Issue a certificate without a register behind it (demo data, bulk imports of our own past
    courses). Registers go through `sync_certificates_for_session`."""
    return _new_certificate(
        user_id=user.id, course_id=course.id, issuer=current_app.config["VH_PARTNERSHIP_NAME"],
        issued_on=issued_on, expires_on=expiry_for(course, issued_on), recorded_by_id=by.id if by else None,
    )


def attendance_qualifies(attendance: Attendance, course: Course) -> bool:
    if attendance.status is AttendanceStatus.PRESENT:
        return True
    return attendance.status is AttendanceStatus.LATE and course.late_counts_as_attended


@dataclass
class SyncResult:
    issued: list[Certificate] = field(default_factory=list)
    reinstated: list[Certificate] = field(default_factory=list)
    withdrawn: list[Certificate] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.issued or self.reinstated or self.withdrawn)


def sync_certificates_for_session(training_session: TrainingSession, by: User | None = None) -> SyncResult:
    """Issue or withdraw certificates so they match the session's finalised register.

    Called by the training area when a register is finalised and after each correction of a
    finalised mark. Changes exactly what differs: a qualifying mark without a certificate gets
    one (or its withdrawn one back: never a second certificate for the same attendance, which
    the unique `attendance_id` also enforces); a certificate whose mark no longer qualifies is
    withdrawn. Running it again changes nothing.
    """
    by_id = by.id if by is not None else None
    course = training_session.course
    issuing = (
        training_session.finalised_at is not None
        and training_session.status is not SessionStatus.CANCELLED
        and course.gives_certificate
    )
    attendances = list(db.session.scalars(select(Attendance).where(Attendance.session_id == training_session.id)))
    existing = {
        c.attendance_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.session_id == training_session.id).with_for_update()
        )
    }
    result = SyncResult()
    issued_on = clock.local_date(training_session.starts_at)
    keep: set[int] = set()
    for attendance in attendances:
        certificate = existing.get(attendance.id)
        if not (issuing and attendance_qualifies(attendance, course)):
            continue
        keep.add(attendance.id)
        if certificate is None:
            result.issued.append(_new_certificate(
                user_id=attendance.user_id,
                course_id=course.id,
                issuer=current_app.config["VH_PARTNERSHIP_NAME"],
                issued_on=issued_on,
                expires_on=expiry_for(course, issued_on),
                attendance_id=attendance.id,
                session_id=training_session.id,
                recorded_by_id=by_id,
            ))
        elif certificate.withdrawn_at is not None:
            certificate.withdrawn_at = None
            certificate.withdrawn_by_id = None
            result.reinstated.append(certificate)
    now = utcnow()
    for attendance_id, certificate in existing.items():
        if attendance_id not in keep and certificate.withdrawn_at is None:
            certificate.withdrawn_at = now
            certificate.withdrawn_by_id = by_id
            result.withdrawn.append(certificate)
    db.session.flush()
    return result


def record_external_certificate(
    user: User,
    *,
    course: Course | None,
    title: str | None,
    issuer: str,
    issued_on: dt.date,
    expires_on: dt.date | None,
    evidence_note: str | None,
    by: User,
) -> Certificate:
    """Record a certificate gained elsewhere. It counts for compliance like any other.

    If no expiry is given for one of our courses, the course's validity applies.
    """
    title = (title or "").strip() or None
    issuer = (issuer or "").strip()
    if course is None and not title:
        raise ValidationFailed("Choose a course, or type what the certificate is for.", "title")
    if not issuer:
        raise ValidationFailed("Enter who issued the certificate.", "issuer")
    if issued_on > clock.today():
        raise ValidationFailed("The issue date cannot be in the future.", "issued_on")
    if expires_on is None:
        expires_on = expiry_for(course, issued_on)
    if expires_on is not None and expires_on < issued_on:
        raise ValidationFailed("The expiry date must be on or after the issue date.", "expires_on")
    certificate = _new_certificate(
        prefix="EXT",
        user_id=user.id,
        course_id=course.id if course else None,
        title=None if course else title,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=expires_on,
        is_external=True,
        evidence_note=(evidence_note or "").strip() or None,
        recorded_by_id=by.id,
    )
    audit.record("certificate.external", certificate, subject_id=user.id,
                 after={"course_id": certificate.course_id, "issued_on": issued_on, "expires_on": expires_on})
    return certificate


def revoke_certificate(certificate: Certificate, reason: str, by: User) -> None:
    """Revoke with a reason, kept in the history and shown as "revoked" when verified."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason for revoking it.", "reason")
    if certificate.revoked_at is not None:
        raise Conflict("This certificate is already revoked.")
    by_id = by.id
    certificate.revocation_reason = reason[:500]
    certificate.revoked_by_id = by_id
    certificate.revoked_at = utcnow()
    db.session.flush()
    audit.record("certificate.revoked", certificate, subject_id=certificate.user_id,
                 before={"revoked_at": None}, after={"revoked_at": certificate.revoked_at})


