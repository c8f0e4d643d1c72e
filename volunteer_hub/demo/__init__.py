"""Demo data for `make run`: idempotent, so running it again changes nothing.

Each area has a module here with a `seed()` function that looks before it creates; they run
in the order of their file names (a_people, b_training, ...). A module may also define
`seed_scale(scale, progress)` for the benchmark's generated data (see _scale.py).
"""
from __future__ import annotations

import importlib
import pkgutil

from volunteer_hub.demo.a_people import DEMO_ACCOUNTS, DEMO_AGENCIES, DEMO_PASSWORD, DEMO_TOTP_SECRET  # noqa: F401


def _area_modules():
    for name in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        yield importlib.import_module(f"{__name__}.{name}")


def seed_demo() -> None:
    for module in _area_modules():
        module.seed()


def seed_scale(scale: float, progress) -> None:
    """Generated data for the benchmark: each area's `seed_scale(scale, progress)`, in order."""
    from volunteer_hub.models import User, db
    from volunteer_hub.services import report_rollups

    for module in _area_modules():
        if hasattr(module, "seed_scale"):
            module.seed_scale(scale, progress)
    # The areas insert in bulk, past the listener that keeps the report's roll-ups: rebuild them.
    with progress.bar("Report roll-ups", db.session.scalar(db.select(db.func.max(User.id))) or 0) as bar:
        report_rollups.rebuild(on_batch=bar.update)
