"""Demo equipment: items, a central store, deliveries, stock in kit bags and at a venue, and
hand-outs over recent months at a few places so the report has figures."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from volunteer_hub.models import Item, ItemKind, Organisation, Place, PlaceKind, StockMovement, User, db
from volunteer_hub.services import equipment as svc

ITEMS = [
    # name, plural, kind, low-stock level
    ("Personal alarm", "personal alarms", ItemKind.CONSUMABLE, 40),
    ("Anti-spike scrunchie", "anti-spike scrunchies", ItemKind.CONSUMABLE, 30),
    ("Drink cover", "drink covers", ItemKind.CONSUMABLE, 150),
    ("Radio", "radios", ItemKind.RETURNABLE, 0),
]
PLACES = [("High Street", PlaceKind.STREET), ("Market Square", PlaceKind.STREET),
          ("Station Approach", PlaceKind.STREET), ("Riverside bars", PlaceKind.ZONE)]
RADIOS = ["RAD-0101", "RAD-0102", "RAD-0103", "RAD-0104"]


def _item(name, plural, kind, level) -> Item:
    item = db.session.scalar(select(Item).where(Item.name == name))
    return item or svc.create_item(name, kind, low_stock_level=level, plural=plural)


def seed() -> None:
    items = {name: _item(name, plural, kind, level) for name, plural, kind, level in ITEMS}
    places = []
    for name, kind in PLACES:
        places.append(db.session.scalar(select(Place).where(Place.name == name)) or svc.create_place(name, kind))
    for serial in RADIOS:
        if not db.session.scalar(select(svc.Asset).where(svc.Asset.serial == serial)):
            svc.add_asset(items["Radio"], serial)
    if db.session.scalar(select(StockMovement.id).limit(1)):
        return  # the ledger is already seeded: never add movements twice
    store = svc.create_store("Central store")
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    volunteer = db.session.scalar(select(User).where(User.email == "volunteer@example.org"))
    ambassadors = list(db.session.scalars(select(User).where(User.email.like("demo.volunteer%")).order_by(User.id)))[:4]
    venue = db.session.scalar(select(Organisation).where(Organisation.name == "The Red Lion"))
    today = svc.today()
    rng = random.Random(2026)
    alarm, scrunchie, cover = items["Personal alarm"], items["Anti-spike scrunchie"], items["Drink cover"]
    for days_ago, (a, s, c) in ((150, (300, 250, 200)), (100, (200, 150, 0)), (45, (150, 0, 100))):
        when = today - dt.timedelta(days=days_ago)
        for item, quantity in ((alarm, a), (scrunchie, s), (cover, c)):
            if quantity:
                svc.record_movements(svc.MovementKind.RECEIVE, [svc.Line(item, quantity, to_holder=store)],
                                     by=coordinator, occurred_on=when, supplier="SafeNight Supplies Ltd",
                                     batch=f"B{when:%y%m}-{item.id}",
                                     use_by=when + dt.timedelta(days=730) if item is alarm else None)
    bags = [svc.kit_bag_for(u) for u in [volunteer, *ambassadors]]
    venue_holder = svc.holder_for_organisation(venue)
    for item, each in ((alarm, 60), (scrunchie, 50), (cover, 30)):
        svc.record_movements(svc.MovementKind.ISSUE, [svc.Line(item, each, store, bag) for bag in bags],
                             by=coordinator, occurred_on=today - dt.timedelta(days=120))
        svc.record_movements(svc.MovementKind.ISSUE, [svc.Line(item, 25, store, venue_holder)],
                             by=coordinator, occurred_on=today - dt.timedelta(days=120))
    # Hand-outs on Friday and Saturday nights over the last four months.
    night = today - dt.timedelta(days=118)
    while night < today:
        if night.weekday() in (4, 5):
            for bag in bags:
                for item in (alarm, scrunchie, cover):
                    held = svc.lock_balances([(item.id, bag.id)])[(item.id, bag.id)].quantity
                    quantity = min(held, rng.randint(0, 3))
                    if quantity:
                        svc.hand_out_stock(bag, {item: quantity}, by=bag.user, place=rng.choice(places),
                                           occurred_on=night, time_band=rng.choice(list(svc.TimeBand)[2:4]),
                                           event_name="Walk and Talk" if night.day < 8 else None)
        night += dt.timedelta(days=1)
    # A fresh top-up for the demo volunteer's next patrol.
    svc.record_movements(svc.MovementKind.ISSUE, [svc.Line(alarm, 20, store, bags[0]), svc.Line(scrunchie, 15, store, bags[0]),
                                                  svc.Line(cover, 10, store, bags[0])], by=coordinator)
    svc.hand_out_stock(venue_holder, {alarm: 6, scrunchie: 9}, by=coordinator, place_text="The Red Lion bar",
                       occurred_on=today - dt.timedelta(days=10), time_band=svc.TimeBand.LATE_EVENING)
    svc.write_off_stock(store, cover, 4, "Damaged in delivery (box crushed)", by=coordinator)
    svc.check_out_asset(db.session.scalar(select(svc.Asset).where(svc.Asset.serial == "RAD-0101")), volunteer,
                        today + dt.timedelta(days=3), by=coordinator)
    overdue = svc.check_out_asset(db.session.scalar(select(svc.Asset).where(svc.Asset.serial == "RAD-0102")),
                                  ambassadors[0], today, by=coordinator)
    overdue.due_on = today - dt.timedelta(days=2)  # demo: one radio overdue
    db.session.flush()
