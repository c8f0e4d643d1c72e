"""Scheduled jobs: the one place that lists them. `flask jobs run` runs each and commits after
each; a job may commit more often to keep locks short. A job is a function taking no arguments
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


@job("send outbox")
def send_outbox_job() -> str:
    from volunteer_hub.models import db
    from volunteer_hub.services.outbox import send_pending

    sent = failed = 0
    while True:
        s, f = send_pending(limit=50)
        db.session.commit()
        sent, failed = sent + s, failed + f
        if s + f == 0 or s == 0:
            break
    return f"{sent} sent, {failed} not sent (will retry)"


@job("lapse waitlist offers")
def lapse_offers_job() -> str:
    """Offers not answered in time pass to the next person (also done whenever a session is viewed)."""
    from volunteer_hub.models import TrainingSession, db
    from volunteer_hub.services.training import lapse_offers, sessions_with_expired_offers

    ids = sessions_with_expired_offers()
    total = 0
    for session_id in ids:
        total += lapse_offers(db.session.get(TrainingSession, session_id))
        db.session.commit()  # one session at a time: its row lock is held only briefly
    return f"{total} offers lapsed in {len(ids)} sessions"


@job("training reminders")
def training_reminders_job() -> str:
    from volunteer_hub.services.training import send_due_reminders

    return f"{send_due_reminders()} reminders queued"


@job("certificate expiry reminders")
def certificate_reminders_job() -> str:
    from volunteer_hub.services.certificates import send_expiry_reminders

    return f"{send_expiry_reminders()} reminders queued"


@job("certificate weekly summary")
def certificate_summary_job() -> str:
    from volunteer_hub.services.certificates import send_weekly_summary

    return f"{send_weekly_summary()} summaries queued"
