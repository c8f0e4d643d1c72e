"""What the partnership publishes: a period's headline figures, picked from the impact report
with a short text, shown at /our-year. The figures are kept as they were when published (a page
the council links to does not change under it); the newest publication that is not withdrawn is
the one shown."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_hub.models.base import db, utcnow


class PublishedSummary(db.Model):
    __tablename__ = "published_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"key", "label", "now", "before", "change", "percent"}] in the order shown.
    figures: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[dt.datetime | None]


# --- the impact report's roll-ups ---------------------------------------------------------------
# Kept by volunteer_hub/services/report_rollups.py in the same transaction as the change they
# follow (a flush listener, so every writer is covered), and rebuilt whole by `flask demo seed`
# and migration 0016. The report reads them instead of counting different people over two years
# of registers and certificates.
class TrainedPerson(db.Model):
    """One person marked present, late or left early on a finalised register of a session that
    was not cancelled, with when they last trained before it: "different people trained in a
    period" becomes "rows in the period whose person had not trained since before it"."""
    __tablename__ = "trained_people"

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime]
    # The start of this person's previous such session (any course; this course), None if none.
    previous_at: Mapped[dt.datetime | None]
    previous_course_at: Mapped[dt.datetime | None]
    # London calendar months as year * 100 + month, of starts_at and of previous_at: "their first
    # in this month" without working out months in SQL.
    month: Mapped[int]
    previous_month: Mapped[int | None]

    __table_args__ = (
        # Covers every count the report makes, in the order it groups them (month, course), so it
        # reads the index alone and sorts nothing.
        Index("ix_trained_people_month", "month", "course_id", "starts_at", "previous_at", "previous_course_at",
              "previous_month", "user_id"),
        Index("ix_trained_people_user_id", "user_id"),
    )


class SessionTotal(db.Model):
    """A delivered session's marks: every mark, those present (late, left early), those absent."""
    __tablename__ = "session_totals"

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    hours: Mapped[float] = mapped_column(Float)
    marks: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    absent: Mapped[int] = mapped_column(default=0)


class CertificateCoverage(db.Model):
    """The London days on which a person held a valid certificate of a course: their certificates'
    days (issue to expiry, ended the day before a revocation or withdrawal) merged where they
    overlap or meet, so on any day each person has at most one row of each course."""
    __tablename__ = "certificate_coverage"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    valid_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    valid_until: Mapped[dt.date] = mapped_column(Date)  # included; NEVER for no expiry

    __table_args__ = (
        # Valid on a day, from the index alone. (Not led by course_id: SQLite, which keeps no
        # statistics, then probed such an index per person for the compliance figures, reading
        # every valid row of the course each time instead of the person's own by the primary key.)
        Index("ix_certificate_coverage_valid_until", "valid_until", "valid_from", "user_id", "course_id"),
    )


class CertificateLapse(db.Model):
    """A certificate of a course that expires (not revoked or withdrawn), with the first day its
    holder was issued a later one of the same course that lasts longer (None: not yet). "Lapsed
    in a period" is then expired in it and not renewed by its end, read from one index."""
    __tablename__ = "certificate_lapses"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    expired_on: Mapped[dt.date] = mapped_column(Date)
    renewed_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_certificate_lapses_expired_on", "expired_on", "course_id", "renewed_on", "user_id"),
        Index("ix_certificate_lapses_user_id_course_id", "user_id", "course_id"),
    )


class ComplianceSpan(db.Model):
    """A run of London days on which an open account (active, not erased) that must hold at least
    one course either held a valid certificate of every course required of it (held) or did not:
    each such person's rows split the days from their sign-up on into runs, so on any day they have
    exactly one. "Share of an organisation's people holding every required course on a day" is
    then a count of the rows that cover the day, by organisation, with no (person, course) pairs
    to build. Rows follow the person's roles, organisation (and its kind), the requirements and
    their certificates' coverage."""
    __tablename__ = "compliance_spans"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    valid_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    valid_until: Mapped[dt.date] = mapped_column(Date)  # included; NEVER for the run that goes on
    # The person's organisation, as on users (and set to NULL with it if the organisation goes).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    held: Mapped[bool]

    __table_args__ = (
        # The rows covering a day, by organisation, from the index alone.
        Index("ix_compliance_spans_valid_until", "valid_until", "valid_from", "organisation_id", "held"),
    )
