"""Run a job in several threads at once, as overlapping `flask jobs run` processes would: each
thread has its own app context (its own session and connection) and they start together."""
from __future__ import annotations

import threading
from collections.abc import Callable

from volunteer_hub.models import db, immediate_transactions


def at_once(app, job: Callable[[], object], times: int = 2, *, in_transaction: bool = False) -> list:
    """`job`'s results, one per thread. `in_transaction`: the job writes without a unit of work of
    its own, so each thread runs it in a writer's transaction and commits."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                if in_transaction:
                    with immediate_transactions():
                        results.append(job())
                        db.session.commit()
                else:
                    results.append(job())
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == times, "a thread did not finish"
    return results
