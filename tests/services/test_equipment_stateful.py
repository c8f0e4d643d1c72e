"""Property-based: random receive / issue / hand out / return / write off / stocktake / reverse
sequences never make a balance negative, and the balances always equal the ledger."""
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from tests.factories import make_user
from volunteer_hub.errors import DomainError
from volunteer_hub.models import ItemKind, MovementKind, StockBalance, StockMovement, User, db
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.services import equipment as svc

_run = itertools.count(1)
QUANTITY = st.integers(min_value=-2, max_value=25)  # includes refused zero and negative quantities


class Ledger(RuleBasedStateMachine):
    """The model is a plain dict of what each holder holds; the system must agree with it."""

    def __init__(self):
        super().__init__()
        n = next(_run)
        self.by = db.session.scalar(select(User).where(User.email == "stateful@example.org"))
        self.store = svc.create_store(f"Store {n}")
        self.bags = [svc.kit_bag_for(make_user()) for _ in range(2)]
        self.items = [svc.create_item(f"Alarm {n}", ItemKind.CONSUMABLE), svc.create_item(f"Scrunchie {n}", ItemKind.CONSUMABLE)]
        self.holders = [self.store, *self.bags]
        db.session.commit()
        self.model = {(i.id, h.id): 0 for i in self.items for h in self.holders}
        self.movements: list[int] = []
        self.reversed: set[int] = set()

    def _attempt(self, expect_ok: bool, action) -> None:
        try:
            outcome = action()
        except DomainError:
            db.session.rollback()
            assert not expect_ok, "a valid change was refused"
            return
        db.session.commit()
        assert expect_ok, "an invalid change was accepted"
        self.movements += [m.id for m in outcome.movements]

    def _moves(self, item, quantity, source, target):
        ok = quantity > 0 and (source is None or self.model[(item.id, source.id)] >= quantity)
        if ok:
            if source is not None:
                self.model[(item.id, source.id)] -= quantity
            if target is not None:
                self.model[(item.id, target.id)] += quantity
        return ok

    @rule(item=st.integers(0, 1), quantity=QUANTITY)
    def receive(self, item, quantity):
        item = self.items[item]
        self._attempt(self._moves(item, quantity, None, self.store),
                      lambda: svc.receive_stock(self.store, item, quantity, by=self.by))

    @rule(item=st.integers(0, 1), bag=st.integers(0, 1), quantity=QUANTITY)
    def issue(self, item, bag, quantity):
        item, bag = self.items[item], self.bags[bag]
        self._attempt(self._moves(item, quantity, self.store, bag),
                      lambda: svc.issue_stock(self.store, item, [bag], quantity, by=self.by))

    @rule(item=st.integers(0, 1), quantity=QUANTITY)
    def issue_to_both_bags(self, item, quantity):
        item = self.items[item]
        ok = quantity > 0 and self.model[(item.id, self.store.id)] >= 2 * quantity
        if ok:
            self._moves(item, quantity, self.store, self.bags[0])
            self._moves(item, quantity, self.store, self.bags[1])
        self._attempt(ok, lambda: svc.issue_stock(self.store, item, self.bags, quantity, by=self.by))

    @rule(item=st.integers(0, 1), bag=st.integers(0, 1), quantity=QUANTITY)
    def hand_out(self, item, bag, quantity):
        item, bag = self.items[item], self.bags[bag]
        self._attempt(self._moves(item, quantity, bag, None), lambda: svc.hand_out_stock(
            bag, {item: quantity}, by=self.by, place_text="High Street"))

    @rule(item=st.integers(0, 1), bag=st.integers(0, 1), quantity=QUANTITY)
    def return_to_store(self, item, bag, quantity):
        item, bag = self.items[item], self.bags[bag]
        self._attempt(self._moves(item, quantity, bag, self.store),
                      lambda: svc.issue_stock(bag, item, [self.store], quantity, by=self.by))

    @rule(item=st.integers(0, 1), holder=st.integers(0, 2), quantity=QUANTITY)
    def write_off(self, item, holder, quantity):
        item, holder = self.items[item], self.holders[holder]
        self._attempt(self._moves(item, quantity, holder, None),
                      lambda: svc.write_off_stock(holder, item, quantity, "Damaged", by=self.by))

    @rule(item=st.integers(0, 1), holder=st.integers(0, 2), counted=st.integers(-1, 40))
    def stocktake(self, item, holder, counted):
        item, holder = self.items[item], self.holders[holder]
        ok = counted >= 0
        if ok:
            self.model[(item.id, holder.id)] = counted
        self._attempt(ok, lambda: svc.take_stock(holder, {item: counted}, "Count", by=self.by))

    @rule(pick=st.integers(0, 10_000))
    def reverse(self, pick):
        if not self.movements:
            return
        movement = db.session.get(StockMovement, self.movements[pick % len(self.movements)])
        ok = movement.kind is not MovementKind.REVERSAL and movement.id not in self.reversed
        if ok:
            ok = self._moves(movement.item, movement.quantity, movement.to_holder, movement.from_holder)
        if ok:
            self.reversed.add(movement.id)
        self._attempt(ok, lambda: svc.reverse_movement(movement, "Mistake", by=self.by))

    @invariant()
    def balances_match_the_model_and_the_ledger(self):
        actual = {(b.item_id, b.holder_id): b.quantity for b in db.session.scalars(
            select(StockBalance).where(StockBalance.item_id.in_([i.id for i in self.items])))}
        assert all(q >= 0 for q in actual.values())
        assert {k: actual.get(k, 0) for k in self.model} == self.model
        assert svc.ledger_mismatches() == []

    @invariant()
    def hand_out_totals_match_the_ledger(self):
        assert equipment_queries.hand_out_total_mismatches() == []

    @invariant()
    def holders_count_the_items_they_hold(self):
        assert svc.items_held_mismatches() == []


@pytest.mark.usefixtures("ledger_checked")
def test_random_sequences_keep_the_books_true(app):
    make_user(email="stateful@example.org")
    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
