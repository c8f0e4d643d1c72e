"""The one way stock changes (`record_movements`), and the ledger's own check.

It locks the balance rows involved (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write
transaction already began with BEGIN IMMEDIATE), checks the request against what is held, writes
the movement rows and updates the balances, all in the caller's transaction. Nothing here commits.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_hub import clock
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.models import (
    Holder,
    MovementKind,
    StockBalance,
    StockMovement,
    User,
    db,
    utcnow,
)
from volunteer_hub.services.equipment.common import InsufficientStock, Line, Outcome
from volunteer_hub.services.equipment.low_stock import check_low_stock
from volunteer_hub.services.equipment.totals import roll_up_hand_outs


# --- the one way stock changes --------------------------------------------------------------
def lock_balances(pairs) -> dict[tuple[int, int], StockBalance]:
    """Make sure a balance row exists for each (item_id, holder_id) and lock them, in a fixed order.

    One statement: an upsert whose conflict branch rewrites the quantity unchanged, so every row,
    new or old, comes back locked (on PostgreSQL, ON CONFLICT DO UPDATE locks the row as SELECT
    ... FOR UPDATE would; on SQLite the write transaction already holds the database)."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    now = utcnow()
    # The documented ORM upsert: one INSERT ... ON CONFLICT ... RETURNING for all the rows (in
    # this order), its statement built once per dialect.
    rows = db.session.scalars(
        _lock_balances_statement(db.session.get_bind().dialect.name),
        [{"item_id": i, "holder_id": h, "quantity": 0, "updated_at": now} for i, h in pairs],
        execution_options={"populate_existing": True})
    return {(b.item_id, b.holder_id): b for b in rows}


@functools.cache
def _lock_balances_statement(dialect: str):
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(StockBalance)
    return stmt.on_conflict_do_update(index_elements=["item_id", "holder_id"],
                                      set_={"quantity": StockBalance.quantity}).returning(StockBalance)


def _line_keys(key: str | None, count: int) -> list[str | None]:
    if not key:
        return [None] * count
    return [f"{key}:{n}" for n in range(1, count + 1)]


_RECORDED_WITH_KEY = (
    select(StockMovement)
    # "<key>:1", "<key>:2"... sort between "<key>:" and "<key>;" (";" follows ":" in ASCII).
    .where(StockMovement.idempotency_key > bindparam("after"), StockMovement.idempotency_key < bindparam("before"))
    .order_by(StockMovement.id)
)


def already_recorded(key: str | None) -> list[StockMovement] | None:
    if not key:
        return None
    found = list(db.session.scalars(_RECORDED_WITH_KEY, {"after": f"{key}:", "before": f"{key};"}))
    return found or None


def record_movements(kind: MovementKind, lines: list[Line], *, by: User | None, idempotency_key: str | None = None,
                     occurred_on: dt.date | None = None, **details) -> Outcome:
    """Record movements of stock: lock, check, write the ledger rows, update balances.

    Refuses zero or negative quantities and taking more than a holder holds (the message says
    what is held). With an idempotency key seen before, records nothing and returns the
    earlier movements with `duplicate=True`.
    """
    for line in lines:
        if line.quantity is None or line.quantity <= 0:
            raise ValidationFailed("Enter a quantity of 1 or more.", "quantity")
        if line.from_holder is None and line.to_holder is None:
            raise ValidationFailed("Say where the stock comes from or goes to.")
        if line.from_holder is not None and line.to_holder is not None and line.from_holder.id == line.to_holder.id:
            raise ValidationFailed("Stock cannot move to where it already is.", "to_holder_id")
    pairs = [(ln.item.id, h.id) for ln in lines for h in (ln.from_holder, ln.to_holder) if h is not None]
    balances = lock_balances(pairs)
    earlier = already_recorded(idempotency_key)
    if earlier:
        return Outcome(earlier, duplicate=True)
    needs: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        if line.from_holder is not None:
            needs[(line.item.id, line.from_holder.id)] += line.quantity
    for line in lines:
        if line.from_holder is None:
            continue
        pair = (line.item.id, line.from_holder.id)
        held = balances[pair].quantity
        if held < needs[pair]:
            raise InsufficientStock(line.from_holder, line.item, held, needs[pair])
    now = utcnow()
    movements = []
    held_before = {pair: balance.quantity > 0 for pair, balance in balances.items()}
    for line, key in zip(lines, _line_keys(idempotency_key, len(lines)), strict=True):
        movement = StockMovement(
            kind=kind, item=line.item, from_holder=line.from_holder, to_holder=line.to_holder,
            quantity=line.quantity, recorded_by=by, recorded_at=now, occurred_on=occurred_on or clock.today(),
            idempotency_key=key, **details,
        )
        db.session.add(movement)
        movements.append(movement)
        if line.from_holder is not None:
            balances[(line.item.id, line.from_holder.id)].quantity -= line.quantity
            balances[(line.item.id, line.from_holder.id)].updated_at = now
        if line.to_holder is not None:
            balances[(line.item.id, line.to_holder.id)].quantity += line.quantity
            balances[(line.item.id, line.to_holder.id)].updated_at = now
    _count_items_held(lines, balances, held_before)
    db.session.flush()
    roll_up_hand_outs(kind, movements)
    check_low_stock(lines, balances)
    return Outcome(movements)


def _count_items_held(lines: list[Line], balances: dict[tuple[int, int], StockBalance],
                      held_before: dict[tuple[int, int], bool]) -> None:
    """Keep Holder.items_held when a balance starts or stops being above zero (in SQL, so two
    writers changing different items of one holder both count)."""
    change: dict[int, int] = defaultdict(int)
    for (item_id, holder_id), balance in balances.items():
        change[holder_id] += int(balance.quantity > 0) - int(held_before[(item_id, holder_id)])
    holders = {h.id: h for line in lines for h in (line.from_holder, line.to_holder) if h is not None}
    for holder_id, n in change.items():
        if n:
            holders[holder_id].items_held = Holder.items_held + n


# --- the ledger's own check ---------------------------------------------------------------------
def ledger_mismatches() -> list[tuple[int, int, int, int]]:
    """(item_id, holder_id, balance, ledger sum) wherever they differ; empty when the books agree."""
    incoming = (select(StockMovement.item_id, StockMovement.to_holder_id.label("holder_id"),
                       StockMovement.quantity.label("q")).where(StockMovement.to_holder_id.is_not(None)))
    outgoing = (select(StockMovement.item_id, StockMovement.from_holder_id.label("holder_id"),
                       (-StockMovement.quantity).label("q")).where(StockMovement.from_holder_id.is_not(None)))
    flows = incoming.union_all(outgoing).subquery()
    sums = {(i, h): q for i, h, q in db.session.execute(
        select(flows.c.item_id, flows.c.holder_id, func.sum(flows.c.q)).group_by(flows.c.item_id, flows.c.holder_id))}
    balances = {(b.item_id, b.holder_id): b.quantity for b in db.session.scalars(select(StockBalance))}
    return [(i, h, balances.get((i, h), 0), sums.get((i, h), 0))
            for i, h in sorted(set(sums) | set(balances)) if balances.get((i, h), 0) != sums.get((i, h), 0)]


def items_held_mismatches() -> list[tuple[int, int, int]]:
    """(holder_id, items_held, balances above zero) wherever Holder.items_held is wrong."""
    held = (select(func.count()).where(StockBalance.holder_id == Holder.id, StockBalance.quantity > 0)
            .correlate(Holder).scalar_subquery())
    return [tuple(row) for row in db.session.execute(
        select(Holder.id, Holder.items_held, held).where(Holder.items_held != held).order_by(Holder.id))]


def count_items_held() -> None:
    """Set every holder's items_held from its balances (after balances are written in bulk)."""
    held = (select(func.count()).where(StockBalance.holder_id == Holder.id, StockBalance.quantity > 0)
            .scalar_subquery())
    db.session.execute(update(Holder).values(items_held=held).execution_options(synchronize_session=False))


