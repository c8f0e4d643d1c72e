"""What the equipment writes share: a line of a movement, the outcome of a verb, the refusal for too little stock."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_hub.errors import Conflict
from volunteer_hub.models import (
    Holder,
    Item,
    StockMovement,
    db,
)


class InsufficientStock(Conflict):
    """More was asked for than the holder holds. `item_id` says which line."""

    def __init__(self, holder: Holder, item: Item, held: int, asked: int, field: str | None = "quantity"):
        super().__init__(f"{holder.display_name} holds {item.count(held)}; you asked for {asked}.", field)
        self.item_id, self.held, self.asked = item.id, held, asked
        self.item = item


@dataclass(frozen=True)
class Line:
    """One unit of change: `quantity` of `item` leaves `from_holder` (if any) for `to_holder` (if any)."""

    item: Item
    quantity: int
    from_holder: Holder | None = None
    to_holder: Holder | None = None


@dataclass
class Outcome:
    movements: list[StockMovement] = field(default_factory=list)
    duplicate: bool = False  # the form had been submitted before: nothing new was recorded


def fetch_rows(stmt, params=None):
    """Run a read-only statement of plain columns on the session's connection: the same
    transaction, without the ORM's per-statement work (about half the cost of session.execute
    for a small query), for pages that show names and numbers rather than objects."""
    return db.session.connection().execute(stmt, params)


def insert_row(model):
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
