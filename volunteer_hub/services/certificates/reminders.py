"""Reminders before a certificate lapses, and the coordinators' weekly summary."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import (
    select,
)

from volunteer_hub import clock
from volunteer_hub.models import (
    Course,
    Role,
    User,
    UserRole,
    db,
)
from volunteer_hub.queries.certificates import expiring_query
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url


# --- reminders -----------------------------------------------------------------------------
def reminder_thresholds() -> list[int]:
    return sorted({int(d) for d in current_app.config["VH_CERT_REMINDER_DAYS"]}, reverse=True)


def next_sessions_url(course: Course | None) -> str | None:
    if course is None or "training.session_list" not in current_app.view_functions:
        return None
    return external_url("training.session_list", course=course.id)


def send_expiry_reminders(today: dt.date | None = None) -> int:
    """Queue one reminder per certificate and threshold (60, 30, 7 days by default).

    A certificate first seen inside a window gets that window's reminder only (no backlog of
    earlier ones). The outbox key makes it exactly once, even when two runs overlap. A renewed
    (superseded), revoked or withdrawn certificate gets none.
    """
    today = today or clock.today()
    thresholds = reminder_thresholds()
    if not thresholds:
        return 0
    queued = 0
    for certificate in db.session.scalars(expiring_query(max(thresholds), today)):
        days_left = (certificate.expires_on - today).days
        threshold = min(t for t in thresholds if t >= days_left)
        queued += queue_email(
            key=f"reminder:certificate:{certificate.id}:{threshold}d",
            recipient=certificate.user.email, recipient_id=certificate.user_id,
            subject=f"Your {certificate.display_title} certificate expires on {certificate.expires_on:%-d %B %Y}",
            template="certificate_expiry",
            certificate=certificate,
            person=certificate.user,
            days_left=days_left,
            sessions_url=next_sessions_url(certificate.course),
            mine_url=external_url("certificates.mine"),
        )
    db.session.flush()
    return queued


def send_weekly_summary(today: dt.date | None = None) -> int:
    """Once per ISO week, each active coordinator gets the list of upcoming expiries."""
    today = today or clock.today()
    days = int(current_app.config["VH_CERT_SUMMARY_DAYS"])
    expiring = list(db.session.scalars(expiring_query(days, today)))
    if not expiring:
        return 0
    year, week, _ = today.isocalendar()
    coordinators = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR, User.is_active).order_by(User.id)
    )
    queued = 0
    for coordinator in coordinators:
        queued += queue_email(
            key=f"summary:certificates:{year}-W{week:02d}:{coordinator.id}",
            recipient=coordinator.email, recipient_id=coordinator.id,
            subject=f"Certificates expiring in the next {days} days: {len(expiring)}",
            template="certificate_summary",
            person=coordinator,
            certificates=expiring,
            days=days,
            list_url=external_url("certificates.expiring", days=days),
        )
    db.session.flush()
    return queued
