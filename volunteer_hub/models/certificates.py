"""Certificates (issued from a register or recorded from elsewhere) and compliance requirements."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    func,
    literal,
    or_,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from volunteer_hub.models.base import db, utcnow
from volunteer_hub.models.people import OrganisationKind, Role, User, enum_column
from volunteer_hub.models.training import Attendance, Course, TrainingSession


class CertificateStatus(enum.Enum):
    VALID = "valid"
    EXPIRING = "expiring"  # valid, but expires within VH_CERT_EXPIRING_DAYS
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"  # the register was corrected: the attendance no longer qualifies

    @property
    def label(self) -> str:
        return CERTIFICATE_STATUS_LABELS[self]

    @property
    def is_good(self) -> bool:
        """Counts as holding the course (for compliance and prerequisites)."""
        return self in (CertificateStatus.VALID, CertificateStatus.EXPIRING)


CERTIFICATE_STATUS_LABELS = {
    CertificateStatus.VALID: "Valid",
    CertificateStatus.EXPIRING: "Expiring soon",
    CertificateStatus.EXPIRED: "Expired",
    CertificateStatus.REVOKED: "Revoked",
    CertificateStatus.WITHDRAWN: "Withdrawn",
}


class Certificate(db.Model):
    """Proof that a person completed a course. Never deleted: revoked or withdrawn instead."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))  # indexed with course_id
    # None for a certificate gained elsewhere whose course we do not run (then `title` says what it is).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(160))
    issuer: Mapped[str] = mapped_column(String(160))
    # Human-readable, printed on the certificate: VH-2026-000123 (from the row id, so never reused).
    number: Mapped[str] = mapped_column(String(24), unique=True)
    # Unguessable, in the QR code and the verification link.
    verification_code: Mapped[str] = mapped_column(String(43), unique=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)  # indexed with course_id and user_id
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)  # None = never expires
    # The register mark it came from: one certificate per attendance, ever.
    attendance_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendances.id", ondelete="SET NULL"), unique=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="SET NULL"), index=True
    )
    is_external: Mapped[bool] = mapped_column(default=False)
    evidence_note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course | None] = relationship()
    attendance: Mapped[Attendance | None] = relationship()
    session: Mapped[TrainingSession | None] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    __table_args__ = (
        CheckConstraint("course_id IS NOT NULL OR title IS NOT NULL", name="course_or_title"),
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"),
        CheckConstraint("revoked_at IS NULL OR revocation_reason IS NOT NULL", name="revocation_has_reason"),
        Index("ix_certificates_user_id_course_id", "user_id", "course_id"),
        # The impact report's "issued in the period" by course (and organisation) from the index alone.
        Index("ix_certificates_issued_on", "issued_on", "course_id", "user_id"),
    )

    @property
    def display_title(self) -> str:
        return self.course.title if self.course is not None else (self.title or "")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def status_on(self, today: dt.date, expiring_days: int) -> CertificateStatus:
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        if self.withdrawn_at is not None:
            return CertificateStatus.WITHDRAWN
        if self.expires_on is None:
            return CertificateStatus.VALID
        if self.expires_on < today:
            return CertificateStatus.EXPIRED
        if (self.expires_on - today).days <= expiring_days:
            return CertificateStatus.EXPIRING
        return CertificateStatus.VALID

    @classmethod
    def is_current(cls, of=None):
        """SQL: `of` (default the certificates table) is its holder's current certificate for its
        course (or, for one from elsewhere with no course, for its title). The one definition:
        every page, list and reminder asks this. Among the ones not withdrawn the current one is,
        in order: not revoked; lasts longest (never expiring beats any date); issued later; the
        later id. So exactly one certificate per person and course is current, even on a tie."""
        this = of if of is not None else cls
        other = _OTHER_CERTIFICATE
        never = literal(NEVER, Date)
        this_ends, other_ends = func.coalesce(this.expires_on, never), func.coalesce(other.expires_on, never)
        same_standing = or_(and_(other.revoked_at.is_(None), this.revoked_at.is_(None)),
                            and_(other.revoked_at.is_not(None), this.revoked_at.is_not(None)))
        ranks_higher = or_(
            and_(other.revoked_at.is_(None), this.revoked_at.is_not(None)),
            and_(same_standing, or_(
                other_ends > this_ends,
                and_(other_ends == this_ends, or_(
                    other.issued_on > this.issued_on,
                    and_(other.issued_on == this.issued_on, other.id > this.id))))),
        )
        same_course = or_(other.course_id == this.course_id,
                          and_(other.course_id.is_(None), this.course_id.is_(None),
                               func.lower(other.title) == func.lower(this.title)))
        return and_(this.withdrawn_at.is_(None), ~exists().where(
            other.user_id == this.user_id, same_course, other.id != this.id, other.withdrawn_at.is_(None),
            ranks_higher))

    def __repr__(self) -> str:
        return f"<Certificate {self.number} user={self.user_id} course={self.course_id}>"


NEVER = dt.date(9999, 12, 31)  # stands for "never expires" when comparing expiry dates in SQL
_OTHER_CERTIFICATE = aliased(Certificate)  # made once: building an alias per query costs ~2 ms


class ComplianceRequirement(db.Model):
    """A course that people with a role, or people of a kind of organisation, must hold."""

    __tablename__ = "compliance_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role | None] = mapped_column(enum_column(Role, "requirement_role"))
    organisation_kind: Mapped[OrganisationKind | None] = mapped_column(
        enum_column(OrganisationKind, "requirement_organisation_kind")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()

    __table_args__ = (
        CheckConstraint("(role IS NULL) <> (organisation_kind IS NULL)", name="role_or_kind"),
        UniqueConstraint("course_id", "role", name="uq_compliance_requirements_course_id_role"),
        UniqueConstraint("course_id", "organisation_kind", name="uq_compliance_requirements_course_id_organisation_kind"),
    )
