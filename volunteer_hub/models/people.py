"""People, their roles and the partner organisations they belong to."""
from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, Index, String, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.models.base import db, utcnow


class Role(enum.Enum):
    VOLUNTEER = "volunteer"
    TRAINER = "trainer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OrganisationKind(enum.Enum):
    POLICE = "police"
    COUNCIL = "council"
    STREET_PASTORS = "street_pastors"
    AMBASSADORS = "ambassadors"
    WELFARE_BUS = "welfare_bus"
    YOUTH_SERVICE = "youth_service"
    SPORTS_CLUB = "sports_club"
    LICENSED_VENUE = "licensed_venue"

    @property
    def label(self) -> str:
        return ORGANISATION_KIND_LABELS[self]

    @property
    def is_venue(self) -> bool:
        return self is OrganisationKind.LICENSED_VENUE


ORGANISATION_KIND_LABELS = {
    OrganisationKind.POLICE: "Police",
    OrganisationKind.COUNCIL: "Council",
    OrganisationKind.STREET_PASTORS: "Street Pastors",
    OrganisationKind.AMBASSADORS: "Ambassadors",
    OrganisationKind.WELFARE_BUS: "Welfare bus",
    OrganisationKind.YOUTH_SERVICE: "Youth service",
    OrganisationKind.SPORTS_CLUB: "Sports club",
    OrganisationKind.LICENSED_VENUE: "Licensed venue",
}


def enum_column(enum_cls, name: str):
    """Enums are stored as their values in a VARCHAR with a CHECK (portable, readable)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "organisation_kind"), index=True)
    retired_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True, index=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_rows")


class CoordinatorAgency(db.Model):
    """An organisation whose people a limited coordinator may see (security.py reads these)."""

    __tablename__ = "coordinator_agencies"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_name", "name"),
        # The directory sorts by lower(name): an index on it lets the first page read 25 rows, not sort them all.
        Index("ix_users_lower_name", func.lower(text("name")), "id"),
        # Only the erased: an index of everyone's empty erased_at misleads SQLite's planner into
        # reading every open account instead of the name index above.
        Index("ix_users_erased_at", "erased_at", sqlite_where=text("erased_at IS NOT NULL"),
              postgresql_where=text("erased_at IS NOT NULL")),
        # The impact report counts open accounts by organisation from this index alone; sign-ups
        # by when they joined; DBS checks by renewal date (migrations 0016 and 0018).
        Index("ix_users_organisation_id", "organisation_id", "is_active", "created_at", "erased_at"),
        Index("ix_users_created_at", "created_at"),
        # With what the DBS counts test, so they read the index alone (migration 0018).
        Index("ix_users_dbs_renew_by", "dbs_renew_by", "is_active", "erased_at"),
        # The coordinator's home counts the unconfirmed sign-ups from this alone (migration 0018).
        Index("ix_users_unconfirmed", "is_active", "erased_at", sqlite_where=text("confirmed_at IS NULL"),
              postgresql_where=text("confirmed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so UNIQUE holds regardless of how it was typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    emergency_contact_name: Mapped[str | None] = mapped_column(String(120))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")  # indexed with what the report counts by
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    confirmed_at: Mapped[dt.datetime | None]
    pending_email: Mapped[str | None] = mapped_column(String(254))
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    privacy_accepted_at: Mapped[dt.datetime | None]
    # Bumped on password change, deactivation and "sign out everywhere": old cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    dbs_checked_on: Mapped[dt.date | None]
    dbs_renew_by: Mapped[dt.date | None]
    # A coordinator who sees every agency's people; otherwise only those of their
    # coordinator_agencies (admins always see everyone). New coordinators start limited.
    sees_all_agencies: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Two-step sign-in (TOTP), on the row every request loads anyway: the base32 secret, when it
    # was confirmed (None: not set up), and the last time-step accepted (a code is good once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None]
    # Personal data (services/privacy): the last sign-in, which with bookings, attendance and
    # hand-outs decides when retention erases a quiet account; when its warning went out; when
    # the person was erased (their row stays, as "Removed person #id", so the figures hold).
    last_seen_at: Mapped[dt.datetime | None]
    retention_warned_at: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    # The organisations a limited coordinator may see (shown on their person page).
    agencies: Mapped[list[Organisation]] = relationship(
        secondary="coordinator_agencies", order_by=Organisation.name, viewonly=True
    )

    # Flask-Login: the id in the cookie carries the session version.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def loaded_roles(self, names: str | None) -> None:
        """The roles read with the row (sign-in's one query: "coordinator,volunteer"), until the
        role rows themselves are loaded or changed, which then speak instead."""
        self.__dict__["_vh_roles"] = frozenset(Role(n) for n in names.split(",")) if names else frozenset()

    @property
    def roles(self) -> frozenset[Role]:
        if "role_rows" not in self.__dict__ and "_vh_roles" in self.__dict__:
            return self.__dict__["_vh_roles"]
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_coordinator(self) -> bool:
        return self.has_role(Role.COORDINATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.name

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RecoveryCode(db.Model):
    """One of a person's ten single-use recovery codes for two-step sign-in, stored as a SHA-256
    of a random code (the code has 50 bits of entropy, so a slow hash adds nothing)."""
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NoticeAcceptance(db.Model):
    """A person read and accepted a version of the privacy notice (kept, and audited)."""
    __tablename__ = "notice_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ErasureRequest(db.Model):
    """A person asked to be erased: the admins answer within a month (UK GDPR art. 12(3))."""
    __tablename__ = "erasure_requests"
    __table_args__ = (
        # One open request per person: asking twice does not start a second clock.
        Index("uq_erasure_requests_open", "user_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_on: Mapped[dt.date]
    closed_at: Mapped[dt.datetime | None]
    # "erased" or "declined" (with the admin's reason kept in the audit trail).
    outcome: Mapped[str | None] = mapped_column(String(20))
