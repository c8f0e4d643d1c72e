"""Holders of stock: stores, people's kit bags and organisations' stock."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import joinedload

from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Holder,
    HolderKind,
    Item,
    Organisation,
    StockBalance,
    User,
    db,
    utcnow,
)
from volunteer_hub.services.equipment.common import fetch_rows, insert_row


# --- holders ----------------------------------------------------------------------------------
def kit_bag_for(user: User) -> Holder:
    """The person's kit bag, made the first time it is needed."""
    db.session.execute(insert_row(Holder).values(kind=HolderKind.KIT_BAG.value, user_id=user.id, created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["user_id"]))
    return db.session.scalars(select(Holder).where(Holder.user_id == user.id)).one()


def holder_for_organisation(org: Organisation) -> Holder:
    db.session.execute(insert_row(Holder).values(kind=HolderKind.ORGANISATION.value, organisation_id=org.id,
                                              created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["organisation_id"]))
    return db.session.scalars(select(Holder).where(Holder.organisation_id == org.id)).one()


def find_kit_bag(user: User) -> Holder | None:
    return db.session.scalar(select(Holder).where(Holder.user_id == user.id))


@dataclass(frozen=True, slots=True)
class Held:
    """How many of an item a kit bag holds, as its pages and the hand-out form need it (the
    balance's number without loading the balance row as an object)."""

    item: Item
    quantity: int


_KIT_BAG_WITH_ITEMS = (
    select(Holder, Item, StockBalance.quantity)
    .outerjoin(StockBalance, and_(StockBalance.holder_id == Holder.id, StockBalance.quantity > 0))
    .outerjoin(Item, Item.id == StockBalance.item_id)
    .where(Holder.user_id == bindparam("user_id")).order_by(Item.name)
)


def kit_bag_with_balances(user: User) -> tuple[Holder | None, list[Held]]:
    """The person's kit bag (None if they have none yet) and what it holds, in one query."""
    rows = db.session.execute(_KIT_BAG_WITH_ITEMS, {"user_id": user.id}).all()
    if not rows:
        return None, []
    return rows[0][0], [Held(item, quantity) for _, item, quantity in rows if item is not None]


def create_store(name: str) -> Holder:
    """Add a store (a place stock is kept)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter the store's name.", "name")
    if db.session.scalar(select(Holder.id).where(func.lower(Holder.name) == name.lower())):
        raise Conflict(f"There is already a store called {name}.", "name")
    store = Holder(kind=HolderKind.STORE, name=name)
    db.session.add(store)
    db.session.flush()
    return store


def list_stores() -> list[Holder]:
    return list(db.session.scalars(select(Holder).where(Holder.kind == HolderKind.STORE).order_by(Holder.name)))


_STORE_NAMES = select(Holder.id, Holder.name).where(Holder.kind == HolderKind.STORE).order_by(Holder.name)


def store_names() -> list[tuple[int, str]]:
    """[(id, name)] of every store, as list_stores() orders them."""
    return fetch_rows(_STORE_NAMES).all()




def balances_for(holder: Holder, only_held: bool = True) -> list[StockBalance]:
    stmt = (select(StockBalance).join(StockBalance.item).where(StockBalance.holder_id == holder.id)
            .options(joinedload(StockBalance.item)).order_by(Item.name))
    if only_held:
        stmt = stmt.where(StockBalance.quantity > 0)
    return list(db.session.scalars(stmt))


