"""Courses, their dated sessions, bookings (with the waitlist) and attendance."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, and_, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.models.base import db, utcnow
from volunteer_hub.models.people import User, enum_column


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160), unique=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(default=120)
    audience: Mapped[str] = mapped_column(String(300), default="")  # who it is for
    # How long its certificate stays valid; None = never expires.
    validity_months: Mapped[int | None]
    gives_certificate: Mapped[bool] = mapped_column(default=True)
    # Whether "late" counts as attended for the certificate.
    late_counts_as_attended: Mapped[bool] = mapped_column(default=True)
    prerequisite_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    prerequisite: Mapped[Course | None] = relationship(remote_side=[id])
    sessions: Mapped[list[TrainingSession]] = relationship(back_populates="course")

    __table_args__ = (
        CheckConstraint("validity_months IS NULL OR validity_months > 0", name="validity_positive"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("prerequisite_id IS NULL OR prerequisite_id <> id", name="not_own_prerequisite"),
    )

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title!r}>"


class SessionStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


session_trainers = Table(
    "session_trainers",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TrainingSession(db.Model):
    """One dated run of a course. (Named so as not to clash with the database session.)"""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(index=True)  # the session list: not ended yet
    place: Mapped[str | None] = mapped_column(String(300))  # address
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int]
    booking_opens_at: Mapped[dt.datetime]
    booking_closes_at: Mapped[dt.datetime]
    cancellation_cutoff_at: Mapped[dt.datetime]
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED, index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")  # for attendees: what to bring, access...
    # Hours before the start at which reminders go out, e.g. "48,2"; None = the site default.
    reminder_hours: Mapped[str | None] = mapped_column(String(40))
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    finalised_at: Mapped[dt.datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="sessions")
    trainers: Mapped[list[User]] = relationship(secondary=session_trainers, order_by=User.name)
    bookings: Mapped[list[Booking]] = relationship(back_populates="session", order_by="Booking.id")
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("booking_closes_at > booking_opens_at", name="booking_window"),
        # The session list counts the sessions not yet ended from this index alone (migration 0008).
        Index("ix_training_sessions_upcoming", "starts_at", "ends_at", "status"),
    )

    @property
    def is_finalised(self) -> bool:
        return self.finalised_at is not None

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} course={self.course_id} {self.starts_at:%Y-%m-%d %H:%M}Z>"


class BookingStatus(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"  # waitlisted, with a place offered until offer_expires_at
    CANCELLED = "cancelled"
    DECLINED = "declined"  # declined an offer
    LAPSED = "lapsed"  # did not answer an offer in time


ACTIVE_BOOKING_STATUSES = ("confirmed", "waitlisted", "offered")
_ACTIVE_SQL = text("status IN ('confirmed', 'waitlisted', 'offered')")


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus, "booking_status"))
    # Order in the queue for this session, given under the session's row lock: first come, first served.
    queue_number: Mapped[int]
    offered_at: Mapped[dt.datetime | None]
    offer_expires_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    is_late_cancellation: Mapped[bool] = mapped_column(default=False)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    session: Mapped[TrainingSession] = relationship(back_populates="bookings")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        # One active booking (confirmed, waiting or offered) per person per session.
        Index(
            "uq_bookings_active_session_user",
            "session_id",
            "user_id",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
        UniqueConstraint("session_id", "queue_number", name="uq_bookings_session_id_queue_number"),
        # Places held and waiting per session (the session list) from this index alone (migration 0008).
        Index("ix_bookings_session_id_status_user_id", "session_id", "status", "user_id"),
        # The impact report's late cancellations in a period, from this index alone (migration 0016).
        Index("ix_bookings_late_cancellations", "is_late_cancellation", "cancelled_at", "user_id"),
        CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL", name="offer_has_deadline"),
    )

    @property
    def is_active(self) -> bool:
        return self.status.value in ACTIVE_BOOKING_STATUSES

    @hybrid_method
    def offer_lapsed(self, now) -> bool:
        """An offer past its deadline: it reads as lapsed at once, though the row says "offered" until
        the offers job or the next write that locks the session (book, cancel, accept, decline) lapses it.
        The one definition, in Python and in SQL."""
        return self.status is BookingStatus.OFFERED and self.offer_expires_at <= now

    @offer_lapsed.expression
    def offer_lapsed(cls, now):
        return and_(cls.status == BookingStatus.OFFERED, cls.offer_expires_at <= now)

    def status_at(self, now) -> BookingStatus:
        """The status a person should see: LAPSED for an offer past its deadline."""
        return BookingStatus.LAPSED if self.offer_lapsed(now) else self.status

    @property
    def calendar_uid(self) -> str:
        """Stable UID for this booking's calendar invitation (and its cancellation)."""
        return f"booking-{self.id}@volunteer-hub"


class AttendanceStatus(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"
    LEFT_EARLY = "left_early"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Which bookings hold a place, wait in the queue, or are active; which marks count as attended.
HOLDING = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)
WAITING = (BookingStatus.WAITLISTED, BookingStatus.OFFERED)
ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.OFFERED)
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)
# The longest a session may run. The form allows at most a day (it ends the next day at the latest);
# the session list relies on the bound to read only the sessions starting from now minus this.
MAX_SESSION = dt.timedelta(hours=48)


class Attendance(db.Model):
    """One person's mark on a session's register (booked or walk-in)."""

    __tablename__ = "attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "attendance_status"))
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    marked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[TrainingSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    corrections: Mapped[list[AttendanceCorrection]] = relationship(
        back_populates="attendance", order_by="AttendanceCorrection.id"
    )

    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_attendances_session_id_user_id"),)


class AttendanceCorrection(db.Model):
    """A coordinator's change to a finalised register, kept as history."""

    __tablename__ = "attendance_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendances.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "old_status"))
    new_status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "new_status"))
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    corrected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    attendance: Mapped[Attendance] = relationship(back_populates="corrections")
    corrected_by: Mapped[User | None] = relationship()


class CalendarFeed(db.Model):
    """A person's private calendar-feed token (reset by making a new one)."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
