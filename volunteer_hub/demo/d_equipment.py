"""Demo equipment: items, a central store, deliveries, stock in kit bags and at a venue, and
hand-outs over recent months at a few places so the report has figures."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import bindparam, func, or_, select, update

from volunteer_hub import clock
from volunteer_hub.demo._scale import YEARS, insert_batches, target
from volunteer_hub.demo.a_people import GENERATED_EMAIL_DOMAIN
from volunteer_hub.models import (
    Asset,
    Holder,
    HolderKind,
    Item,
    ItemKind,
    MovementKind,
    Organisation,
    OrganisationKind,
    Place,
    PlaceKind,
    StockBalance,
    StockMovement,
    TimeBand,
    User,
    db,
    utcnow,
)
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
        if not db.session.scalar(select(Asset).where(Asset.serial == serial)):
            svc.add_asset(items["Radio"], serial)
    if db.session.scalar(select(StockMovement.id).limit(1)):
        return  # the ledger is already seeded: never add movements twice
    store = svc.create_store("Central store")
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    volunteer = db.session.scalar(select(User).where(User.email == "volunteer@example.org"))
    ambassadors = list(db.session.scalars(select(User).where(User.email.like("demo.volunteer%")).order_by(User.id)))[:4]
    venue = db.session.scalar(select(Organisation).where(Organisation.name == "The Red Lion"))
    today = clock.today()
    rng = random.Random(2026)
    alarm, scrunchie, cover = items["Personal alarm"], items["Anti-spike scrunchie"], items["Drink cover"]
    for days_ago, (a, s, c) in ((150, (300, 250, 200)), (100, (200, 150, 0)), (45, (150, 0, 100))):
        when = today - dt.timedelta(days=days_ago)
        for item, quantity in ((alarm, a), (scrunchie, s), (cover, c)):
            if quantity:
                svc.record_movements(MovementKind.RECEIVE, [svc.Line(item, quantity, to_holder=store)],
                                     by=coordinator, occurred_on=when, supplier="SafeNight Supplies Ltd",
                                     batch=f"B{when:%y%m}-{item.id}",
                                     use_by=when + dt.timedelta(days=730) if item is alarm else None)
    bags = [svc.kit_bag_for(u) for u in [volunteer, *ambassadors]]
    venue_holder = svc.holder_for_organisation(venue)
    for item, each in ((alarm, 60), (scrunchie, 50), (cover, 30)):
        svc.record_movements(MovementKind.ISSUE, [svc.Line(item, each, store, bag) for bag in bags],
                             by=coordinator, occurred_on=today - dt.timedelta(days=120))
        svc.record_movements(MovementKind.ISSUE, [svc.Line(item, 25, store, venue_holder)],
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
                                           occurred_on=night, time_band=rng.choice(list(TimeBand)[2:4]),
                                           event_name="Walk and Talk" if night.day < 8 else None)
        night += dt.timedelta(days=1)
    # A fresh top-up for the demo volunteer's next patrol.
    svc.record_movements(MovementKind.ISSUE, [svc.Line(alarm, 20, store, bags[0]), svc.Line(scrunchie, 15, store, bags[0]),
                                                  svc.Line(cover, 10, store, bags[0])], by=coordinator)
    svc.hand_out_stock(venue_holder, {alarm: 6, scrunchie: 9}, by=coordinator, place_text="The Red Lion bar",
                       occurred_on=today - dt.timedelta(days=10), time_band=TimeBand.LATE_EVENING)
    svc.write_off_stock(store, cover, 4, "Damaged in delivery (box crushed)", by=coordinator)
    svc.check_out_asset(db.session.scalar(select(Asset).where(Asset.serial == "RAD-0101")), volunteer,
                        today + dt.timedelta(days=3), by=coordinator)
    overdue = svc.check_out_asset(db.session.scalar(select(Asset).where(Asset.serial == "RAD-0102")),
                                  ambassadors[0], today, by=coordinator)
    overdue.due_on = today - dt.timedelta(days=2)  # demo: one radio overdue
    db.session.flush()


# --- generated data for the benchmark (`flask demo seed --scale N`) -----------------------
GENERATED_STORES = ("North depot", "Riverside depot")
BAGS_PER_SCALE = 50  # generated volunteers who carry a kit bag, per scale
VENUES_PER_SCALE = 10  # partner venues that hold stock to give out, per scale (at most the venues there are)
GENERATED_KEY = "generated:"  # each generated movement's idempotency key: "generated:<n>"
BENCH_STOCK = 1_000_000  # in the demo volunteer's bag, so the benchmark's hand-outs keep succeeding
# Kinds of movement and how often each is tried (a kind that cannot happen falls back to a receive).
_KINDS = ((MovementKind.RECEIVE, 0.03), (MovementKind.ISSUE, 0.25), (MovementKind.HAND_OUT, 0.64),
          ("return", 0.04), (MovementKind.WRITE_OFF, 0.04))
_WRITE_OFF_REASONS = ("Damaged in delivery (box crushed)", "Lost on patrol", "Batteries expired",
                      "Wet and unusable after a rainy night")


def _bench_stock(coordinator, volunteer) -> None:
    """Give the demo volunteer's bag BENCH_STOCK of each consumable (received, then issued)."""
    store = db.session.scalar(select(Holder).where(Holder.name == "Central store"))
    if store is None or volunteer is None:
        return
    bag = svc.kit_bag_for(volunteer)
    for item in db.session.scalars(select(Item).where(Item.kind == ItemKind.CONSUMABLE).order_by(Item.id)):
        held = svc.lock_balances([(item.id, bag.id)])[(item.id, bag.id)].quantity
        if held >= BENCH_STOCK // 2:
            continue
        svc.record_movements(MovementKind.RECEIVE, [svc.Line(item, BENCH_STOCK, to_holder=store)],
                             by=coordinator, supplier="SafeNight Supplies Ltd", batch="BENCH")
        svc.record_movements(MovementKind.ISSUE, [svc.Line(item, BENCH_STOCK, store, bag)], by=coordinator)
    db.session.commit()


def _movements(rng, count: int, items, stores, holders, balances, places, users, coordinator_id, today):
    """`count` movements in date order that never take more than a holder holds; updates `balances`."""
    start = today - dt.timedelta(days=365 * YEARS)
    days = sorted(start + dt.timedelta(days=rng.randrange(365 * YEARS + 1)) for _ in range(count))
    kinds, weights = zip(*_KINDS, strict=True)
    bands = list(TimeBand)

    def take(holder_id, item_id, most):
        held = balances.get((item_id, holder_id), 0)
        return min(held, most) if held > 0 else 0

    for day in days:
        kind = rng.choices(kinds, weights)[0]
        item_id = rng.choice(items)
        row = {"item_id": item_id, "from_holder_id": None, "to_holder_id": None, "occurred_on": day,
               "recorded_at": dt.datetime.combine(day, dt.time(rng.randint(9, 23), rng.randrange(60)), dt.UTC),
               "recorded_by_id": coordinator_id, "reason": None, "supplier": None, "batch": None,
               "place_id": None, "place_text": None, "time_band": None, "event_name": None}
        quantity = 0
        if kind is MovementKind.ISSUE:
            source, target = rng.choice(stores), rng.choice(holders)
            quantity = take(source, item_id, rng.randint(10, 60))
            row.update(from_holder_id=source, to_holder_id=target)
        elif kind is MovementKind.HAND_OUT:
            source = rng.choice(holders)
            quantity = take(source, item_id, rng.randint(1, 5))
            row.update(from_holder_id=source, place_id=rng.choice(places) if rng.random() < 0.8 else None,
                       time_band=rng.choice(bands[2:5]), recorded_by_id=users.get(source, coordinator_id),
                       event_name="Walk and Talk" if day.day < 8 and rng.random() < 0.3 else None)
            if row["place_id"] is None:
                row["place_text"] = rng.choice(("Taxi rank", "Bus station", "Outside the Odeon", "Castle Street"))
        elif kind == "return":
            source, target = rng.choice(holders), rng.choice(stores)
            quantity = take(source, item_id, rng.randint(1, 10))
            row.update(from_holder_id=source, to_holder_id=target, reason="Returned at the end of the season")
            kind = MovementKind.ISSUE
        elif kind is MovementKind.WRITE_OFF:
            source = rng.choice(stores + holders)
            quantity = take(source, item_id, rng.randint(1, 5))
            row.update(from_holder_id=source, reason=rng.choice(_WRITE_OFF_REASONS))
        if not quantity:  # nothing there to move: a delivery instead
            kind, quantity = MovementKind.RECEIVE, rng.choice((200, 250, 500, 1000))
            row.update(from_holder_id=None, to_holder_id=rng.choice(stores), place_id=None, place_text=None,
                       time_band=None, event_name=None, reason=None, recorded_by_id=coordinator_id,
                       supplier=rng.choice(("SafeNight Supplies Ltd", "Guardian Safety Products")),
                       batch=f"B{day:%y%m}-{item_id}")
        row.update(kind=kind, quantity=quantity)
        if row["from_holder_id"] is not None:
            balances[(item_id, row["from_holder_id"])] -= quantity
        if row["to_holder_id"] is not None:
            balances[(item_id, row["to_holder_id"])] = balances.get((item_id, row["to_holder_id"]), 0) + quantity
        yield row


def seed_scale(scale: float, progress) -> None:
    """Stock movements: SCALE_1 × scale of them (topped up), between stores, generated volunteers'
    kit bags and venues, over three years; the balances are computed from the same movements
    and written with them, so the ledger and the balances agree. Also gives the demo volunteer's
    bag plenty to hand out for the benchmark."""
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    volunteer = db.session.scalar(select(User).where(User.email == "volunteer@example.org"))
    _bench_stock(coordinator, volunteer)
    made = db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.idempotency_key.like(f"{GENERATED_KEY}%")))
    wanted = max(0, target("stock_movements", scale) - made)
    if not wanted:
        return
    rng = random.Random(4000 + made)
    for name in GENERATED_STORES:
        if not db.session.scalar(select(Holder.id).where(Holder.name == name)):
            svc.create_store(name)
    # Kit bags for some generated volunteers, holders for some venues (topped up).
    generated = select(User.id).where(User.email.like(f"%@{GENERATED_EMAIL_DOMAIN}"), User.is_active)
    bag_owners = set(db.session.scalars(select(Holder.user_id).where(Holder.user_id.in_(generated))))
    candidates = [u for u in db.session.scalars(generated.order_by(User.id)) if u not in bag_owners]
    new_bags = rng.sample(candidates, min(len(candidates), max(0, round(BAGS_PER_SCALE * scale) - len(bag_owners))))
    venues = select(Organisation.id).where(Organisation.kind == OrganisationKind.LICENSED_VENUE)
    venue_holders = set(db.session.scalars(select(Holder.organisation_id).where(Holder.organisation_id.in_(venues))))
    free_venues = [o for o in db.session.scalars(venues.order_by(Organisation.id)) if o not in venue_holders]
    new_venues = free_venues[:max(0, round(VENUES_PER_SCALE * scale) - len(venue_holders))]
    now = utcnow()
    with progress.bar("Kit bags and venues", len(new_bags) + len(new_venues)) as bar:
        insert_batches(Holder, [{"kind": HolderKind.KIT_BAG, "user_id": u, "organisation_id": None, "created_at": now}
                                        for u in new_bags]
                       + [{"kind": HolderKind.ORGANISATION, "user_id": None, "organisation_id": o, "created_at": now}
                          for o in new_venues], bar)

    stores = list(db.session.scalars(select(Holder.id).where(Holder.kind == HolderKind.STORE)))
    holders = list(db.session.scalars(select(Holder.id).where(
        or_(Holder.user_id.in_(generated), Holder.organisation_id.in_(venues)))))
    users = dict(db.session.execute(select(Holder.id, Holder.user_id).where(Holder.user_id.is_not(None))).all())
    items = list(db.session.scalars(select(Item.id).where(Item.kind == ItemKind.CONSUMABLE).order_by(Item.id)))
    places = list(db.session.scalars(select(Place.id).where(Place.is_active)))
    before = {(b.item_id, b.holder_id): b.quantity for b in db.session.scalars(select(StockBalance))}
    balances = dict(before)
    rows = _movements(rng, wanted, items, stores, holders, balances, places, users, coordinator.id, clock.today())
    rows = ({**row, "idempotency_key": f"{GENERATED_KEY}{made + n}"} for n, row in enumerate(rows, start=1))
    handed_out: dict[tuple, int] = defaultdict(int)  # the report's roll-up of the same hand-outs

    def counted(rows):
        for row in rows:
            if row["kind"] is MovementKind.HAND_OUT:
                handed_out[(row["occurred_on"], row["item_id"], row["place_id"], row["place_text"])] += row["quantity"]
            yield row

    with progress.bar("Stock movements", wanted) as bar:
        insert_batches(StockMovement, counted(rows), bar)
    with progress.bar("Hand-out totals", len(handed_out)) as bar:
        svc.add_to_hand_out_totals(handed_out)  # batched upserts: topping up adds to earlier totals
        db.session.commit()
        bar.update(len(handed_out))
    changed = [{"b_item": i, "b_holder": h, "b_quantity": q} for (i, h), q in balances.items()
               if (i, h) in before and before[(i, h)] != q]
    new = [{"item_id": i, "holder_id": h, "quantity": q, "updated_at": now} for (i, h), q in balances.items()
           if (i, h) not in before]
    with progress.bar("Stock balances", len(changed) + len(new)) as bar:
        if changed:
            table = StockBalance.__table__
            db.session.execute(update(table).where(table.c.item_id == bindparam("b_item"),
                                                   table.c.holder_id == bindparam("b_holder"))
                               .values(quantity=bindparam("b_quantity"), updated_at=now), changed)
            db.session.commit()
            bar.update(len(changed))
        insert_batches(StockBalance, new, bar)
    svc.count_items_held()
    db.session.commit()
