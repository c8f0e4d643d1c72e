"""The trainer's register: marks, walk-ins, finalising, and corrections after it is final."""
from __future__ import annotations

from sqlalchemy import select

from volunteer_hub import audit
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import (
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    Booking,
    BookingStatus,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
    db,
    utcnow,
)
from volunteer_hub.queries.register import register_rows
from volunteer_hub.services.training.common import lock_session


def _check_register_open(session: TrainingSession) -> None:
    if session.status is SessionStatus.CANCELLED:
        raise Conflict("This session was cancelled.")
    if session.is_finalised:
        raise Conflict("The register is finalised. A coordinator can correct a mark, with a reason.")


def mark_attendance(session: TrainingSession, user: User, status: AttendanceStatus, by: User) -> Attendance:
    """Record one person's mark (booked people only; walk-ins are added with add_walk_in)."""
    lock_session(session)
    _check_register_open(session)
    attendance = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id))
    if attendance is None:
        booking = db.session.scalar(select(Booking).where(
            Booking.session_id == session.id, Booking.user_id == user.id, Booking.status == BookingStatus.CONFIRMED))
        if booking is None:
            raise NotAllowed(f"{user.name} is not booked on this session. Add them as a walk-in.")
        attendance = Attendance(session_id=session.id, user_id=user.id, booking_id=booking.id, status=status)
        db.session.add(attendance)
    attendance.status = status
    attendance.marked_at = utcnow()
    attendance.marked_by_id = by.id
    db.session.flush()
    return attendance


def mark_everyone_present(session: TrainingSession, by: User) -> int:
    """Mark everyone not yet marked as present. Returns how many were marked."""
    n = 0
    for row in register_rows(session):
        if row.attendance is None:
            mark_attendance(session, row.user, AttendanceStatus.PRESENT, by)
            n += 1
    return n


def add_walk_in(session: TrainingSession, by: User, user: User | None = None, name: str = "", email: str = "") -> Attendance:
    """Add someone who turned up without a booking: an existing person, or a new one by name and
    email (they are invited to set a password). They are marked present."""
    from volunteer_hub.services.auth import normalise_email
    from volunteer_hub.services.people import invite_person

    lock_session(session)
    _check_register_open(session)
    if user is None:
        email = normalise_email((email or "").strip())
        if not email or "@" not in email:
            raise ValidationFailed("Enter their email address.", "email")
        user = db.session.scalar(select(User).where(User.email == email, User.erased_at.is_(None)))
        if user is None:
            name = (name or "").strip()
            if not name:
                raise ValidationFailed("Enter their name: they are new to the site.", "name")
            user = User(name=name[:120], email=email)
            user.role_rows = [UserRole(role=Role.VOLUNTEER)]
            db.session.add(user)
            db.session.flush()
            invite_person(user, invited_by=by)
    existing = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id))
    if existing is not None or db.session.scalar(select(Booking.id).where(
            Booking.session_id == session.id, Booking.user_id == user.id, Booking.status == BookingStatus.CONFIRMED)):
        raise Conflict(f"{user.name} is already on this register.", "email")
    attendance = Attendance(session_id=session.id, user_id=user.id, status=AttendanceStatus.PRESENT,
                            is_walk_in=True, marked_by_id=by.id)
    db.session.add(attendance)
    db.session.flush()
    return attendance


def finalise_register(session: TrainingSession, by: User) -> None:
    """Lock the register, record who and when, and issue certificates."""
    from volunteer_hub.services.certificates import sync_certificates_for_session

    session = lock_session(session)
    _check_register_open(session)
    if session.starts_at > utcnow():
        raise Conflict("The register can be finalised once the session has started.")
    unmarked = [r.user.name for r in register_rows(session) if r.attendance is None]
    if unmarked:
        raise ValidationFailed(f"Mark everyone first. Not marked: {', '.join(unmarked)}.")
    before = audit.snapshot(session, ("status",))
    session.finalised_at = utcnow()
    session.finalised_by_id = by.id
    session.status = SessionStatus.COMPLETED
    db.session.flush()
    synced = sync_certificates_for_session(session, by=by)
    audit.record("register.finalised", session, before=before, facts={"certificates_issued": len(synced.issued) if synced else 0})


def correct_attendance(attendance: Attendance, status: AttendanceStatus, reason: str, by: User) -> AttendanceCorrection:
    """A coordinator's change to a finalised register, kept in the history."""
    from volunteer_hub.services.certificates import sync_certificates_for_session

    session = lock_session(attendance.session)
    if not session.is_finalised:
        raise Conflict("The register is not finalised yet: change the mark on the register.")
    if not by.has_role(Role.COORDINATOR, Role.ADMIN):
        raise NotAllowed("Only a coordinator can correct a finalised register.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give a reason for the correction.", "reason")
    if status is attendance.status:
        raise ValidationFailed("That is already the mark.", "status")
    correction = AttendanceCorrection(attendance=attendance, old_status=attendance.status, new_status=status,
                                      reason=reason[:500], corrected_by_id=by.id)
    attendance.status = status
    attendance.marked_at = utcnow()
    attendance.marked_by_id = by.id
    db.session.add(correction)
    db.session.flush()
    sync_certificates_for_session(session, by=by)
    # The reason stays in the correction row: it is free text and may name people.
    audit.record("attendance.corrected", attendance, subject_id=attendance.user_id,
                 before={"status": correction.old_status}, facts={"correction_id": correction.id})
    return correction


