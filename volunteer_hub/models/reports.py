"""What the partnership publishes: a period's headline figures, picked from the impact report
with a short text, shown at /our-year. The figures are kept as they were when published (a page
the council links to does not change under it); the newest publication that is not withdrawn is
the one shown."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Text
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
