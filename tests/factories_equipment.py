"""Equipment test data: items, stores, places, assets, stock put in place through the services,
and the ledger check every scenario ends with."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from volunteer_hub.models import ItemKind, PlaceKind, StockBalance, db
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.services import equipment as svc

_counter = itertools.count(1)


def make_item(name: str | None = None, kind: ItemKind = ItemKind.CONSUMABLE, low_stock_level: int = 0, plural=None):
    item = svc.create_item(name or f"Item {next(_counter)}", kind, low_stock_level=low_stock_level, plural=plural)
    db.session.commit()
    return item


def make_store(name: str | None = None):
    store = svc.create_store(name or f"Store {next(_counter)}")
    db.session.commit()
    return store


def make_place(name: str | None = None, kind: PlaceKind = PlaceKind.STREET):
    place = svc.create_place(name or f"Place {next(_counter)}", kind)
    db.session.commit()
    return place


def make_asset(serial: str | None = None, item=None):
    item = item or make_item(kind=ItemKind.RETURNABLE)
    asset = svc.add_asset(item, serial or f"SN-{next(_counter):05d}")
    db.session.commit()
    return asset


def stock(holder, item, quantity: int, by=None) -> None:
    """Put `quantity` of `item` at `holder` the way it really gets there (receive, then issue)."""
    if holder.is_store:
        svc.receive_stock(holder, item, quantity, by=by)
    else:
        store = svc.create_store(f"Supply store {next(_counter)}")
        svc.receive_stock(store, item, quantity, by=by)
        svc.issue_stock(store, item, [holder], quantity, by=by)
    db.session.commit()


def assert_ledger_balances() -> None:
    """The sum of movements equals every balance, no balance is negative, the report's hand-out
    totals equal the ledger's net hand-outs, and each holder counts the items it holds."""
    db.session.rollback()
    assert svc.ledger_mismatches() == []
    assert equipment_queries.hand_out_total_mismatches() == []
    assert svc.items_held_mismatches() == []
    assert all(b.quantity >= 0 for b in db.session.scalars(select(StockBalance)))


@pytest.fixture()
def ledger_checked(app):
    """Use in every equipment scenario: after the test, the books must agree."""
    yield
    assert_ledger_balances()
