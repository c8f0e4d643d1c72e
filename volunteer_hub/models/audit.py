"""The audit trail: one append-only row per sensitive action, written in the same transaction as
the change it records (`volunteer_hub.audit.record`). People appear by id only, never by name or
email, so erasing a person never has to rewrite history. On PostgreSQL a trigger refuses UPDATE
and DELETE on the table (migration 0009); the site has no route that changes a row.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_hub.models.base import db, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        # The audit page reads newest first, whole or by who acted / whom it was about / action.
        Index("ix_audit_entries_subject_id_id", "subject_id", "id"),
        Index("ix_audit_entries_actor_id_id", "actor_id", "id"),
        Index("ix_audit_entries_action_id", "action", "id"),
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_object", "object_type", "object_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Who acted (None: the system, a command or a signed-out visitor).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # The person the action was about (their record, their booking, their certificate...).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # {"field": [before, after], ...} for the fields that changed, plus any plain facts
    # ("rows": 12 for an import). Values are JSON: dates as ISO strings, enums as their values.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"
