"""Night-time patrols: shifts (often across midnight), who is on them, the kit bag counted out and
back in, anonymous tallies of what happened, and the "home safe" check at the end of the night."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.models.base import db, utcnow
from volunteer_hub.models.people import User, enum_column
from volunteer_hub.models.training import Course


class ShiftStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class TallyKind(enum.Enum):
    WELFARE_ASSIST = "welfare_assist"
    ASK_FOR_ANGELA = "ask_for_angela"
    FIRST_AID = "first_aid"
    HELPED_HOME = "helped_home"
    POLICE_REPORT = "police_report"

    @property
    def label(self) -> str:
        return TALLY_LABELS[self]


TALLY_LABELS = {
    TallyKind.WELFARE_ASSIST: "Welfare assist",
    TallyKind.ASK_FOR_ANGELA: "Ask for Angela referral",
    TallyKind.FIRST_AID: "First aid",
    TallyKind.HELPED_HOME: "Person helped home",
    TallyKind.POLICE_REPORT: "Report passed to police",
}


patrol_shift_courses = Table(
    "patrol_shift_courses",
    db.metadata,
    Column("shift_id", ForeignKey("patrol_shifts.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PatrolShift(db.Model):
    __tablename__ = "patrol_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    area: Mapped[str] = mapped_column(String(300), default="")  # the area or route walked
    meeting_point: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The coordinator on call that night: the home-safe escalations go to them and the lead.
    on_call_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    min_people: Mapped[int] = mapped_column(default=2)
    max_people: Mapped[int] = mapped_column(default=6)
    needs_dbs: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ShiftStatus] = mapped_column(enum_column(ShiftStatus, "shift_status"), default=ShiftStatus.SCHEDULED)
    # A shift below its minimum at the deadline: the coordinator lets it run anyway (confirmed) or cancels it.
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_for_too_few: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[dt.datetime | None]  # the lead took the register
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    series: Mapped[str | None] = mapped_column(String(40), index=True)  # shifts made by one weekly pattern
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
    on_call: Mapped[User | None] = relationship(foreign_keys=[on_call_id])
    courses: Mapped[list[Course]] = relationship(secondary=patrol_shift_courses, order_by=Course.title)
    members: Mapped[list[PatrolMember]] = relationship(back_populates="shift", order_by="PatrolMember.id")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("min_people >= 1 AND max_people >= min_people", name="places"),
        Index("ix_patrol_shifts_starts_at_status", "starts_at", "status"),
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status is ShiftStatus.CANCELLED

    @property
    def is_started(self) -> bool:
        return self.started_at is not None

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    def __repr__(self) -> str:
        return f"<PatrolShift {self.id} {self.title!r} {self.starts_at:%Y-%m-%d %H:%M}Z>"


class MemberStatus(enum.Enum):
    JOINED = "joined"
    LEFT = "left"


_JOINED_SQL = text("status = 'joined'")


class PatrolMember(db.Model):
    """A person on a shift: joined (or left), whether they came, their check-out and escalations."""

    __tablename__ = "patrol_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("patrol_shifts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[MemberStatus] = mapped_column(enum_column(MemberStatus, "member_status"))
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    left_at: Mapped[dt.datetime | None]
    came: Mapped[bool | None]  # the lead's register: None until the shift starts
    home_safe_at: Mapped[dt.datetime | None]
    checked_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    escalation_level: Mapped[int] = mapped_column(default=0)  # 0, then 1 at 45 minutes, 2 at 90

    shift: Mapped[PatrolShift] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        # One place per person per shift while they are on it.
        Index("uq_patrol_members_joined", "shift_id", "user_id", unique=True,
              sqlite_where=_JOINED_SQL, postgresql_where=_JOINED_SQL),
        CheckConstraint("escalation_level BETWEEN 0 AND 2", name="escalation_level"),
    )

    @property
    def is_joined(self) -> bool:
        return self.status is MemberStatus.JOINED

    @property
    def calendar_uid(self) -> str:
        """A UID space of its own in the person's feed (bookings are booking-N@)."""
        return f"patrol-{self.id}@volunteer-hub"


class KitCountPhase(enum.Enum):
    OUT = "out"  # at the start: what the kit bag holds
    IN = "in"  # at the end: what is left


class KitCount(db.Model):
    """One item of a volunteer's kit bag counted at the start or end of a shift. `ledger` is what the
    ledger said, `counted` what the volunteer found; a difference was recorded as a stocktake
    adjustment (`movement_id`), so the ledger stays the single source."""

    __tablename__ = "patrol_kit_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("patrol_members.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id", ondelete="RESTRICT"))
    phase: Mapped[KitCountPhase] = mapped_column(enum_column(KitCountPhase, "kit_count_phase"))
    ledger: Mapped[int]
    counted: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(500))
    counted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("member_id", "item_id", "phase", name="uq_patrol_kit_counts_member_item_phase"),
        CheckConstraint("ledger >= 0 AND counted >= 0", name="counts_not_negative"),
        CheckConstraint("counted = ledger OR reason IS NOT NULL", name="variance_has_reason"),
    )


class PatrolTally(db.Model):
    """How many of each kind of interaction a shift had: counts only, never who."""

    __tablename__ = "patrol_tallies"

    shift_id: Mapped[int] = mapped_column(ForeignKey("patrol_shifts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[TallyKind] = mapped_column(enum_column(TallyKind, "tally_kind"), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)
