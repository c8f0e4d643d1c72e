"""On the night: the lead's register, each kit bag counted out and back in (every difference a
stocktake adjustment, so the ledger stays the single source), hand-outs tagged with the shift,
anonymous tallies, and "I'm home safe"."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from volunteer_hub import audit, clock
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import (
    Item,
    KitCount,
    KitCountPhase,
    MemberStatus,
    MovementKind,
    PatrolMember,
    PatrolShift,
    PatrolTally,
    StockBalance,
    StockMovement,
    TallyKind,
    TimeBand,
    User,
    db,
    utcnow,
)
from volunteer_hub.security import can_lead_patrol
from volunteer_hub.services.equipment import (
    Outcome,
    find_kit_bag,
    hand_out_stock,
    kit_bag_for,
    lock_balances,
    take_stock,
)
from volunteer_hub.services.patrols.common import joined_members, lock_shift

OPENS_BEFORE = dt.timedelta(hours=2)  # the night's pages open this long before the start
PHONES_AFTER = dt.timedelta(hours=6)  # the lead sees phone numbers until this long after the end
RECORDS_AFTER = dt.timedelta(hours=12)  # tallies and counts can be finished this long after the end


def can_lead(user: User, shift: PatrolShift) -> bool:
    return can_lead_patrol(user, shift)


def lead_sees_phones(user: User, shift: PatrolShift, now: dt.datetime | None = None) -> bool:
    """The lead (or staff) sees the phone numbers of the people on the shift on the night only."""
    now = now or utcnow()
    return can_lead(user, shift) and shift.starts_at - OPENS_BEFORE <= now <= shift.ends_at + PHONES_AFTER


def _on_the_night(shift: PatrolShift) -> None:
    now = utcnow()
    if shift.is_cancelled:
        raise Conflict("This shift was cancelled.")
    if now < shift.starts_at - OPENS_BEFORE:
        raise Conflict(f"This opens on the night, from {clock.format_local(shift.starts_at - OPENS_BEFORE, 'time')}.")
    if now > shift.ends_at + RECORDS_AFTER:
        raise Conflict("This shift ended more than 12 hours ago: ask a coordinator to correct its records.")


def start_shift(shift: PatrolShift, came_ids: set[int], *, by: User) -> PatrolShift:
    """The register: who of the people on it actually came. Taken again, it corrects the first."""
    shift = lock_shift(shift)
    if not can_lead(by, shift):
        raise NotAllowed("Only the shift lead or a coordinator takes the register.")
    _on_the_night(shift)
    members = joined_members(shift)
    if not any(m.id in came_ids for m in members):
        raise ValidationFailed("Tick the people who came (nobody patrols alone).", "came")
    for member in members:
        member.came = member.id in came_ids
    if shift.started_at is None:
        shift.started_at, shift.started_by_id = utcnow(), by.id
    audit.record("patrol.started", shift, facts={"came": sorted(m.user_id for m in members if m.came),
                                                 "did_not_come": sorted(m.user_id for m in members if not m.came)})
    return shift


def _own_member(member: PatrolMember, by: User) -> None:
    if member.user_id != by.id and not can_lead(by, member.shift):
        raise NotAllowed("This is someone else's kit bag.")
    if member.status is not MemberStatus.JOINED or member.came is False:
        raise Conflict("You are not on this shift tonight.")
    _on_the_night(member.shift)


def _counted_already(member: PatrolMember, phase: KitCountPhase) -> KitCount | None:
    return db.session.scalar(select(KitCount).where(KitCount.member_id == member.id, KitCount.phase == phase).limit(1))


def _count(member: PatrolMember, phase: KitCountPhase, counts: dict[Item, int], reason: str, by: User,
           words: str) -> Outcome:
    _own_member(member, by)
    holder = kit_bag_for(member.user)
    balances = lock_balances((item.id, holder.id) for item in counts)  # before reading: two taps wait in turn
    earlier = _counted_already(member, phase)
    if earlier is not None:
        raise Conflict(f"This kit bag was already counted {words} at {clock.format_local(earlier.counted_at, 'time')}.")
    for item, counted in counts.items():
        if counted is None or counted < 0:
            raise ValidationFailed(f"{item.name}: enter how many you counted, 0 or more.", f"count_{item.id}")
    differs = {item: n for item, n in counts.items() if n != balances[(item.id, holder.id)].quantity}
    reason = (reason or "").strip()
    if differs and not reason:
        names = ", ".join(item.name for item in differs)
        raise ValidationFailed(f"Your count differs from the records for {names}: say why (lost, found, "
                               "handed out but not recorded...).", "reason")
    now = utcnow()
    for item, counted in counts.items():
        db.session.add(KitCount(member_id=member.id, item_id=item.id, phase=phase, counted=counted,
                                ledger=balances[(item.id, holder.id)].quantity,
                                reason=(reason or None) if item in differs else None, counted_at=now))
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(f"This kit bag was already counted {words}.") from None
    if not differs:
        return Outcome([])
    return take_stock(holder, differs, f"Patrol count {words}: {reason}", by=by, patrol_shift_id=member.shift_id)


def count_kit_out(member: PatrolMember, counts: dict[Item, int], reason: str = "", *, by: User) -> Outcome:
    """At the start: what the kit bag holds (the ledger's figure, or the count, which becomes a stocktake)."""
    return _count(member, KitCountPhase.OUT, counts, reason, by, "out")


def count_kit_in(member: PatrolMember, counts: dict[Item, int], reason: str = "", *, by: User) -> Outcome:
    """At the end: what is left. Any variance (held at start - handed out - left) needs a reason and
    becomes a stocktake adjustment."""
    if _counted_already(member, KitCountPhase.OUT) is None:
        raise Conflict("Count your kit bag out first (at the start of the shift).")
    return _count(member, KitCountPhase.IN, counts, reason, by, "in")


def hand_out_on_patrol(member: PatrolMember, quantities: dict[Item, int], *, by: User, place_id: int | None = None,
                       place_text: str | None = None, time_band: TimeBand | None = None,
                       idempotency_key: str | None = None) -> Outcome:
    """A hand-out from the volunteer's kit bag, as anywhere (place and time band, never who), tagged
    with the shift."""
    _own_member(member, by)
    # The bag's balance rows first, as a count does: a hand-out and a count tapped at once wait in turn.
    bag = kit_bag_for(member.user)
    lock_balances((item.id, bag.id) for item in quantities)
    if _counted_already(member, KitCountPhase.OUT) is None:
        raise Conflict("Count your kit bag out first (at the start of the shift).")
    if _counted_already(member, KitCountPhase.IN) is not None:
        raise Conflict("Your kit bag was counted back in: a hand-out now would not add up. Ask a coordinator "
                       "to record it.")
    return hand_out_stock(bag, quantities, by=by, place_id=place_id, place_text=place_text,
                          time_band=time_band, occurred_on=_night_of(member.shift),
                          idempotency_key=idempotency_key, patrol_shift_id=member.shift_id)


def _night_of(shift) -> dt.date:
    """The day a patrol hand-out is filed under: the shift's (London) date, as the figures group a
    night; or today, when the bag is counted out before a shift that starts after midnight."""
    return min(clock.local_date(shift.starts_at), clock.today())


class Reconciled(NamedTuple):
    """One item of a kit bag over a shift: at start - handed out (+ any other change, e.g. a top-up
    from the store) = expected (the ledger); expected - left = variance (units missing; negative: found)."""
    item_id: int
    name: str
    at_start: int
    handed_out: int
    other: int
    expected: int
    left: int | None
    variance: int | None
    reason: str | None


def reconciliation(member: PatrolMember) -> list[Reconciled]:
    """The kit bag's arithmetic for this shift, from the counts and the ledger."""
    holder = find_kit_bag(member.user)  # a page reads this: never make the bag here
    if holder is None:
        return []
    counts = {(c.item_id, c.phase): c for c in db.session.scalars(select(KitCount).where(KitCount.member_id == member.id))}
    if not counts:
        return []
    reversal = aliased(StockMovement)
    handed = dict(db.session.execute(
        select(StockMovement.item_id,
               func.sum(StockMovement.quantity) - func.coalesce(func.sum(reversal.quantity), 0))
        .outerjoin(reversal, reversal.reverses_id == StockMovement.id)
        .where(StockMovement.patrol_shift_id == member.shift_id, StockMovement.kind == MovementKind.HAND_OUT,
               StockMovement.from_holder_id == holder.id)
        .group_by(StockMovement.item_id)).all())
    item_ids = sorted({item_id for item_id, _ in counts})
    ledger = dict(db.session.execute(select(StockBalance.item_id, StockBalance.quantity).where(
        StockBalance.holder_id == holder.id, StockBalance.item_id.in_(item_ids))).all())
    names = dict(db.session.execute(select(Item.id, Item.name).where(Item.id.in_(item_ids))).all())
    rows = []
    for item_id in sorted(item_ids, key=lambda i: names[i]):
        out, back = counts.get((item_id, KitCountPhase.OUT)), counts.get((item_id, KitCountPhase.IN))
        at_start = out.counted if out else 0
        given = int(handed.get(item_id) or 0)
        # Once counted in, the ledger already holds the adjustment: expected is what it said then.
        expected = back.ledger if back else ledger.get(item_id, 0)
        rows.append(Reconciled(item_id, names[item_id], at_start, given, expected - (at_start - given), expected,
                               back.counted if back else None, (expected - back.counted) if back else None,
                               back.reason if back else None))
    return rows


def tally(shift: PatrolShift, kind: TallyKind, *, by: User, change: int = 1) -> int:
    """Add one (or take one back) to the shift's count of an interaction. Counts only, never who."""
    if change not in (1, -1):
        raise ValidationFailed("Add or take away one at a time.")
    on_it = db.session.scalar(select(PatrolMember.id).where(
        PatrolMember.shift_id == shift.id, PatrolMember.user_id == by.id, PatrolMember.status == MemberStatus.JOINED,
        PatrolMember.came.is_not(False)))
    if on_it is None and not can_lead(by, shift):
        raise NotAllowed("Only the people on this shift record its tallies.")
    _on_the_night(shift)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(PatrolTally).values(shift_id=shift.id, kind=kind.value, count=max(change, 0))
    stmt = stmt.on_conflict_do_update(index_elements=["shift_id", "kind"],
                                      set_={"count": func.max(PatrolTally.count + change, 0) if insert is sqlite_insert
                                            else func.greatest(PatrolTally.count + change, 0)})
    db.session.execute(stmt.returning(PatrolTally.count))
    return db.session.scalar(select(PatrolTally.count).where(PatrolTally.shift_id == shift.id, PatrolTally.kind == kind))


def check_out(member: PatrolMember, *, by: User) -> PatrolMember:
    """"I'm home safe" (or the lead checks them out). Twice is once."""
    if member.user_id != by.id and not can_lead(by, member.shift):
        raise NotAllowed("Only the person, the shift lead or a coordinator can check someone out.")
    locked = db.session.scalars(select(PatrolMember).where(PatrolMember.id == member.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if locked.status is not MemberStatus.JOINED or locked.came is False:
        raise Conflict("They were not on this shift tonight.")
    if not locked.shift.is_started:
        raise Conflict("The shift has not started yet.")
    if locked.home_safe_at is None:
        locked.home_safe_at, locked.checked_out_by_id = utcnow(), by.id
    return locked
