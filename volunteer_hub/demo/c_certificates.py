"""Demo certificates: a mix of valid, expiring-soon, expired and one revoked, and the
requirements for ambassadors, venues, youth and sports, and the night-time welfare teams.

Courses are made by the training demo (b_training); they are looked up by title here and made
if missing, with the same titles, so the modules work in either order.
"""
from __future__ import annotations

import datetime as dt
import random
import secrets

from flask import current_app
from sqlalchemy import and_, func, or_, select

from volunteer_hub import clock
from volunteer_hub.clock import to_local as utc_to_local
from volunteer_hub.demo._scale import fix_sequence, insert_batches
from volunteer_hub.demo.b_training import GENERATED_NOTES
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Certificate,
    ComplianceRequirement,
    Course,
    OrganisationKind,
    TrainingSession,
    User,
    db,
)
from volunteer_hub.queries import certificates as certificate_queries
from volunteer_hub.services import certificates as service

COURSES = {
    "Bystander intervention": 24,
    "Trauma-informed practice": None,
    "Ask for Angela / WAVE": 12,
    "Challenging inappropriate behaviour": 24,
}
REQUIREMENTS = [
    ("Bystander intervention", OrganisationKind.AMBASSADORS),
    ("Bystander intervention", OrganisationKind.STREET_PASTORS),
    ("Trauma-informed practice", OrganisationKind.STREET_PASTORS),
    ("Trauma-informed practice", OrganisationKind.WELFARE_BUS),
    ("Ask for Angela / WAVE", OrganisationKind.LICENSED_VENUE),
    ("Challenging inappropriate behaviour", OrganisationKind.YOUTH_SERVICE),
    ("Challenging inappropriate behaviour", OrganisationKind.SPORTS_CLUB),
]
# (email, course, days ago it was issued, revoked?) — expiry follows from the course's validity.
CERTIFICATES = [
    ("volunteer@example.org", "Bystander intervention", 1430, False),  # the old one, renewed by:
    ("volunteer@example.org", "Bystander intervention", 700, False),   # expiring soon
    ("volunteer@example.org", "Ask for Angela / WAVE", 60, False),
    ("volunteer@example.org", "Trauma-informed practice", 400, False),  # never expires
    ("trainer@example.org", "Bystander intervention", 90, False),
    ("demo.volunteer1@example.org", "Trauma-informed practice", 200, False),
    ("demo.volunteer1@example.org", "Bystander intervention", 500, False),
    ("demo.volunteer2@example.org", "Bystander intervention", 300, False),
    ("demo.volunteer3@example.org", "Ask for Angela / WAVE", 340, False),  # expiring soon
    ("demo.volunteer4@example.org", "Challenging inappropriate behaviour", 120, False),
    ("demo.volunteer5@example.org", "Bystander intervention", 760, False),  # expired
    ("demo.volunteer6@example.org", "Ask for Angela / WAVE", 420, False),  # expired
    ("demo.volunteer7@example.org", "Challenging inappropriate behaviour", 690, False),  # expiring soon
    ("demo.volunteer8@example.org", "Trauma-informed practice", 30, False),
    ("demo.volunteer9@example.org", "Ask for Angela / WAVE", 100, False),
    ("demo.volunteer10@example.org", "Bystander intervention", 800, False),  # expired
    ("demo.volunteer11@example.org", "Ask for Angela / WAVE", 45, True),  # revoked
]


def _course(title: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.title == title))
    if course is None:
        course = Course(title=title, validity_months=COURSES[title])
        db.session.add(course)
        db.session.flush()
    return course


def seed() -> None:
    courses = {title: _course(title) for title in COURSES}
    existing = {(r.course_id, r.organisation_kind) for r in db.session.scalars(select(ComplianceRequirement))}
    for title, kind in REQUIREMENTS:
        if (courses[title].id, kind) not in existing:
            db.session.add(ComplianceRequirement(course_id=courses[title].id, organisation_kind=kind))
    db.session.flush()
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    today = clock.today()
    for email, title, days_ago, revoked in CERTIFICATES:
        person = db.session.scalar(select(User).where(User.email == email))
        course = courses[title]
        issued_on = today - dt.timedelta(days=days_ago)
        if person is None or db.session.scalar(select(Certificate.id).where(
            Certificate.user_id == person.id, Certificate.course_id == course.id, Certificate.issued_on == issued_on,
        )):
            continue
        certificate = service.issue_certificate(person, course, issued_on)
        if revoked and coordinator is not None:
            service.revoke_certificate(certificate, "Marked present by mistake: they left before the session began.",
                                       by=coordinator)
    volunteer = db.session.scalar(select(User).where(User.email == "volunteer@example.org"))
    if volunteer is not None and coordinator is not None and not db.session.scalar(
        select(Certificate.id).where(Certificate.user_id == volunteer.id, Certificate.is_external)
    ):
        service.record_external_certificate(
            volunteer, course=None, title="Emergency first aid at work", issuer="St John Ambulance",
            issued_on=today - dt.timedelta(days=365), expires_on=today + dt.timedelta(days=730),
            evidence_note="Original certificate seen; copy on file.", by=coordinator,
        )
    db.session.flush()


# --- generated data for the benchmark (`flask demo seed --scale N`) -----------------------
def seed_scale(scale: float, progress) -> None:
    """Certificates for the generated registers, as finalising them would issue: one for each
    qualifying mark (present, or late where late counts) that has none yet, dated the day of the
    session and expiring after the course's validity, so the older ones have expired. A few are
    revoked. Numbers follow the site's VH-<year>-<id> from ids given here; topping up after a
    larger scale's registers issues only the new ones."""
    qualifying = or_(Attendance.status == AttendanceStatus.PRESENT,
                     and_(Attendance.status == AttendanceStatus.LATE, Course.late_counts_as_attended))
    missing = db.session.execute(
        select(Attendance.id, Attendance.user_id, Attendance.session_id, Attendance.marked_by_id,
               TrainingSession.course_id, TrainingSession.starts_at)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .outerjoin(Certificate, Certificate.attendance_id == Attendance.id)
        .where(TrainingSession.notes == GENERATED_NOTES, TrainingSession.finalised_at.is_not(None),
               Course.gives_certificate, qualifying, Certificate.id.is_(None))
        .order_by(Attendance.id)
    ).all()
    if not missing:
        return
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    issuer = current_app.config["VH_PARTNERSHIP_NAME"]
    revoker = db.session.scalar(select(User.id).where(User.email == "coordinator@example.org"))
    rng = random.Random(3000 + len(missing))
    first_id = (db.session.scalar(select(func.max(Certificate.id))) or 0) + 1

    def rows():
        for certificate_id, (attendance_id, user_id, session_id, marked_by, course_id, starts_at) in enumerate(
                missing, start=first_id):
            issued_on = utc_to_local(starts_at).date()
            row = {"id": certificate_id, "user_id": user_id, "course_id": course_id, "title": None, "issuer": issuer,
                   "number": f"VH-{issued_on.year}-{certificate_id:06d}",
                   "verification_code": secrets.token_urlsafe(18), "issued_on": issued_on,
                   "expires_on": certificate_queries.expiry_for(courses[course_id], issued_on), "attendance_id": attendance_id,
                   "session_id": session_id, "is_external": False, "recorded_by_id": marked_by,
                   "created_at": starts_at + dt.timedelta(hours=3), "revoked_at": None, "revoked_by_id": None,
                   "revocation_reason": None}
            if rng.random() < 0.005:
                row.update(revoked_at=row["created_at"] + dt.timedelta(days=rng.randint(1, 20)),
                           revoked_by_id=revoker,
                           revocation_reason="Marked present by mistake: they left before the session began.")
            yield row

    with progress.bar("Certificates", len(missing)) as bar:
        insert_batches(Certificate, rows(), bar)
    fix_sequence(Certificate.__table__.c.id)
