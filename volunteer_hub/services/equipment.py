"""Equipment rules: the stock ledger, its balances, returnable assets, places and reports.

Every change of stock goes through `record_movements`: it locks the balance rows involved
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write transaction already began with
BEGIN IMMEDIATE), checks the request against what is held, writes the movement rows and
updates the balances, all in the caller's transaction. Nothing here commits.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased, joinedload

from volunteer_hub import clock
from volunteer_hub.csvfiles import csv_safe
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Asset,
    AssetLoan,
    HandOutTotal,
    Holder,
    HolderKind,
    Item,
    ItemKind,
    LowStockAlert,
    MovementKind,
    Organisation,
    Place,
    PlaceKind,
    Role,
    StockBalance,
    StockMovement,
    TimeBand,
    TotalGrain,
    User,
    UserRole,
    db,
    utcnow,
)
from volunteer_hub.models.equipment import item_count, place_key
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.urls import external_url


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


today = clock.today


def _rows(stmt, params=None):
    """Run a read-only statement of plain columns on the session's connection: the same
    transaction, without the ORM's per-statement work (about half the cost of session.execute
    for a small query), for pages that show names and numbers rather than objects."""
    return db.session.connection().execute(stmt, params)


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


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


def _already_recorded(key: str | None) -> list[StockMovement] | None:
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
    earlier = _already_recorded(idempotency_key)
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
            quantity=line.quantity, recorded_by=by, recorded_at=now, occurred_on=occurred_on or today(),
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
    _roll_up_hand_outs(kind, movements)
    _check_low_stock(lines, balances)
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


# --- hand-out totals: the report's roll-up of the ledger ------------------------------------------
def _roll_up_hand_outs(kind: MovementKind, movements: list[StockMovement]) -> None:
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


# --- low stock --------------------------------------------------------------------------------
def _coordinators() -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR, User.is_active.is_(True)).order_by(User.id)
    ))


def _check_low_stock(lines: list[Line], balances: dict[tuple[int, int], StockBalance]) -> None:
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
                        key=f"low-stock:{alert.id}:{person.id}", recipient=person.email,
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
            for store, name, plural, quantity in _rows(_low_stock_summary_statement())]


# --- holders ----------------------------------------------------------------------------------
def kit_bag_for(user: User) -> Holder:
    """The person's kit bag, made the first time it is needed."""
    db.session.execute(_insert(Holder).values(kind=HolderKind.KIT_BAG.value, user_id=user.id, created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["user_id"]))
    return db.session.scalars(select(Holder).where(Holder.user_id == user.id)).one()


def holder_for_organisation(org: Organisation) -> Holder:
    db.session.execute(_insert(Holder).values(kind=HolderKind.ORGANISATION.value, organisation_id=org.id,
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
    return _rows(_STORE_NAMES).all()


def holders_with_owner():
    return (joinedload(Holder.user), joinedload(Holder.organisation))


def balances_for(holder: Holder, only_held: bool = True) -> list[StockBalance]:
    stmt = (select(StockBalance).join(StockBalance.item).where(StockBalance.holder_id == holder.id)
            .options(joinedload(StockBalance.item)).order_by(Item.name))
    if only_held:
        stmt = stmt.where(StockBalance.quantity > 0)
    return list(db.session.scalars(stmt))


class _HolderPage(Pagination):
    """A page of holders whose items and total stock_by_holder_page has already worked out."""

    def _query_items(self) -> list:
        return self._query_args["items"]

    def _query_count(self) -> int:
        return self._query_args["total"]


@dataclass(frozen=True, slots=True)
class HolderStock:
    """One holder on the stock page: its id, name and kind as shown, and [(item name, quantity)]."""

    id: int
    display_name: str
    kind_label: str
    balances: list[tuple[str, int]]


_KIND_LABELS = {kind: kind.label for kind in HolderKind}


@functools.cache
def _holder_page_statements():
    """The stock page's statements, built once (building them is a good part of the page's time);
    offset and limit are bound parameters. Columns, not entities: the page only shows names and
    numbers, and loading rows as ORM objects costs several times more."""
    org, owner = aliased(Organisation), aliased(User)
    held = Holder.items_held > 0
    counts = select(Holder.kind, func.count()).where(held).group_by(Holder.kind)
    not_bags = (
        select(Holder.id, Holder.kind, Holder.name, org.name).outerjoin(org, org.id == Holder.organisation_id)
        .where(Holder.kind != HolderKind.KIT_BAG, held)
        .order_by(case({HolderKind.STORE.value: 0}, value=Holder.kind, else_=1),
                  func.lower(func.coalesce(Holder.name, org.name)), Holder.id)
        .offset(bindparam("first")).limit(bindparam("count"))
    )
    bags = (
        select(Holder.id, owner.name).join(owner, owner.id == Holder.user_id)
        .where(Holder.kind == HolderKind.KIT_BAG, held)
        .order_by(func.lower(owner.name), Holder.id)
        .offset(bindparam("first")).limit(bindparam("count"))
    )
    balances = (
        select(StockBalance.holder_id, Item.name, StockBalance.quantity).join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.holder_id.in_(bindparam("ids", expanding=True)), StockBalance.quantity > 0)
        .order_by(StockBalance.holder_id, Item.name)
    )
    return counts, not_bags, bags, balances


def stock_by_holder_page(page: int, per_page: int) -> tuple[Pagination, list[HolderStock]]:
    """One page of stock_by_holder(), in the same order: (pagination of holders, [HolderStock]).

    Four queries whatever the number of holders: how many hold something of each kind (from
    Holder.items_held), the page's stores and venues (a few hundred at most, sorted), its kit bags
    (in the order of the index on the person's lower-case name) and what they all hold."""
    counts_stmt, not_bags_stmt, bags_stmt, balances_stmt = _holder_page_statements()
    counts = dict(_rows(counts_stmt).all())
    first = (page - 1) * per_page
    not_bags = counts.get(HolderKind.STORE, 0) + counts.get(HolderKind.ORGANISATION, 0)
    store, store_label, org_label = HolderKind.STORE, _KIND_LABELS[HolderKind.STORE], _KIND_LABELS[HolderKind.ORGANISATION]
    # Named as Holder.display_name names them.
    holders = [(id_, name or "Store", store_label) if kind is store else (id_, org_name or "Organisation", org_label)
               for id_, kind, name, org_name in _rows(
                   not_bags_stmt, {"first": min(first, not_bags), "count": max(0, min(per_page, not_bags - first))})]
    bag_label = _KIND_LABELS[HolderKind.KIT_BAG]
    holders += [(id_, f"{name}'s kit bag", bag_label) for id_, name in _rows(
        bags_stmt, {"first": max(0, first - not_bags), "count": per_page - len(holders)})]
    grouped: dict[int, list[tuple[str, int]]] = {h[0]: [] for h in holders}
    for holder_id, item_name, quantity in _rows(balances_stmt, {"ids": list(grouped)}):
        grouped[holder_id].append((item_name, quantity))
    rows = [HolderStock(id_, name, label, grouped[id_]) for id_, name, label in holders]
    pagination = _HolderPage(page=page, per_page=per_page, max_per_page=None, error_out=False, items=rows,
                             total=sum(counts.values()))
    return pagination, rows


def stock_by_holder() -> list[tuple[Holder, list[StockBalance]]]:
    """Every holder that holds something, with what it holds (stores first)."""
    stmt = (
        select(StockBalance).join(StockBalance.item).where(StockBalance.quantity > 0)
        .options(joinedload(StockBalance.item), joinedload(StockBalance.holder).options(*holders_with_owner()))
        .order_by(StockBalance.holder_id, Item.name)
    )
    grouped: dict[int, tuple[Holder, list[StockBalance]]] = {}
    for balance in db.session.scalars(stmt):
        grouped.setdefault(balance.holder_id, (balance.holder, []))[1].append(balance)
    order = {HolderKind.STORE: 0, HolderKind.ORGANISATION: 1, HolderKind.KIT_BAG: 2}
    return sorted(grouped.values(), key=lambda hb: (order[hb[0].kind], hb[0].display_name.lower()))


def stock_by_item() -> list[tuple[Item, int, list[StockBalance]]]:
    """Every item with its total and where it is."""
    items = list(db.session.scalars(select(Item).order_by(Item.is_active.desc(), Item.name)))
    balances = db.session.scalars(
        select(StockBalance).where(StockBalance.quantity > 0)
        .options(joinedload(StockBalance.holder).options(*holders_with_owner()))
        .order_by(StockBalance.quantity.desc())
    )
    by_item: dict[int, list[StockBalance]] = defaultdict(list)
    for balance in balances:
        by_item[balance.item_id].append(balance)
    return [(item, sum(b.quantity for b in by_item[item.id]), by_item[item.id]) for item in items]


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
    return _rows(_ITEM_NAMES).all()


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
    return _rows(_PLACE_NAMES).all()


def list_places(active_only: bool = True) -> list[Place]:
    stmt = select(Place).order_by(Place.is_active.desc(), Place.name)
    if active_only:
        stmt = stmt.where(Place.is_active.is_(True))
    return list(db.session.scalars(stmt))


# --- the verbs ---------------------------------------------------------------------------------
def _consumable(item: Item) -> None:
    if item.is_returnable:
        raise ValidationFailed(f"{item.name} is lent by serial number: use check-out instead.", "item_id")


def receive_stock(store: Holder, item: Item, quantity: int, *, by: User, supplier: str | None = None,
                  batch: str | None = None, use_by: dt.date | None = None, reason: str | None = None,
                  idempotency_key: str | None = None) -> Outcome:
    """A delivery into a store."""
    if not store.is_store:
        raise ValidationFailed("Deliveries are received into a store.", "store_id")
    _consumable(item)
    if not item.is_active:
        raise ValidationFailed(f"{item.name} is retired.", "item_id")
    return record_movements(MovementKind.RECEIVE, [Line(item, quantity, to_holder=store)], by=by,
                            idempotency_key=idempotency_key, supplier=supplier or None, batch=batch or None,
                            use_by=use_by, reason=reason or None)


def issue_stock(from_holder: Holder, item: Item, recipients: list[Holder], quantity_each: int, *, by: User,
                reason: str | None = None, idempotency_key: str | None = None) -> Outcome:
    """Move stock from one holder to one or more others: store to kit bags, venues or another
    store; a kit bag or venue back to a store (a return)."""
    _consumable(item)
    if not recipients:
        raise ValidationFailed("Choose who receives the stock.", "volunteer_ids")
    if len({r.id for r in recipients}) != len(recipients):
        raise ValidationFailed("Each recipient once, please.", "volunteer_ids")
    for recipient in recipients:
        if not from_holder.is_store and not recipient.is_store:
            raise ValidationFailed("Stock in a kit bag or at a venue can only go back to a store.", "to_store_id")
    lines = [Line(item, quantity_each, from_holder=from_holder, to_holder=r) for r in recipients]
    return record_movements(MovementKind.ISSUE, lines, by=by, idempotency_key=idempotency_key, reason=reason or None)


def hand_out_stock(holder: Holder, quantities: dict[Item, int], *, by: User, place: Place | None = None,
                   place_text: str | None = None, occurred_on: dt.date | None = None,
                   time_band: TimeBand | None = None, event_name: str | None = None,
                   idempotency_key: str | None = None, place_id: int | None = None) -> Outcome:
    """Give stock to the public from a kit bag or venue. Records where and when, never who.

    The place is a listed Place, or the id of one (`place_id`, as the form sends it: one of
    place_names(), so the form need not load places as objects), or typed as `place_text`."""
    if holder.is_store:
        raise ValidationFailed("Hand out from a kit bag or a venue: issue the stock there first.")
    for item, quantity in quantities.items():
        if quantity is not None and quantity < 0:
            raise ValidationFailed("Quantities cannot be negative.", f"qty_{item.id}")
    lines = [Line(item, q, from_holder=holder) for item, q in quantities.items() if q]
    if not lines:
        raise ValidationFailed("Add at least one item (use +).", "items")
    place_text = (place_text or "").strip() or None
    listed = {"place": place} if place is not None else {"place_id": place_id} if place_id is not None else None
    if listed is None and not place_text:
        raise ValidationFailed("Choose the place, or type where it was.", "place_id")
    if occurred_on and occurred_on > today():
        raise ValidationFailed("The date cannot be in the future.", "occurred_on")
    for line in lines:
        _consumable(line.item)
    return record_movements(MovementKind.HAND_OUT, lines, by=by, idempotency_key=idempotency_key,
                            occurred_on=occurred_on, **(listed or {"place_text": place_text}),
                            time_band=time_band, event_name=(event_name or "").strip() or None)


def write_off_stock(holder: Holder, item: Item, quantity: int, reason: str, *, by: User,
                    idempotency_key: str | None = None) -> Outcome:
    """Lost, damaged or expired stock leaves the books, with the reason."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why (lost, damaged, expired...).", "reason")
    return record_movements(MovementKind.WRITE_OFF, [Line(item, quantity, from_holder=holder)], by=by,
                            idempotency_key=idempotency_key, reason=reason.strip())


def take_stock(holder: Holder, counts: dict[Item, int], reason: str, *, by: User,
               idempotency_key: str | None = None) -> Outcome:
    """A stocktake: the counted quantity per item; each difference is recorded as an adjustment."""
    for item, counted in counts.items():
        if counted is None or counted < 0:
            raise ValidationFailed("Counts are 0 or more.", f"count_{item.id}")
    if not (reason or "").strip():
        raise ValidationFailed("Say what the stocktake was (e.g. monthly count).", "reason")
    balances = lock_balances((item.id, holder.id) for item in counts)
    earlier = _already_recorded(idempotency_key)
    if earlier:
        return Outcome(earlier, duplicate=True)
    lines = []
    for item, counted in counts.items():
        difference = counted - balances[(item.id, holder.id)].quantity
        if difference > 0:
            lines.append(Line(item, difference, to_holder=holder))
        elif difference < 0:
            lines.append(Line(item, -difference, from_holder=holder))
    if not lines:
        return Outcome([])
    return record_movements(MovementKind.ADJUSTMENT, lines, by=by, idempotency_key=idempotency_key,
                            reason=reason.strip())


def reverse_movement(movement: StockMovement, reason: str, *, by: User, idempotency_key: str | None = None) -> Outcome:
    """Undo a movement with an opposite one (the original stays in the ledger)."""
    if movement.kind is MovementKind.REVERSAL:
        raise Conflict("A reversal cannot be reversed: record the movement again instead.")
    if not (reason or "").strip():
        raise ValidationFailed("Say why it is being reversed.", "reason")
    line = Line(movement.item, movement.quantity, from_holder=movement.to_holder, to_holder=movement.from_holder)
    lock_balances((movement.item_id, h.id) for h in (movement.from_holder, movement.to_holder) if h)
    earlier = _already_recorded(idempotency_key)
    if earlier:
        return Outcome(earlier, duplicate=True)
    if db.session.scalar(select(StockMovement.id).where(StockMovement.reverses_id == movement.id)):
        raise Conflict("This movement has already been reversed.")
    return record_movements(MovementKind.REVERSAL, [line], by=by, idempotency_key=idempotency_key,
                            reverses=movement, reason=reason.strip(), occurred_on=today(),
                            place_id=movement.place_id, place_text=movement.place_text)


def last_hand_out_place(user: User) -> Place | None:
    """Where this person last recorded a hand-out today (the form starts there: patrols stay put)."""
    return db.session.scalar(
        select(Place).join(StockMovement, StockMovement.place_id == Place.id)
        .where(StockMovement.recorded_by_id == user.id, StockMovement.kind == MovementKind.HAND_OUT,
               StockMovement.occurred_on == today(), Place.is_active.is_(True))
        .order_by(StockMovement.id.desc()).limit(1))


def reversal_of(movement: StockMovement) -> StockMovement | None:
    return db.session.scalar(select(StockMovement).where(StockMovement.reverses_id == movement.id))


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


# --- history ---------------------------------------------------------------------------------
@dataclass
class MovementFilter:
    item_id: int | None = None
    holder_id: int | None = None
    kind: MovementKind | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _movement_options():
    return (
        joinedload(StockMovement.item),
        joinedload(StockMovement.from_holder).options(*holders_with_owner()),
        joinedload(StockMovement.to_holder).options(*holders_with_owner()),
        joinedload(StockMovement.recorded_by),
        joinedload(StockMovement.place),
    )


def movements_query(f: MovementFilter) -> Select:
    stmt = select(StockMovement).options(*_movement_options())
    if f.item_id:
        stmt = stmt.where(StockMovement.item_id == f.item_id)
    if f.holder_id:
        stmt = stmt.where(or_(StockMovement.from_holder_id == f.holder_id, StockMovement.to_holder_id == f.holder_id))
    if f.kind:
        stmt = stmt.where(StockMovement.kind == f.kind)
    if f.date_from:
        stmt = stmt.where(StockMovement.occurred_on >= f.date_from)
    if f.date_to:
        stmt = stmt.where(StockMovement.occurred_on <= f.date_to)
    return stmt.order_by(StockMovement.id.desc())


MOVEMENTS_CSV_HEADER = ["id", "recorded_at", "occurred_on", "kind", "item", "quantity", "from", "to", "place",
                        "time_band", "event", "reason", "supplier", "batch", "use_by", "reverses", "recorded_by_id"]


def movement_csv_row(m: StockMovement) -> list[str]:
    # Who recorded it is given by id (names are not copied into the ledger); kit bags are named
    # from the person's current record, so erasing a person changes no figure.
    return [str(m.id), m.recorded_at.isoformat(), m.occurred_on.isoformat(), m.kind.value, csv_safe(m.item.name),
            str(m.quantity), csv_safe(m.from_holder.display_name if m.from_holder else ""),
            csv_safe(m.to_holder.display_name if m.to_holder else ""), csv_safe(m.place_label),
            m.time_band.label if m.time_band else "", csv_safe(m.event_name), csv_safe(m.reason),
            csv_safe(m.supplier), csv_safe(m.batch), m.use_by.isoformat() if m.use_by else "",
            str(m.reverses_id or ""), str(m.recorded_by_id or "")]


# --- reports ---------------------------------------------------------------------------------
def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


Span = tuple[dt.date, dt.date]


def _report_slices(start: dt.date, end: dt.date) -> tuple[Span | None, list[Span]]:
    """The months of the period the month totals answer exactly (first and last month start, or
    None) and the days left over at either end, which the day totals answer. A month counts as
    whole when the period reaches its last day or today (hand-outs are never dated after today)."""
    first = start if start.day == 1 else _next_month(start)
    end_month = end.replace(day=1)
    last = end_month if (_next_month(end) - dt.timedelta(days=1) == end or end >= today()) \
        else (end_month - dt.timedelta(days=1)).replace(day=1)
    if first > last:
        return None, [(start, end)]
    days = []
    if start < first:
        days.append((start, first - dt.timedelta(days=1)))
    if end >= _next_month(last):
        days.append((_next_month(last), end))
    return (first, last), days


@functools.cache
def _handed_out_statement(day_spans: int, whole_months: bool):
    """The report's one query for a period of this shape (0-2 spans of days, whole months or not),
    built once: the dates are bound parameters."""
    t = HandOutTotal
    wanted = [and_(t.grain == TotalGrain.DAY, t.period_start >= bindparam(f"day_from_{n}"),
                   t.period_start <= bindparam(f"day_to_{n}")) for n in range(day_spans)]
    if whole_months:
        wanted.append(and_(t.grain == TotalGrain.MONTH, t.period_start >= bindparam("month_from"),
                           t.period_start <= bindparam("month_to")))
    place = func.coalesce(Place.name, t.place_text, "Not recorded")
    return (select(t.period_start, t.item_id, place, t.quantity).outerjoin(Place, Place.id == t.place_id)
            .where(or_(*wanted), t.quantity > 0))


def handed_out(start: dt.date, end: dt.date) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """Net hand-outs in the period (those not reversed), from the roll-up, in one query:
    ([(YYYY-MM, item_id, quantity)] by month, [(place, item_id, quantity)] by place), where a
    place is a listed place by its name, a typed place as typed, or "Not recorded"."""
    months, days = _report_slices(start, end)
    params = {}
    for n, (a, b) in enumerate(days):
        params[f"day_from_{n}"], params[f"day_to_{n}"] = a, b
    if months:
        params["month_from"], params["month_to"] = months
    by_month: dict[tuple[str, int], int] = defaultdict(int)
    by_place: dict[tuple[str, int], int] = defaultdict(int)
    month_names: dict[dt.date, str] = {}
    for period_start, item_id, name, quantity in _rows(_handed_out_statement(len(days), bool(months)), params):
        month = month_names.get(period_start)
        if month is None:
            month = month_names[period_start] = f"{period_start:%Y-%m}"
        by_month[(month, item_id)] += quantity
        by_place[(name, item_id)] += quantity
    return ([(m, i, q) for (m, i), q in sorted(by_month.items())],
            [(p, i, q) for (p, i), q in sorted(by_place.items())])


def handed_out_by_month(start: dt.date, end: dt.date) -> list[tuple[str, int, int]]:
    """[(YYYY-MM, item_id, quantity)] for every month and item with hand-outs."""
    return handed_out(start, end)[0]


def handed_out_by_place(start: dt.date, end: dt.date) -> list[tuple[str, int, int]]:
    """[(place, item_id, quantity)]: listed places by name, typed places as typed."""
    return handed_out(start, end)[1]


def _net_hand_outs():
    """Hand-outs that have not been reversed (from the ledger itself)."""
    reversal = aliased(StockMovement)
    return (
        select(StockMovement)
        .outerjoin(reversal, reversal.reverses_id == StockMovement.id)
        .where(StockMovement.kind == MovementKind.HAND_OUT, reversal.id.is_(None))
    )


def hand_out_total_mismatches() -> list[tuple[str, dt.date, int, str, int, int]]:
    """(grain, period_start, item_id, place_key, roll-up, ledger) wherever the hand-out totals
    differ from the ledger's net hand-outs; empty when they agree."""
    base = _net_hand_outs().subquery()
    ledger: dict[tuple, int] = defaultdict(int)
    for day, item_id, place_id, place_text, quantity in db.session.execute(
            select(base.c.occurred_on, base.c.item_id, base.c.place_id, base.c.place_text, func.sum(base.c.quantity))
            .group_by(base.c.occurred_on, base.c.item_id, base.c.place_id, base.c.place_text)):
        key = place_key(place_id, place_text)
        ledger[(TotalGrain.DAY.value, day, item_id, key)] += quantity
        ledger[(TotalGrain.MONTH.value, day.replace(day=1), item_id, key)] += quantity
    stored = {(t.grain.value, t.period_start, t.item_id, t.place_key): t.quantity
              for t in db.session.scalars(select(HandOutTotal))}
    return sorted((*k, stored.get(k, 0), ledger.get(k, 0)) for k in set(ledger) | set(stored)
                  if stored.get(k, 0) != ledger.get(k, 0))


def months_between(start: dt.date, end: dt.date) -> list[str]:
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


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
    if due_on is None or due_on < today():
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
        select(AssetLoan).where(AssetLoan.returned_at.is_(None), AssetLoan.due_on < today())
        .options(joinedload(AssetLoan.asset).joinedload(Asset.item), joinedload(AssetLoan.user))
        .order_by(AssetLoan.due_on)
    ))


def loans_for(user: User) -> list[AssetLoan]:
    return list(db.session.scalars(
        select(AssetLoan).where(AssetLoan.user_id == user.id, AssetLoan.returned_at.is_(None))
        .options(joinedload(AssetLoan.asset).joinedload(Asset.item)).order_by(AssetLoan.due_on)
    ))
