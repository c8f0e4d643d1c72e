"""The register's readers (who is on it, the marks, late cancellations) and the attendance figures."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from volunteer_hub.models import (
    ATTENDED,
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    Booking,
    BookingStatus,
    Course,
    Organisation,
    SessionStatus,
    TrainingSession,
    User,
    db,
    session_trainers,
)
from volunteer_hub.queries.training import _PERSON_NAME, _WITH_PERSON, Trainer
from volunteer_hub.security import scope_to_viewer


# --- the register --------------------------------------------------------------------------
@dataclass
class RegisterRow:
    user: User
    booking: Booking | None
    attendance: Attendance | None

    @property
    def status(self) -> AttendanceStatus | None:
        return self.attendance.status if self.attendance else None


def register_and_late_cancellations(session: TrainingSession) -> tuple[list[RegisterRow], list[Booking]]:
    """The register (everyone confirmed plus walk-ins, by name, with their mark if any) and the
    session's late cancellations: the bookings of both in one query."""
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, or_(
            Booking.status == BookingStatus.CONFIRMED,
            and_(Booking.status == BookingStatus.CANCELLED, Booking.is_late_cancellation.is_(True))))
        .options(*_WITH_PERSON)
        .order_by(Booking.queue_number)))
    marks = {a.user_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id)
        .options(joinedload(Attendance.user).options(*_PERSON_NAME), selectinload(Attendance.corrections)))}
    rows = [RegisterRow(b.user, b, marks.pop(b.user_id, None)) for b in bookings if b.status is BookingStatus.CONFIRMED]
    rows += [RegisterRow(a.user, None, a) for a in marks.values()]
    rows.sort(key=lambda r: (r.user.name.lower(), r.user.id))
    return rows, [b for b in bookings if b.status is BookingStatus.CANCELLED]


# The register page, as plain rows. The session with its course, who finalised it and its
# trainers (one row per trainer; their ids decide who may take the register).
_FINALISER = aliased(User)
_REGISTER_SESSION = (
    select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.place,
           TrainingSession.status, TrainingSession.finalised_at, Course.title.label("course_title"),
           _FINALISER.name.label("finalised_by_name"), session_trainers.c.user_id.label("trainer_id"))
    .join(Course, Course.id == TrainingSession.course_id)
    .outerjoin(_FINALISER, _FINALISER.id == TrainingSession.finalised_by_id)
    .outerjoin(session_trainers, session_trainers.c.session_id == TrainingSession.id)
    .where(TrainingSession.id == bindparam("session_id"))
)
# Confirmed bookings and late cancellations, in queue order, with the person's name and organisation.
_REGISTER_BOOKINGS = (
    select(Booking.user_id, Booking.status, User.name, Organisation.name.label("organisation"))
    .join(User, User.id == Booking.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .where(Booking.session_id == bindparam("session_id"), or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.CANCELLED, Booking.is_late_cancellation.is_(True))))
    .order_by(Booking.queue_number)
)
# Every mark, with the person and the mark's corrections (one row per correction, oldest first).
_REGISTER_MARKS = (
    select(Attendance.id, Attendance.user_id, Attendance.status, User.name, Organisation.name.label("organisation"),
           AttendanceCorrection.corrected_at, AttendanceCorrection.old_status, AttendanceCorrection.new_status,
           AttendanceCorrection.reason)
    .join(User, User.id == Attendance.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .outerjoin(AttendanceCorrection, AttendanceCorrection.attendance_id == Attendance.id)
    .where(Attendance.session_id == bindparam("session_id"))
    .order_by(Attendance.id, AttendanceCorrection.id)
)


class RegisterSession(NamedTuple):
    """What the register page shows of its session."""
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str | None
    status: SessionStatus
    finalised_at: dt.datetime | None
    course_title: str
    finalised_by_name: str | None
    trainers: list[Trainer]  # ids only (name None): for who may take the register


def register_session(session_id: int) -> RegisterSession | None:
    rows = db.session.execute(_REGISTER_SESSION, {"session_id": session_id}).all()
    if not rows:
        return None
    return RegisterSession(*rows[0][:8], [Trainer(r.trainer_id, None) for r in rows if r.trainer_id is not None])


@dataclass
class RegisterLine:
    """A person on the register page: their mark (if any) and its corrections, as plain values."""
    user_id: int
    name: str
    organisation: str | None
    has_booking: bool  # False: a walk-in (or their booking is no longer confirmed)
    attendance_id: int | None = None
    status: AttendanceStatus | None = None
    corrections: list = None  # (corrected_at, old status, new status, reason), oldest first


def register_lines(session_id: int) -> tuple[list[RegisterLine], list[str]]:
    """The register page's people (as register_and_late_cancellations: everyone confirmed plus
    walk-ins, by name) and the names of its late cancellations, in two queries of columns."""
    params = {"session_id": session_id}
    lines, late = {}, []
    for b in db.session.execute(_REGISTER_BOOKINGS, params):
        if b.status is BookingStatus.CONFIRMED:
            lines[b.user_id] = RegisterLine(b.user_id, b.name, b.organisation, True)
        else:
            late.append(b.name)
    for m in db.session.execute(_REGISTER_MARKS, params):
        line = lines.get(m.user_id)
        if line is None:
            line = lines[m.user_id] = RegisterLine(m.user_id, m.name, m.organisation, False)
        if line.attendance_id is None:
            line.attendance_id, line.status, line.corrections = m.id, m.status, []
        if m.corrected_at is not None:
            line.corrections.append((m.corrected_at, m.old_status, m.new_status, m.reason))
    return sorted(lines.values(), key=lambda r: (r.name.lower(), r.user_id)), late


def register_rows(session: TrainingSession) -> list[RegisterRow]:
    """Everyone confirmed plus walk-ins, by name, with their mark if any."""
    return register_and_late_cancellations(session)[0]


def late_cancellations(session: TrainingSession) -> list[Booking]:
    return register_and_late_cancellations(session)[1]


# --- attendance figures --------------------------------------------------------------------
@dataclass
class Rate:
    label: str
    attended: int
    marked: int
    session: TrainingSession | None = None

    @property
    def percent(self) -> int | None:
        return round(100 * self.attended / self.marked) if self.marked else None


def attendance_rates(viewer: User | None = None) -> tuple[list[Rate], list[Rate], list[tuple[User, int]]]:
    """(per session, per course, no-shows per person) over finalised registers, in three queries.
    The rates are partnership-wide; the no-shows only of people `viewer` may see, when given."""
    attended = func.sum(case((Attendance.status.in_(ATTENDED), 1), else_=0))
    finalised = and_(TrainingSession.finalised_at.is_not(None))
    per_session = db.session.execute(
        select(TrainingSession, attended, func.count(Attendance.id))
        .join(Attendance, Attendance.session_id == TrainingSession.id).where(finalised)
        .group_by(TrainingSession.id).order_by(TrainingSession.starts_at.desc()).limit(100)
        .options(selectinload(TrainingSession.course))).all()
    per_course = db.session.execute(
        select(Course.title, attended, func.count(Attendance.id))
        .join(TrainingSession, TrainingSession.course_id == Course.id)
        .join(Attendance, Attendance.session_id == TrainingSession.id).where(finalised)
        .group_by(Course.id, Course.title).order_by(Course.title)).all()
    no_shows_stmt = (
        select(User, func.count(Attendance.id)).join(Attendance, Attendance.user_id == User.id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(finalised, Attendance.status == AttendanceStatus.ABSENT)
        .group_by(User.id).order_by(func.count(Attendance.id).desc(), User.name).limit(100))
    no_shows = db.session.execute(no_shows_stmt if viewer is None else scope_to_viewer(no_shows_stmt, viewer)).all()
    return (
        [Rate(f"{s.course.title}", a or 0, m, s) for s, a, m in per_session],
        [Rate(t, a or 0, m) for t, a, m in per_course],
        [(u, n) for u, n in no_shows],
    )
