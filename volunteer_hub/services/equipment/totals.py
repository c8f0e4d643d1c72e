"""Hand-out totals: the report's roll-up of the ledger, kept in the same transaction as each movement."""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_hub.models import (
    HandOutTotal,
    MovementKind,
    StockMovement,
    TotalGrain,
    db,
)
from volunteer_hub.models.equipment import place_key


# --- hand-out totals: the report's roll-up of the ledger ------------------------------------------
def roll_up_hand_outs(kind: MovementKind, movements: list[StockMovement]) -> None:
    """Count new hand-outs into the totals, or take a reversed hand-out back out of them (on the
    day and at the place of the original)."""
    deltas: dict[tuple[dt.date, int, int | None, str | None], int] = defaultdict(int)
    for m in movements:
        if kind is MovementKind.HAND_OUT:
            deltas[(m.occurred_on, m.item_id, m.place_id, m.place_text)] += m.quantity
        elif kind is MovementKind.REVERSAL and m.reverses is not None and m.reverses.kind is MovementKind.HAND_OUT:
            o = m.reverses
            deltas[(o.occurred_on, o.item_id, o.place_id, o.place_text)] -= o.quantity
    add_to_hand_out_totals(deltas)


@functools.cache
def _add_to_totals(dialect: str):
    """The upsert that adds to a hand-out total, built once per dialect (run with many rows, on the
    table: a plain executemany, without the ORM's bulk-insert machinery)."""
    t = HandOutTotal.__table__
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(t)
    return stmt.on_conflict_do_update(index_elements=["grain", "period_start", "item_id", "place_key"],
                                      set_={"quantity": t.c.quantity + stmt.excluded.quantity})


def add_to_hand_out_totals(deltas: dict[tuple[dt.date, int, int | None, str | None], int]) -> None:
    """Add each quantity to the totals of its (day, item_id, place_id, place_text), at both
    grains: additions in one upsert run with all the rows, in a fixed order (so concurrent writers
    lock rows in the same order); a negative quantity (a reversal) is taken from the existing
    totals, and the database refuses a total below zero."""
    rows: dict[tuple, int] = defaultdict(int)
    for (day, item_id, place_id, place_text), quantity in deltas.items():
        place_text = None if place_id is not None else place_text
        for grain, start in ((TotalGrain.DAY, day), (TotalGrain.MONTH, day.replace(day=1))):
            rows[(grain.value, start, item_id, place_key(place_id, place_text), place_id, place_text)] += quantity
    added = sorted((k, q) for k, q in rows.items() if q > 0)
    if added:
        db.session.connection().execute(_add_to_totals(db.session.get_bind().dialect.name), [
            {"grain": TotalGrain(grain), "period_start": start, "item_id": item_id, "place_key": key,
             "place_id": place_id, "place_text": place_text, "quantity": quantity}
            for (grain, start, item_id, key, place_id, place_text), quantity in added])
    taken = sorted((k, q) for k, q in rows.items() if q < 0)
    if taken:
        t = HandOutTotal.__table__
        db.session.execute(
            update(t).where(t.c.grain == bindparam("b_grain"), t.c.period_start == bindparam("b_start"),
                            t.c.item_id == bindparam("b_item"), t.c.place_key == bindparam("b_key"))
            .values(quantity=t.c.quantity + bindparam("b_quantity")),
            [{"b_grain": TotalGrain(grain), "b_start": start, "b_item": item_id, "b_key": key, "b_quantity": quantity}
             for (grain, start, item_id, key, _, _), quantity in taken])


