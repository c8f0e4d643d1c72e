"""Returnable assets (radios, torches): serials, loans out and back, overdue loans."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from volunteer_hub import clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Asset,
    AssetLoan,
    Item,
    User,
    db,
    utcnow,
)


# --- returnable assets -------------------------------------------------------------------------
def add_asset(item: Item, serial: str) -> Asset:
    """Register one returnable unit by its serial number."""
    if not item.is_returnable:
        raise ValidationFailed(f"{item.name} is not lent by serial number.", "item_id")
    serial = (serial or "").strip()
    if not serial:
        raise ValidationFailed("Enter the serial number.", "serial")
    if db.session.scalar(select(Asset.id).where(func.lower(Asset.serial) == serial.lower())):
        raise Conflict(f"Serial {serial} is already registered.", "serial")
    asset = Asset(item=item, serial=serial)
    db.session.add(asset)
    db.session.flush()
    return asset


def open_loan(asset: Asset) -> AssetLoan | None:
    return db.session.scalar(select(AssetLoan).where(AssetLoan.asset_id == asset.id, AssetLoan.returned_at.is_(None)))


def check_out_asset(asset: Asset, user: User, due_on: dt.date, *, by: User) -> AssetLoan:
    """Lend a returnable unit to a person until a due date. A unit cannot be out twice."""
    db.session.scalars(select(Asset).where(Asset.id == asset.id).with_for_update()).one()
    if not asset.is_active:
        raise Conflict(f"{asset.item.name} {asset.serial} is retired.")
    if due_on is None or due_on < clock.today():
        raise ValidationFailed("The due date is today or later.", "due_on")
    current = open_loan(asset)
    if current is not None:
        raise Conflict(f"{asset.item.name} {asset.serial} is already out with {current.user.name}, "
                       f"due back {current.due_on:%-d %b %Y}.")
    loan = AssetLoan(asset=asset, user=user, due_on=due_on, checked_out_by_id=by.id)
    db.session.add(loan)
    db.session.flush()
    return loan


def check_in_asset(asset: Asset, *, by: User) -> AssetLoan:
    """Record a lent unit as back."""
    db.session.scalars(select(Asset).where(Asset.id == asset.id).with_for_update()).one()
    loan = open_loan(asset)
    if loan is None:
        raise Conflict(f"{asset.item.name} {asset.serial} is not checked out.")
    loan.returned_at = utcnow()
    loan.returned_by_id = by.id
    db.session.flush()
    return loan


def assets_with_loans() -> list[tuple[Asset, AssetLoan | None]]:
    assets = list(db.session.scalars(select(Asset).options(joinedload(Asset.item)).order_by(Asset.serial)))
    loans = {loan.asset_id: loan for loan in db.session.scalars(
        select(AssetLoan).where(AssetLoan.returned_at.is_(None)).options(joinedload(AssetLoan.user)))}
    return [(a, loans.get(a.id)) for a in assets]


def overdue_loans() -> list[AssetLoan]:
    return list(db.session.scalars(
        select(AssetLoan).where(AssetLoan.returned_at.is_(None), AssetLoan.due_on < clock.today())
        .options(joinedload(AssetLoan.asset).joinedload(Asset.item), joinedload(AssetLoan.user))
        .order_by(AssetLoan.due_on)
    ))


def loans_for(user: User) -> list[AssetLoan]:
    return list(db.session.scalars(
        select(AssetLoan).where(AssetLoan.user_id == user.id, AssetLoan.returned_at.is_(None))
        .options(joinedload(AssetLoan.asset).joinedload(Asset.item)).order_by(AssetLoan.due_on)
    ))
