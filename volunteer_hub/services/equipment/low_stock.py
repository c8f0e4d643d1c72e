"""Low stock: the alert emails to coordinators when a store falls to its item's level."""
from __future__ import annotations

import functools

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_hub.models import (
    Holder,
    HolderKind,
    Item,
    ItemKind,
    LowStockAlert,
    Role,
    StockBalance,
    User,
    UserRole,
    db,
    utcnow,
)
from volunteer_hub.models.equipment import item_count
from volunteer_hub.services.equipment.common import Line, fetch_rows
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url


# --- low stock --------------------------------------------------------------------------------
def _coordinators() -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR, User.is_active.is_(True)).order_by(User.id)
    ))


def check_low_stock(lines: list[Line], balances: dict[tuple[int, int], StockBalance]) -> None:
    """Raise one alert (one email to each coordinator) when a store falls to or below an item's
    level; clear it when the store is refilled above the level. Runs under the balance lock."""
    seen = set()
    for line in lines:
        for holder in (line.from_holder, line.to_holder):
            if holder is None or not holder.is_store or (line.item.id, holder.id) in seen:
                continue
            seen.add((line.item.id, holder.id))
            item, quantity = line.item, balances[(line.item.id, holder.id)].quantity
            alert = db.session.scalar(select(LowStockAlert).where(
                LowStockAlert.item_id == item.id, LowStockAlert.holder_id == holder.id,
                LowStockAlert.cleared_at.is_(None)))
            if quantity <= item.low_stock_level and alert is None and item.is_active:
                alert = LowStockAlert(item_id=item.id, holder_id=holder.id)
                db.session.add(alert)
                db.session.flush()
                for person in _coordinators():
                    queue_email(
                        key=f"low-stock:{alert.id}:{person.id}", recipient=person.email, recipient_id=person.id,
                        subject=f"Low stock: {item.name} at {holder.display_name}", template="low_stock",
                        person=person, item=item, holder=holder, quantity=quantity,
                        stock_url=external_url("equipment.low_stock"),
                    )
            elif quantity > item.low_stock_level and alert is not None:
                alert.cleared_at = utcnow()


def _is_low_stock():
    return (Holder.kind == HolderKind.STORE, Item.is_active.is_(True), Item.kind == ItemKind.CONSUMABLE,
            StockBalance.quantity <= Item.low_stock_level)


def low_stock_balances() -> list[StockBalance]:
    """Store balances at or below their item's low-stock level (active items)."""
    stmt = (
        select(StockBalance).join(StockBalance.item).join(StockBalance.holder)
        .where(*_is_low_stock())
        .options(joinedload(StockBalance.item), joinedload(StockBalance.holder))
        .order_by(Item.name, Holder.name)
    )
    return list(db.session.scalars(stmt))


@functools.cache
def _low_stock_summary_statement():
    return (select(Holder.name, Item.name, Item.plural, StockBalance.quantity)
            .join(Item, Item.id == StockBalance.item_id).join(Holder, Holder.id == StockBalance.holder_id)
            .where(*_is_low_stock()).order_by(Item.name, Holder.name))


def low_stock_summary() -> list[str]:
    """low_stock_balances() as the stock page says them: "Central store holds 3 personal alarms"
    (columns, not entities: the page shows only these words)."""
    return [f"{store or 'Store'} holds {item_count(name, plural, quantity)}"
            for store, name, plural, quantity in fetch_rows(_low_stock_summary_statement())]


