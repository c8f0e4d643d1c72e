"""The privacy notice: which version is current, who still has to accept it, and the acceptance
itself (kept as a row, with the time, and audited).

The version is the setting VH_PRIVACY_NOTICE_VERSION (with VH_PRIVACY_NOTICE_DATE, when it took
effect). Changing it asks everyone to read and accept the notice at their next request, before
any other page (volunteer_hub.hooks); the check reads the person's row, already loaded, so it
costs no query."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from volunteer_hub import audit
from volunteer_hub.models import NoticeAcceptance, Organisation, User, db, utcnow


def current_version() -> str:
    return current_app.config["VH_PRIVACY_NOTICE_VERSION"]


def must_accept(user) -> bool:
    """A signed-in person whose last accepted version is not the current one."""
    return bool(getattr(user, "is_authenticated", False)) and not user.is_erased \
        and user.privacy_notice_version != current_version()


def accept(user: User) -> NoticeAcceptance | None:
    """Record that `user` accepted the current version. Accepting it again is a no-op (a double
    submit, or two tabs), so each version has one row per person."""
    version = current_version()
    if user.privacy_notice_version == version:
        return None
    user.privacy_notice_version = version
    user.privacy_accepted_at = utcnow()
    row = NoticeAcceptance(user_id=user.id, version=version, accepted_at=user.privacy_accepted_at)
    db.session.add(row)
    audit.record("privacy.notice_accepted", row, subject=user, facts={"version": version}, actor_id=user.id)
    return row


def agencies() -> list[str]:
    """The organisations the partnership shares volunteers' data with (named on the notice)."""
    return list(db.session.scalars(select(Organisation.name).where(Organisation.retired_at.is_(None))
                                   .order_by(Organisation.name)))


def notice_context() -> dict:
    """What the notice page says that comes from the settings: its version and date, the controller,
    the contact, and every retention period as it is configured (not a fixed sentence)."""
    config = current_app.config
    try:
        effective = dt.date.fromisoformat(str(config["VH_PRIVACY_NOTICE_DATE"]))
    except ValueError:
        effective = None
    return {
        "version": config["VH_PRIVACY_NOTICE_VERSION"],
        "effective": effective,
        "controller": config["VH_PARTNERSHIP_NAME"],
        "contact": str(config["VH_PRIVACY_CONTACT"] or "").strip(),
        "retention_years": config["VH_RETENTION_YEARS"],
        "warning_days": config["VH_RETENTION_WARNING_DAYS"],
        "email_body_days": config["VH_OUTBOX_BODY_DAYS"],
        "audit_years": config["VH_AUDIT_YEARS"],
        "request_days": config["VH_ERASURE_REQUEST_DAYS"],
        "agencies": agencies(),
    }
