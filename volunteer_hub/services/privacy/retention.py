"""Retention: the partnership keeps a person's data only while they volunteer.

A person's last activity is the latest of: joining, signing in (`users.last_seen_at`), booking,
an attendance mark, and a stock movement they recorded (hand-outs). After `VH_RETENTION_YEARS`
without any, they are erased; `VH_RETENTION_WARNING_DAYS` before that they are emailed a link
that keeps the account ("I still volunteer"). Any activity after the warning cancels it.

The job (`flask jobs run`) calls `run_retention`: each warning and each erasure is its own short
unit of work that locks the person's row and checks again, so two overlapping runs warn once and
erase once (a unique outbox key backs up the warning). It also strips the bodies of sent emails
older than `VH_OUTBOX_BODY_DAYS` and deletes audit entries older than `VH_AUDIT_YEARS`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, or_, select, text, update

from volunteer_hub import audit, clock
from volunteer_hub.errors import DomainError, ValidationFailed
from volunteer_hub.models import (
    Attendance,
    AuditEntry,
    Booking,
    Holder,
    HolderKind,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    StockMovement,
    User,
    db,
    utcnow,
)
from volunteer_hub.security import visible_people
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.services.tokens import make_token, read_token
from volunteer_hub.urls import external_url

YEAR = dt.timedelta(days=365.25)
DUE_SOON_LIMIT = 200


def _config(key: str) -> int:
    return int(current_app.config[key])


def retention_period() -> dt.timedelta:
    return _config("VH_RETENTION_YEARS") * YEAR


def warning_period() -> dt.timedelta:
    return dt.timedelta(days=_config("VH_RETENTION_WARNING_DAYS"))


def last_activity():
    """A column: when this person last did anything (never NULL: joining counts)."""
    latest = [
        User.created_at,
        func.coalesce(User.last_seen_at, User.created_at),
        func.coalesce(select(func.max(Booking.created_at)).where(Booking.user_id == User.id)
                      .scalar_subquery(), User.created_at),
        func.coalesce(select(func.max(Attendance.marked_at)).where(Attendance.user_id == User.id)
                      .scalar_subquery(), User.created_at),
        func.coalesce(select(func.max(StockMovement.recorded_at)).where(StockMovement.recorded_by_id == User.id)
                      .scalar_subquery(), User.created_at),
    ]
    greatest = func.greatest if db.session.get_bind().dialect.name == "postgresql" else func.max
    return greatest(*latest)


def _as_aware(value):
    # SQLite returns the greatest of stored UTC strings as text: read it back as an aware time.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace(" ", "T"))
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _quiet_since(cutoff: dt.datetime):
    activity = last_activity().label("last_activity")
    return (select(User.id, activity, User.retention_warned_at)
            .where(User.erased_at.is_(None), activity < cutoff).order_by(User.id))


# --- the job -------------------------------------------------------------------------------------
@dataclass
class RetentionRun:
    warned: int = 0
    cancelled_warnings: int = 0
    erased: int = 0
    not_erased: int = 0
    bodies_stripped: int = 0
    audit_deleted: int = 0

    def __str__(self) -> str:
        return (f"{self.warned} warned, {self.cancelled_warnings} warnings cancelled by activity, "
                f"{self.erased} erased ({self.not_erased} could not be), {self.bodies_stripped} email bodies "
                f"stripped, {self.audit_deleted} old audit entries deleted")


def run_retention(work, progress=None) -> RetentionRun:
    """One pass. `work` is the unit-of-work factory (the job passes `unit_of_work`)."""
    run = RetentionRun()
    now = utcnow()
    with work():
        run.cancelled_warnings = cancel_stale_warnings()
    candidates = db.session.execute(_quiet_since(now - retention_period() + warning_period())).all()
    # Each person below is its own short write (a unit of work outside a request ends this read first).
    erase_before = now - retention_period()
    for person_id, activity, warned_at in candidates:
        activity, warned_at = _as_aware(activity), _as_aware(warned_at)
        if warned_at is None:
            with work():
                run.warned += warn_person(person_id, activity)
        elif warned_at <= now - warning_period() and activity < erase_before:
            try:
                with work():
                    erase_quiet_person(person_id)
                run.erased += 1
            except DomainError as error:
                run.not_erased += 1
                current_app.logger.warning("retention: person %s not erased: %s", person_id, error.message)
        if progress:
            progress(person_id)
    with work():
        run.bodies_stripped = strip_old_email_bodies()
    with work():
        run.audit_deleted = purge_old_audit_entries()
    return run


def _locked(person_id: int) -> User | None:
    db.session.execute(select(User.id).where(User.id == person_id).with_for_update())
    person = db.session.get(User, person_id, populate_existing=True)
    return None if person is None or person.is_erased else person


def cancel_stale_warnings() -> int:
    """A warned person who has done something since is not erased: their warning is void."""
    return db.session.execute(
        update(User).where(User.retention_warned_at.is_not(None), User.erased_at.is_(None),
                           last_activity() > User.retention_warned_at)
        .values(retention_warned_at=None).execution_options(synchronize_session=False)
    ).rowcount


def warn_person(person_id: int, activity: dt.datetime) -> int:
    """Email the warning once (an overlapping run finds it warned, or its outbox key taken)."""
    person = _locked(person_id)
    if person is None or person.retention_warned_at is not None:
        return 0
    person.retention_warned_at = utcnow()
    erase_on = clock.local_date(max(activity + retention_period(), utcnow() + warning_period()))
    queued = queue_email(
        f"retention-warning:{person.id}:{activity:%Y%m%d%H%M%S}", person.email,
        "Are you still volunteering? Your account will be erased", "privacy_retention_warning",
        recipient_id=person.id, user=person, years=_config("VH_RETENTION_YEARS"), erase_on=f"{erase_on:%-d %B %Y}",
        keep_url=external_url("privacy.keep", token=keep_token(person)),
    )
    db.session.flush()
    audit.record("privacy.retention_warned", person, subject=person, facts={"erase_on": erase_on})
    return 1 if queued else 0


def erase_quiet_person(person_id: int) -> None:
    from volunteer_hub.services.privacy.erasure import erase_person

    person = _locked(person_id)
    if person is None:
        return
    store = db.session.scalar(select(Holder).where(Holder.kind == HolderKind.STORE).order_by(Holder.id))
    years = _config("VH_RETENTION_YEARS")
    erase_person(person, f"Retention: no activity for {years} years, warned on "
                 f"{clock.local_date(person.retention_warned_at):%-d %B %Y}", by=None, store=store)


def strip_old_email_bodies() -> int:
    cutoff = utcnow() - dt.timedelta(days=_config("VH_OUTBOX_BODY_DAYS"))
    return db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.created_at < cutoff, OutboxMessage.status != OutboxStatus.PENDING,
               or_(OutboxMessage.body_text != "", OutboxMessage.body_html != ""))
        .values(body_text="", body_html="", attachments=[])
    ).rowcount


def purge_old_audit_entries() -> int:
    """Delete entries past VH_AUDIT_YEARS. On PostgreSQL the append-only trigger lets this one
    transaction delete (SET LOCAL ends with it); UPDATE stays refused."""
    cutoff = utcnow() - _config("VH_AUDIT_YEARS") * YEAR
    old = select(AuditEntry.id).where(AuditEntry.at < cutoff).limit(1)
    if db.session.scalar(old) is None:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL vh.audit_purge = 'on'"))
    deleted = db.session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount
    audit.record("privacy.audit_purged", facts={"deleted": deleted, "older_than": clock.local_date(cutoff)})
    return deleted


# --- keeping the account --------------------------------------------------------------------------
def keep_token(person: User) -> str:
    return make_token("keep-account", {"uid": person.id})


def person_for_keep_token(token: str) -> User | None:
    try:
        payload = read_token("keep-account", token, max_age=int(warning_period().total_seconds()) + 30 * 86400)
    except ValidationFailed:
        return None
    person = db.session.get(User, payload.get("uid"))
    return None if person is None or person.is_erased else person


def keep_account(person: User) -> None:
    """"I still volunteer": the clock starts again from now."""
    was_warned = person.retention_warned_at is not None
    person.last_seen_at = utcnow()
    person.retention_warned_at = None
    db.session.flush()
    audit.record("privacy.kept", person, subject=person, facts={"was_warned": was_warned})


def seen(person: User) -> None:
    """A sign-in: activity, and any warning is void."""
    person.last_seen_at = utcnow()
    person.retention_warned_at = None


# --- coordinators: who is due ---------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    id: int
    name: str
    organisation: str | None
    last_activity: dt.datetime
    warned_at: dt.datetime | None
    erase_on: dt.date


def due_soon(viewer: User, days: int = 30) -> list[Due]:
    """People retention will erase in the next `days`, soonest first, among those `viewer` sees."""
    now = utcnow()
    activity = last_activity().label("last_activity")
    rows = db.session.execute(
        select(User.id, User.name, Organisation.name, activity, User.retention_warned_at)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(User.erased_at.is_(None), activity < now - retention_period() + dt.timedelta(days=days),
               visible_people(viewer))
        .order_by(activity, User.id).limit(DUE_SOON_LIMIT)
    ).all()
    due = []
    for person_id, name, organisation, last, warned_at in rows:
        last, warned_at = _as_aware(last), _as_aware(warned_at)
        # Nobody is erased without a warning that far ahead of it.
        erase_at = max(last + retention_period(), (warned_at or now) + warning_period())
        due.append(Due(person_id, name, organisation, last, warned_at, clock.local_date(max(erase_at, now))))
    return due
