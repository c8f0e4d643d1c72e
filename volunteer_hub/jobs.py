"""Scheduled jobs. `flask jobs run` runs each registered job and commits after each.

Areas register with `@job("name")`; a job is a function taking no arguments that does its
work through services and returns a short summary. It must be safe to run twice at once.
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
