"""Scheduled jobs: the one place that lists them. Each job writes through `unit_of_work`, in
transactions as short as it can (one session, one batch of email). A job is a function taking no arguments
that does its work through services and returns a short summary. It must be safe to run twice
at once (locks, and unique outbox keys for every reminder).
"""
from __future__ import annotations

from collections.abc import Callable

JOBS: list[tuple[str, Callable[[], str]]] = []


def job(name: str):
    def decorator(fn):
        JOBS.append((name, fn))
        return fn

    return decorator


def send_batch(limit: int = 20) -> tuple[int, int]:
    """Send one batch of due email: claim (a short transaction), send (outside any transaction, so
    no web write waits behind SMTP, even on SQLite), record (a second short transaction). Parallel
    senders never send one message twice: a claimed message is leased. Returns (sent, not sent)."""
    from volunteer_hub.services.outbox import claim_due, record_results, transmit
    from volunteer_hub.unit_of_work import unit_of_work

    with unit_of_work():
        claimed = claim_due(limit)
    if not claimed:
        return 0, 0
    results = [(message, transmit(message)) for message in claimed]
    with unit_of_work():
        sent, failed = record_results(results)
    return sent, failed


@job("send outbox")
def send_outbox_job() -> str:
    sent = failed = 0
    while True:
        s, f = send_batch(limit=50)
        sent, failed = sent + s, failed + f
        if s + f == 0 or s == 0:
            break
    return f"{sent} sent, {failed} not sent (will retry)"


@job("lapse waitlist offers")
def lapse_offers_job() -> str:
    """Offers not answered in time pass to the next person (a page shows them lapsed at once; this,
    or the next booking, cancellation or answer on the session, makes it so)."""
    from volunteer_hub.models import TrainingSession, db
    from volunteer_hub.services.training import lapse_offers, sessions_with_expired_offers
    from volunteer_hub.unit_of_work import unit_of_work

    ids = sessions_with_expired_offers()
    total = 0
    for session_id in ids:
        with unit_of_work():  # one session at a time: its row lock is held only briefly
            total += lapse_offers(db.session.get(TrainingSession, session_id))
    return f"{total} offers lapsed in {len(ids)} sessions"


def _queued(queue) -> int:
    from volunteer_hub.unit_of_work import unit_of_work

    with unit_of_work():
        n = queue()
    return n


@job("training reminders")
def training_reminders_job() -> str:
    from volunteer_hub.services.training import send_due_reminders

    return f"{_queued(send_due_reminders)} reminders queued"


@job("certificate expiry reminders")
def certificate_reminders_job() -> str:
    from volunteer_hub.services.certificates import send_expiry_reminders

    return f"{_queued(send_expiry_reminders)} reminders queued"


@job("certificate weekly summary")
def certificate_summary_job() -> str:
    from volunteer_hub.services.certificates import send_weekly_summary

    return f"{_queued(send_weekly_summary)} summaries queued"


@job("retention")
def retention_job() -> str:
    """Warn quiet accounts, erase those warned and still quiet, strip old email bodies, delete
    audit entries past their years (services/privacy/retention.py)."""
    from volunteer_hub.services.privacy.retention import run_retention
    from volunteer_hub.unit_of_work import unit_of_work

    return str(run_retention(unit_of_work))


@job("patrol reminders and too-few warnings")
def patrol_reminders_job() -> str:
    from volunteer_hub.services.patrols import send_shift_reminders, warn_short_shifts

    reminders = _queued(send_shift_reminders)
    return f"{reminders} reminders, {_queued(warn_short_shifts)} too-few warnings queued"


@job("patrol home-safe escalation")
def patrol_home_safe_job() -> str:
    from volunteer_hub.services.patrols import escalate_missing_check_outs

    return f"{_queued(escalate_missing_check_outs)} home-safe alerts queued"
