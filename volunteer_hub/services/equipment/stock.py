"""The verbs of the store room: receive, issue, hand out, write off, take stock, reverse."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from volunteer_hub import audit, clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import (
    Holder,
    Item,
    MovementKind,
    Place,
    StockMovement,
    TimeBand,
    User,
    db,
)
from volunteer_hub.services.equipment.common import InsufficientStock, Line, Outcome
from volunteer_hub.services.equipment.ledger import already_recorded, lock_balances, record_movements


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
                   idempotency_key: str | None = None, place_id: int | None = None,
                   patrol_shift_id: int | None = None) -> Outcome:
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
    if occurred_on and occurred_on > clock.today():
        raise ValidationFailed("The date cannot be in the future.", "occurred_on")
    for line in lines:
        _consumable(line.item)
    try:
        return record_movements(MovementKind.HAND_OUT, lines, by=by, idempotency_key=idempotency_key,
                                occurred_on=occurred_on, **(listed or {"place_text": place_text}),
                                time_band=time_band, event_name=(event_name or "").strip() or None,
                                patrol_shift_id=patrol_shift_id)
    except InsufficientStock as error:  # said next to the item's quantity, in the volunteer's words
        error.field = f"qty_{error.item_id}"
        if holder.user_id == by.id:
            error.message = f"Your kit bag holds {error.item.count(error.held)}; you asked for {error.asked}."
        raise


def write_off_stock(holder: Holder, item: Item, quantity: int, reason: str, *, by: User,
                    idempotency_key: str | None = None) -> Outcome:
    """Lost, damaged or expired stock leaves the books, with the reason."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why (lost, damaged, expired...).", "reason")
    outcome = record_movements(MovementKind.WRITE_OFF, [Line(item, quantity, from_holder=holder)], by=by,
                               idempotency_key=idempotency_key, reason=reason.strip())
    return _audited("stock.written_off", outcome, holder)


def take_stock(holder: Holder, counts: dict[Item, int], reason: str, *, by: User,
               idempotency_key: str | None = None, patrol_shift_id: int | None = None) -> Outcome:
    """A stocktake: the counted quantity per item; each difference is recorded as an adjustment
    (tagged with the patrol shift when a kit bag is counted out or in on one)."""
    for item, counted in counts.items():
        if counted is None or counted < 0:
            raise ValidationFailed("Counts are 0 or more.", f"count_{item.id}")
    if not (reason or "").strip():
        raise ValidationFailed("Say what the stocktake was (e.g. monthly count).", "reason")
    balances = lock_balances((item.id, holder.id) for item in counts)
    earlier = already_recorded(idempotency_key)
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
    outcome = record_movements(MovementKind.ADJUSTMENT, lines, by=by, idempotency_key=idempotency_key,
                               reason=reason.strip(), patrol_shift_id=patrol_shift_id)
    return _audited("stock.stocktake", outcome, holder)


def reverse_movement(movement: StockMovement, reason: str, *, by: User, idempotency_key: str | None = None) -> Outcome:
    """Undo a movement with an opposite one (the original stays in the ledger)."""
    if movement.kind is MovementKind.REVERSAL:
        raise Conflict("A reversal cannot be reversed: record the movement again instead.")
    if not (reason or "").strip():
        raise ValidationFailed("Say why it is being reversed.", "reason")
    line = Line(movement.item, movement.quantity, from_holder=movement.to_holder, to_holder=movement.from_holder)
    lock_balances((movement.item_id, h.id) for h in (movement.from_holder, movement.to_holder) if h)
    earlier = already_recorded(idempotency_key)
    if earlier:
        return Outcome(earlier, duplicate=True)
    if db.session.scalar(select(StockMovement.id).where(StockMovement.reverses_id == movement.id)):
        raise Conflict("This movement has already been reversed.")
    outcome = record_movements(MovementKind.REVERSAL, [line], by=by, idempotency_key=idempotency_key,
                               reverses=movement, reason=reason.strip(), occurred_on=clock.today(),
                               place_id=movement.place_id, place_text=movement.place_text)
    holder = movement.from_holder or movement.to_holder
    return _audited("stock.reversed", outcome, holder, object_type="stock_movements", object_id=movement.id)


def _audited(action: str, outcome: Outcome, holder: Holder, **target) -> Outcome:
    """`outcome` with its audit entry: the holder (a person's kit bag names its person), and
    each movement as [item id, quantity in (+) or out (-) of the holder]. A repeated form wrote
    nothing, so it leaves no entry."""
    if outcome.duplicate or not outcome.movements:
        return outcome
    lines = [[m.item_id, m.quantity if m.to_holder_id == holder.id else -m.quantity] for m in outcome.movements]
    audit.record(action, object_type=target.get("object_type", "holders"), object_id=target.get("object_id", holder.id),
                 subject_id=holder.user_id, facts={"holder_id": holder.id, "movements": [m.id for m in outcome.movements],
                                                   "items": lines})
    return outcome


def last_hand_out_place(user: User) -> Place | None:
    """Where this person last recorded a hand-out today (the form starts there: patrols stay put)."""
    return db.session.scalar(
        select(Place).join(StockMovement, StockMovement.place_id == Place.id)
        .where(StockMovement.recorded_by_id == user.id, StockMovement.kind == MovementKind.HAND_OUT,
               StockMovement.occurred_on == clock.today(), Place.is_active.is_(True))
        .order_by(StockMovement.id.desc()).limit(1))


def reversal_of(movement: StockMovement) -> StockMovement | None:
    return db.session.scalar(select(StockMovement).where(StockMovement.reverses_id == movement.id))


