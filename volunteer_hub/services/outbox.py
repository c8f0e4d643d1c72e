"""The one way email leaves the site: queue in the caller's transaction; send from a command in three
steps (claim in a short transaction, send outside any, record in another: `jobs.send_batch`), so no
web write ever waits behind an SMTP round-trip."""
from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass

import click
from flask import current_app, render_template
from flask_mail import Message
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_hub.extensions import mail
from volunteer_hub.models import OutboxMessage, OutboxStatus, db, utcnow

log = logging.getLogger(__name__)


def queue_email(
    key: str,
    recipient: str,
    subject: str,
    template: str,
    attachments: list[dict] | None = None,
    *,
    recipient_id: int | None = None,
    **context,
) -> bool:
    """Write an email to the outbox. Returns False if a message with this key already exists.

    `template` names a pair under templates/email/: `<template>.txt` and `<template>.html`.
    Runs in the caller's transaction, so the email exists if and only if the change commits.
    """
    values = dict(
        key=key,
        recipient=recipient,
        recipient_id=recipient_id,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", subject=subject, **context),
        body_html=render_template(f"email/{template}.html", subject=subject, **context),
        attachments=attachments or [],
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage.id)
    )
    return db.session.execute(stmt).scalar_one_or_none() is not None


def _backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes, at most 6 hours."""
    return dt.timedelta(minutes=min(2 ** (attempts - 1), 360))


# A claimed message is not due again until its lease ends: a sender that dies mid-send leaves it
# to be tried again then; a live one records the result long before.
LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Claimed:
    """A message taken for sending, as plain values: sending needs no session and no transaction."""
    id: int
    key: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    attachments: list
    attempts: int


def claim_due(limit: int = 20) -> list[Claimed]:
    """Take up to `limit` due messages for sending: count the attempt and lease them, so that no
    other sender takes them (rows locked with SKIP LOCKED on PostgreSQL; on SQLite the claiming
    transaction is a writer). The caller commits at once, then sends outside any transaction."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for message in db.session.scalars(stmt):
        message.attempts += 1
        message.next_attempt_at = utcnow() + LEASE
        claimed.append(Claimed(message.id, message.key, message.recipient, message.subject, message.body_text,
                               message.body_html, list(message.attachments or []), message.attempts))
    db.session.flush()
    return claimed


def transmit(message: Claimed) -> str | None:
    """Send one claimed message (SMTP, or the console backend). Touches no database: returns None
    when sent, else the error to record."""
    try:
        if current_app.config["VH_MAIL_BACKEND"] == "console":
            _print(message)
        else:
            mail.send(_to_mail_message(message))
    except Exception as exc:  # noqa: BLE001 - any SMTP/socket failure is retried later
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("email %s to %s not sent: %s", message.key, message.recipient, error)
        return error
    return None


def record_results(results: list[tuple[Claimed, str | None]]) -> tuple[int, int]:
    """Write what sending came to, in one short transaction: sent; or the error and when to try
    again (failed for good after VH_OUTBOX_MAX_ATTEMPTS). Returns (sent, not sent)."""
    sent = failed = 0
    rows = {m.id: m for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_([c.id for c, _ in results])))}
    for claimed, error in results:
        message = rows.get(claimed.id)
        if message is None:
            continue
        if error is None:
            message.status, message.sent_at, message.last_error = OutboxStatus.SENT, utcnow(), None
            sent += 1
            continue
        failed += 1
        message.last_error = error
        if message.attempts >= current_app.config["VH_OUTBOX_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.FAILED
        else:
            message.next_attempt_at = utcnow() + _backoff(message.attempts)
    db.session.flush()
    return sent, failed


def _to_mail_message(message: Claimed) -> Message:
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
    )
    for item in message.attachments or []:
        msg.attach(item["filename"], item["content_type"], item["data"].encode("utf-8"))
    return msg


def _print(message: Claimed) -> None:
    bar = "-" * 72
    click.echo(
        f"\n{bar}\nEMAIL to {message.recipient}: {message.subject}\n{bar}\n{message.body_text}\n{bar}",
        file=sys.stderr,
    )
