"""Generated data at scale for the benchmark: `flask demo seed --scale N`.

Each area's module in volunteer_hub/demo/ may define `seed_scale(scale, progress)`; they run in
the order of their file names, after the ordinary demo seed (so the demo accounts exist). Rules
for a `seed_scale`:
- top up to the target, do not add blindly: count what a previous run made and generate only the
  rest, so running scale 1 then scale 10 gives scale 10, and running it twice adds nothing;
- take the targets from `target(key, scale)`, SCALE_1 × scale (one place for the sizes the issue
  asks for; a fractional scale such as 0.05 makes a small set for tests);
- insert with core bulk inserts in batches (`insert_batches`), not one ORM object at a time, and
  report with `progress.bar(label, total)`; each batch is committed, so scale 100 never holds one
  giant transaction;
- realistic values: `fake()` (Faker, en_GB) and `spread(n)` for dates across three years.
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy import func, insert, select

from volunteer_hub.models import db, utcnow

# What scale 1 means; scale N is N times each. Areas read their own line.
SCALE_1 = {
    "people": 1_000,
    "organisations": 60,  # at most 300 (a_people.MAX_ORGANISATIONS): a town has only so many partners
    "sessions": 200,
    "bookings": 5_000,
    "stock_movements": 10_000,
    "certificates": 2_000,
}
BATCH = 5_000


def target(what: str, scale: float) -> int:
    """How many of `what` (a key of SCALE_1) scale N asks for; fractional scales make small sets (tests)."""
    return round(SCALE_1[what] * scale)

YEARS = 3


class Progress:
    """What `seed_scale` functions report to: `with progress.bar("People", n) as bar: bar.update(k)`."""

    def __init__(self, show: bool = True):
        self.show = show

    @contextmanager
    def bar(self, label: str, total: int) -> Iterator:
        if not self.show:
            yield _Silent()
            return
        with click.progressbar(length=total, label=f"{label:<22}", show_pos=True, show_eta=True) as bar:
            yield bar


class _Silent:
    def update(self, n: int) -> None:
        pass


def fake(seed: int = 0):
    """A Faker with British names, addresses and phone numbers, seeded so runs are repeatable."""
    from faker import Faker  # only the generator needs it

    faker = Faker("en_GB")
    faker.seed_instance(seed)
    return faker


def ascii_slug(text: str) -> str:
    """'Siân O'Neill' -> 'sian.oneill' (for generated email addresses)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join("".join(c for c in word if c.isalnum()) for word in folded.lower().split())


def spread(rng: random.Random, years: int = YEARS, future_days: int = 0) -> dt.datetime:
    """A time between `years` ago and `future_days` ahead, aware UTC, on the quarter hour."""
    now = utcnow().replace(second=0, microsecond=0)
    start = now - dt.timedelta(days=365 * years)
    span = (now + dt.timedelta(days=future_days) - start).total_seconds()
    when = start + dt.timedelta(seconds=rng.random() * span)
    return when.replace(minute=when.minute // 15 * 15)


def batched(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_batches(table, rows: Iterable[dict], bar, returning=None) -> list:
    """Bulk-insert `rows` (dicts, all with the same keys) into `table` (a model or Table) a batch at a
    time, committing each batch and advancing `bar`. With `returning` (the `id` column), returns the new ids in row order.

    The ids are given here, counting on from the highest (and PostgreSQL's sequence is moved past
    them afterwards): INSERT ... RETURNING in parameter order makes SQLite insert one row at a time,
    which at scale 100 takes minutes. So nothing else may insert into the table meanwhile (the
    generator runs alone, as `flask demo seed` does)."""
    table = getattr(table, "__table__", table)  # core executemany: one statement per batch, not per row
    ids: list[int] = []
    next_id = None
    if returning is not None:
        returning = returning.expression  # the Column (from a model's attribute)
        next_id = (db.session.scalar(select(func.max(returning))) or 0) + 1
    for batch in batched(rows):
        if next_id is not None:
            for row in batch:
                row[returning.key] = next_id
                ids.append(next_id)
                next_id += 1
        db.session.execute(insert(table), batch)
        db.session.commit()
        bar.update(len(batch))
    if returning is not None and ids:
        fix_sequence(returning)
    return ids


def fix_sequence(id_column) -> None:
    """After inserting explicit ids on PostgreSQL, move the table's id sequence past the highest."""
    if db.engine.dialect.name != "postgresql":
        return
    sequence = func.pg_get_serial_sequence(id_column.table.name, id_column.key)
    db.session.execute(select(func.setval(sequence, select(func.max(id_column)).scalar_subquery())))
    db.session.commit()
