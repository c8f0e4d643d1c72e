"""The one way email leaves the site: queue in the caller's transaction, send from a command."""
from __future__ import annotations

import datetime as dt
import logging
import sys

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
    **context,
) -> bool:
    """Write an email to the outbox. Returns False if a message with this key already exists.

    `template` names a pair under templates/email/: `<template>.txt` and `<template>.html`.
    Runs in the caller's transaction, so the email exists if and only if the change commits.
    """
    values = dict(
        key=key,
        recipient=recipient,
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


def claim_pending(limit: int = 20) -> list[OutboxMessage]:
    """Due messages, locked so that parallel senders never send the same one (PostgreSQL)."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(stmt))


def deliver(message: OutboxMessage) -> bool:
    """Send one message now; record success, or the error and when to try again."""
    message.attempts += 1
    try:
        if current_app.config["VH_MAIL_BACKEND"] == "console":
            _print(message)
        else:
            mail.send(_to_mail_message(message))
    except Exception as exc:  # noqa: BLE001 - any SMTP/socket failure is retried later
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= current_app.config["VH_OUTBOX_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.FAILED
        else:
            message.next_attempt_at = utcnow() + _backoff(message.attempts)
        log.warning("email %s to %s not sent: %s", message.key, message.recipient, message.last_error)
        db.session.flush()
        return False
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    db.session.flush()
    return True


def _to_mail_message(message: OutboxMessage) -> Message:
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
    )
    for item in message.attachments or []:
        msg.attach(item["filename"], item["content_type"], item["data"].encode("utf-8"))
    return msg


def _print(message: OutboxMessage) -> None:
    bar = "-" * 72
    click.echo(
        f"\n{bar}\nEMAIL to {message.recipient}: {message.subject}\n{bar}\n{message.body_text}\n{bar}",
        file=sys.stderr,
    )


def send_pending(limit: int = 20) -> tuple[int, int]:
    """Claim and send one batch. Returns (sent, failed). The caller commits."""
    sent = failed = 0
    for message in claim_pending(limit):
        if deliver(message):
            sent += 1
        else:
            failed += 1
    return sent, failed
