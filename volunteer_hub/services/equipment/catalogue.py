"""What is stocked (items) and where it is handed out (places)."""
from __future__ import annotations

from sqlalchemy import func, select

from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Item,
    ItemKind,
    Place,
    PlaceKind,
    db,
)
from volunteer_hub.services.equipment.common import fetch_rows


# --- items and places -----------------------------------------------------------------------
def _check_item_name(name: str, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter the item's name.", "name")
    stmt = select(Item.id).where(func.lower(Item.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(Item.id != exclude_id)
    if db.session.scalar(stmt):
        raise Conflict(f"There is already an item called {name}.", "name")
    return name


def create_item(name: str, kind: ItemKind, unit: str = "each", low_stock_level: int = 0,
                plural: str | None = None) -> Item:
    """Add an item to the catalogue."""
    name = _check_item_name(name)
    if low_stock_level is None or low_stock_level < 0:
        raise ValidationFailed("The low-stock level is 0 or more.", "low_stock_level")
    item = Item(name=name, plural=(plural or "").strip() or name.lower() + "s", kind=kind,
                unit=(unit or "each").strip(), low_stock_level=low_stock_level)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item: Item, name: str, plural: str | None, unit: str, low_stock_level: int, is_active: bool) -> None:
    """Change an item's details, its low-stock level, or retire it."""
    item.name = _check_item_name(name, exclude_id=item.id)
    if low_stock_level is None or low_stock_level < 0:
        raise ValidationFailed("The low-stock level is 0 or more.", "low_stock_level")
    item.plural = (plural or "").strip() or item.name.lower() + "s"
    item.unit = (unit or "each").strip()
    item.low_stock_level = low_stock_level
    item.is_active = is_active
    db.session.flush()


def list_items(active_only: bool = True, kind: ItemKind | None = ItemKind.CONSUMABLE) -> list[Item]:
    stmt = select(Item).order_by(Item.name)
    if active_only:
        stmt = stmt.where(Item.is_active.is_(True))
    if kind is not None:
        stmt = stmt.where(Item.kind == kind)
    return list(db.session.scalars(stmt))


_ITEM_NAMES = select(Item.id, Item.name).order_by(Item.name)


def item_names() -> list:
    """Every item (retired ones too) as rows of (id, name), by name: for pages that show only names."""
    return fetch_rows(_ITEM_NAMES).all()


def create_place(name: str, kind: PlaceKind) -> Place:
    """Add a street or zone to the list hand-outs are recorded against."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter the place's name.", "name")
    if db.session.scalar(select(Place.id).where(func.lower(Place.name) == name.lower())):
        raise Conflict(f"{name} is already on the list.", "name")
    place = Place(name=name, kind=kind)
    db.session.add(place)
    db.session.flush()
    return place


def set_place_active(place: Place, active: bool) -> None:
    """Retire a place from the hand-out form (its history stays), or bring it back."""
    place.is_active = active
    db.session.flush()


_PLACE_NAMES = select(Place.id, Place.name).where(Place.is_active.is_(True)).order_by(Place.name)


def place_names() -> list[tuple[int, str]]:
    """[(id, name)] of the places on the hand-out list, as list_places() orders them."""
    return fetch_rows(_PLACE_NAMES).all()


def list_places(active_only: bool = True) -> list[Place]:
    stmt = select(Place).order_by(Place.is_active.desc(), Place.name)
    if active_only:
        stmt = stmt.where(Place.is_active.is_(True))
    return list(db.session.scalars(stmt))


