"""Property-based: a volunteer's nights on patrol in random order: the kit bag counted out (the
count sometimes wrong, with or without a reason), hand-outs, returns to the store and top-ups
during the night, the count in, then the next week's night. The ledger's movements always sum to
the balances, and after each count-in the shift's reconciliation is the night's arithmetic and
the bag holds what was counted."""
import datetime as dt
import itertools
from contextlib import ExitStack

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from tests.factories import make_user
from tests.factories_patrols import add_member, make_patroller, make_shift
from volunteer_hub import clock
from volunteer_hub.errors import Conflict, DomainError, ValidationFailed
from volunteer_hub.models import ItemKind, MovementKind, StockBalance, User, db
from volunteer_hub.services import equipment
from volunteer_hub.services.patrols import night
from volunteer_hub.services.patrols.night import Reconciled

_run = itertools.count(1)
FIRST_NIGHT = dt.datetime(2026, 3, 14, 22, 0, tzinfo=dt.UTC)
START_KIT = 6
# Per item, how far the count is from the ledger: mostly right, sometimes a few out either way.
OFFSETS = st.lists(st.sampled_from([0, 0, 0, -1, 1, -3, 2]), min_size=2, max_size=2)
ITEM = st.integers(0, 1)


class PatrolNights(RuleBasedStateMachine):
    """The model: what the bag holds, and this night's figures (counted out, handed out, other)."""

    def __init__(self):
        super().__init__()
        n = next(_run)
        self.clock = ExitStack()
        self.lead = db.session.scalar(select(User).where(User.email == "stateful-lead@example.org"))
        self.person = make_patroller(name=f"Walker {n}")
        self.store = equipment.create_store(f"Night store {n}")
        self.items = [equipment.create_item(f"Alarm {n}", ItemKind.CONSUMABLE),
                      equipment.create_item(f"Blanket {n}", ItemKind.CONSUMABLE)]
        self.bag = equipment.kit_bag_for(self.person)
        for item in self.items:
            equipment.receive_stock(self.store, item, 500, by=self.lead)
            equipment.issue_stock(self.store, item, [self.bag], START_KIT, by=self.lead)
        db.session.commit()
        self.held = {item.id: START_KIT for item in self.items}
        self.nights = 0
        self._next_night()

    def teardown(self):
        self.clock.close()

    # --- the model's steps --------------------------------------------------------------------
    def _next_night(self):
        """A week after the last one: the clock at 9:45pm, the lead has taken the register."""
        starts_at = FIRST_NIGHT + dt.timedelta(weeks=self.nights)
        self.nights += 1
        self.clock.close()
        self.clock.enter_context(clock.freeze(starts_at - dt.timedelta(minutes=15)))
        self.shift = make_shift(starts_at=starts_at, lead=self.lead)
        self.member = add_member(self.shift, self.person)
        night.start_shift(self.shift, {self.member.id}, by=self.lead)
        db.session.commit()
        self.phase = "before"  # then "out" (counted out), then "in" (counted in)
        self.at_start: dict[int, int] = {}
        self.handed = {item.id: 0 for item in self.items}
        self.other = {item.id: 0 for item in self.items}
        self.reconciled: list[Reconciled] = []
        error = self._attempt(False, lambda: night.count_kit_in(self.member, self._counts([0, 0]), by=self.person),
                              Conflict)
        assert error.message == "Count your kit bag out first (at the start of the shift)."

    def _attempt(self, ok: bool, action, refusal=DomainError):
        try:
            outcome = action()
        except DomainError as error:
            db.session.rollback()
            assert not ok, f"a valid step was refused: {error.message}"
            assert isinstance(error, refusal), error
            return error
        db.session.commit()
        assert ok, "a step that should be refused was accepted"
        return outcome

    def _counts(self, offsets):
        return {item: max(0, self.held[item.id] + off) for item, off in zip(self.items, offsets, strict=True)}

    def _check_adjustments(self, outcome, counts):
        differing = {item.id: counts[item] - self.held[item.id] for item in self.items
                     if counts[item] != self.held[item.id]}
        recorded = {}
        for m in outcome.movements:
            assert (m.kind, m.patrol_shift_id) == (MovementKind.ADJUSTMENT, self.shift.id)
            recorded[m.item_id] = m.quantity if m.to_holder_id == self.bag.id else -m.quantity
        assert recorded == differing

    # --- the rules ------------------------------------------------------------------------------
    @precondition(lambda self: self.phase == "before")
    @rule(offsets=OFFSETS, explain=st.booleans())
    def count_out(self, offsets, explain):
        counts = self._counts(offsets)
        differs = any(counts[item] != self.held[item.id] for item in self.items)
        ok = explain or not differs
        outcome = self._attempt(ok, lambda: night.count_kit_out(
            self.member, counts, "Recounted at the start" if explain else "", by=self.person), ValidationFailed)
        if not ok:
            assert outcome.field == "reason"
            return
        self._check_adjustments(outcome, counts)
        self.held = {item.id: counts[item] for item in self.items}
        self.at_start = dict(self.held)
        self.phase = "out"

    @precondition(lambda self: self.phase == "out")
    @rule(item=ITEM, quantity=st.integers(1, 6))
    def hand_out(self, item, quantity):
        item = self.items[item]
        ok = quantity <= self.held[item.id]
        outcome = self._attempt(ok, lambda: night.hand_out_on_patrol(
            self.member, {item: quantity}, by=self.person, place_text="Market Square"), Conflict)
        if ok:
            assert [m.patrol_shift_id for m in outcome.movements] == [self.shift.id]
            self.held[item.id] -= quantity
            self.handed[item.id] += quantity

    @precondition(lambda self: self.phase in ("before", "out"))
    @rule(item=ITEM, quantity=st.integers(1, 4))
    def return_to_store(self, item, quantity):
        item = self.items[item]
        ok = quantity <= self.held[item.id]
        self._attempt(ok, lambda: equipment.issue_stock(self.bag, item, [self.store], quantity, by=self.person),
                      Conflict)
        if ok:
            self.held[item.id] -= quantity
            if self.phase == "out":
                self.other[item.id] -= quantity

    @precondition(lambda self: self.phase in ("before", "out"))
    @rule(item=ITEM, quantity=st.integers(1, 4))
    def top_up_from_store(self, item, quantity):
        item = self.items[item]
        self._attempt(True, lambda: equipment.issue_stock(self.store, item, [self.bag], quantity, by=self.lead))
        self.held[item.id] += quantity
        if self.phase == "out":
            self.other[item.id] += quantity

    @precondition(lambda self: self.phase == "out")
    @rule(offsets=OFFSETS, explain=st.booleans())
    def count_in(self, offsets, explain):
        counts = self._counts(offsets)
        differs = any(counts[item] != self.held[item.id] for item in self.items)
        ok = explain or not differs
        reason = "Recounted at the end" if explain else ""
        outcome = self._attempt(ok, lambda: night.count_kit_in(self.member, counts, reason, by=self.person),
                                ValidationFailed)
        if not ok:
            assert outcome.field == "reason"
            return
        self._check_adjustments(outcome, counts)
        self.reconciled = sorted((Reconciled(
            item.id, item.name, self.at_start[item.id], self.handed[item.id], self.other[item.id],
            self.held[item.id], counts[item], self.held[item.id] - counts[item],
            reason if counts[item] != self.held[item.id] else None) for item in self.items), key=lambda r: r.name)
        self.held = {item.id: counts[item] for item in self.items}
        self.phase = "in"
        error = self._attempt(False, lambda: night.count_kit_out(self.member, self._counts([0, 0]), by=self.person),
                              Conflict)
        assert error.message.startswith("This kit bag was already counted out at ")

    @precondition(lambda self: self.phase == "in")
    @rule(item=ITEM, quantity=st.integers(1, 3))
    def hand_out_after_the_count_in(self, item, quantity):
        item = self.items[item]
        self._attempt(False, lambda: night.hand_out_on_patrol(
            self.member, {item: quantity}, by=self.person, place_text="Market Square"), Conflict)

    @precondition(lambda self: self.phase == "in")
    @rule()
    def next_night(self):
        self._next_night()

    # --- what must always be true -------------------------------------------------------------------
    @invariant()
    def the_ledger_sums_to_the_balances(self):
        assert equipment.ledger_mismatches() == []
        assert equipment.items_held_mismatches() == []
        bag = dict(db.session.execute(select(StockBalance.item_id, StockBalance.quantity).where(
            StockBalance.holder_id == self.bag.id)).all())
        assert {item.id: bag.get(item.id, 0) for item in self.items} == self.held

    @invariant()
    def after_the_count_in_the_night_reconciles(self):
        if self.phase != "in":
            return
        rows = night.reconciliation(self.member)
        assert rows == self.reconciled
        for row in rows:
            assert row.at_start - row.handed_out + row.other == row.expected
            assert row.expected - row.left == row.variance
            assert self.held[row.item_id] == row.left  # the bag holds what was counted in


@pytest.mark.usefixtures("ledger_checked")
def test_random_nights_keep_the_kit_bag_and_the_books_true(app):
    make_user(email="stateful-lead@example.org")
    run_state_machine_as_test(PatrolNights, settings=settings(
        max_examples=10, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
