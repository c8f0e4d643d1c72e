"""Equipment's readers, one per page: stock by holder and by item, the movement history and the hand-out report."""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from volunteer_hub import clock
from volunteer_hub.csvfiles import csv_safe
from volunteer_hub.models import (
    HandOutTotal,
    Holder,
    HolderKind,
    Item,
    MovementKind,
    Organisation,
    Place,
    StockBalance,
    StockMovement,
    TotalGrain,
    User,
    db,
)
from volunteer_hub.models.equipment import place_key
from volunteer_hub.security import (
    can_see_holder,
    scope_params,
    sees_everyone,
    visible_holders,
    visible_movements,
    visible_people_bound,
)
from volunteer_hub.services.equipment.common import fetch_rows


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
def _holder_page_statements(scoped: bool = False):
    """The stock page's statements, built once (building them is a good part of the page's time);
    offset and limit are bound parameters. Columns, not entities: the page only shows names and
    numbers, and loading rows as ORM objects costs several times more. When `scoped`, only the
    kit bags of the people the viewer may see (parameters of security.scope_params)."""
    org, owner = aliased(Organisation), aliased(User)
    held = Holder.items_held > 0
    if scoped:
        held = and_(held, or_(Holder.kind != HolderKind.KIT_BAG, visible_people_bound(Holder.user_id)))
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


def stock_by_holder_page(page: int, per_page: int, viewer: User | None = None) -> tuple[Pagination, list[HolderStock]]:
    """One page of stock_by_holder(), in the same order: (pagination of holders, [HolderStock]).

    Four queries whatever the number of holders: how many hold something of each kind (from
    Holder.items_held), the page's stores and venues (a few hundred at most, sorted), its kit bags
    (in the order of the index on the person's lower-case name) and what they all hold."""
    scoped = viewer is not None and not sees_everyone(viewer)
    counts_stmt, not_bags_stmt, bags_stmt, balances_stmt = _holder_page_statements(scoped)
    scope = scope_params(viewer) if scoped else {}
    counts = dict(fetch_rows(counts_stmt, scope).all())
    first = (page - 1) * per_page
    not_bags = counts.get(HolderKind.STORE, 0) + counts.get(HolderKind.ORGANISATION, 0)
    store, store_label, org_label = HolderKind.STORE, _KIND_LABELS[HolderKind.STORE], _KIND_LABELS[HolderKind.ORGANISATION]
    # Named as Holder.display_name names them.
    holders = [(id_, name or "Store", store_label) if kind is store else (id_, org_name or "Organisation", org_label)
               for id_, kind, name, org_name in fetch_rows(
                   not_bags_stmt, {"first": min(first, not_bags), "count": max(0, min(per_page, not_bags - first)), **scope})]
    bag_label = _KIND_LABELS[HolderKind.KIT_BAG]
    holders += [(id_, f"{name}'s kit bag", bag_label) for id_, name in fetch_rows(
        bags_stmt, {"first": max(0, first - not_bags), "count": per_page - len(holders), **scope})]
    grouped: dict[int, list[tuple[str, int]]] = {h[0]: [] for h in holders}
    for holder_id, item_name, quantity in fetch_rows(balances_stmt, {"ids": list(grouped)}):
        grouped[holder_id].append((item_name, quantity))
    rows = [HolderStock(id_, name, label, grouped[id_]) for id_, name, label in holders]
    pagination = _HolderPage(page=page, per_page=per_page, max_per_page=None, error_out=False, items=rows,
                             total=sum(counts.values()))
    return pagination, rows


def stock_by_holder(viewer: User | None = None) -> list[tuple[Holder, list[StockBalance]]]:
    """Every holder that holds something, with what it holds (stores first); only the kit bags of
    people `viewer` may see, when given."""
    stmt = (
        select(StockBalance).join(StockBalance.item).join(StockBalance.holder).where(StockBalance.quantity > 0)
        .options(joinedload(StockBalance.item), joinedload(StockBalance.holder).options(*holders_with_owner()))
        .order_by(StockBalance.holder_id, Item.name)
    )
    if viewer is not None:
        stmt = stmt.where(visible_holders(viewer))
    grouped: dict[int, tuple[Holder, list[StockBalance]]] = {}
    for balance in db.session.scalars(stmt):
        grouped.setdefault(balance.holder_id, (balance.holder, []))[1].append(balance)
    order = {HolderKind.STORE: 0, HolderKind.ORGANISATION: 1, HolderKind.KIT_BAG: 2}
    return sorted(grouped.values(), key=lambda hb: (order[hb[0].kind], hb[0].display_name.lower()))


def stock_by_item(viewer: User | None = None) -> list[tuple[Item, int, list[StockBalance]]]:
    """Every item with its total (partnership-wide) and where it is (not naming the kit bags of
    people `viewer` may not see, when given)."""
    items = list(db.session.scalars(select(Item).order_by(Item.is_active.desc(), Item.name)))
    balances = db.session.scalars(
        select(StockBalance).where(StockBalance.quantity > 0)
        .options(joinedload(StockBalance.holder).options(*holders_with_owner()))
        .order_by(StockBalance.quantity.desc())
    )
    by_item: dict[int, list[StockBalance]] = defaultdict(list)
    for balance in balances:
        by_item[balance.item_id].append(balance)
    totals = {item.id: sum(b.quantity for b in by_item[item.id]) for item in items}
    if viewer is not None and not sees_everyone(viewer):
        for item_id, held in by_item.items():
            by_item[item_id] = [b for b in held if can_see_holder(viewer, b.holder)]
    return [(item, totals[item.id], by_item[item.id]) for item in items]


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


def movements_query(f: MovementFilter, viewer: User | None = None) -> Select:
    """The movements matching `f`, newest first; without those of kit bags `viewer` may not see, when given."""
    stmt = select(StockMovement).options(*_movement_options())
    if viewer is not None:
        stmt = stmt.where(visible_movements(viewer))
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
    last = end_month if (_next_month(end) - dt.timedelta(days=1) == end or end >= clock.today()) \
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
    for period_start, item_id, name, quantity in fetch_rows(_handed_out_statement(len(days), bool(months)), params):
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




def holders_with_owner():
    return (joinedload(Holder.user), joinedload(Holder.organisation))
