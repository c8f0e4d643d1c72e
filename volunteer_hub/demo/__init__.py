"""Demo data for `make run`: idempotent, so running it again changes nothing.

Each area has a module here with a `seed()` function that looks before it creates; they run
in the order of their file names (a_people, b_training, ...).
"""
from __future__ import annotations

import importlib
import pkgutil

from volunteer_hub.demo.a_people import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: F401


def seed_demo() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}").seed()
