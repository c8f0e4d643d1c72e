"""Property-based: book / cancel / accept / decline / lapse / capacity change in any order keep
the waitlist fair and the session within capacity."""
import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from tests.conftest import _empty_tables
from tests.factories import make_user
from tests.factories_training import make_session
from volunteer_hub import models
from volunteer_hub.errors import DomainError
from volunteer_hub.models import Booking, BookingStatus, db, utcnow
from volunteer_hub.queries import training as training_queries
from volunteer_hub.services import training as svc

PEOPLE = 8
person = st.integers(min_value=0, max_value=PEOPLE - 1)


class Waitlist(RuleBasedStateMachine):
    @initialize(capacity=st.integers(min_value=1, max_value=4))
    def setup(self, capacity):
        _empty_tables()
        self.session = make_session(capacity=capacity)
        self.people = [make_user(password=None) for _ in range(PEOPLE)]

    def _booking(self, i):
        return training_queries.active_booking(self.session, self.people[i])

    def _do(self, fn, *args):
        try:
            fn(*args)
        except DomainError:
            pass
        db.session.commit()

    @rule(i=person)
    def book(self, i):
        self._do(svc.book_session, self.session, self.people[i])

    @rule(i=person)
    def cancel(self, i):
        booking = self._booking(i)
        if booking:
            self._do(svc.cancel_booking, booking, self.people[i])

    @rule(i=person)
    def accept(self, i):
        booking = self._booking(i)
        if booking:
            self._do(svc.accept_offer, booking)

    @rule(i=person)
    def decline(self, i):
        booking = self._booking(i)
        if booking:
            self._do(svc.decline_offer, booking)

    @rule(i=person)
    def let_offer_lapse(self, i):
        booking = self._booking(i)
        if booking and booking.status is BookingStatus.OFFERED:
            booking.offer_expires_at = utcnow() - dt.timedelta(seconds=1)
            db.session.commit()
            self._do(svc.lapse_offers, self.session)

    @rule(capacity=st.integers(min_value=1, max_value=6))
    def change_capacity(self, capacity):
        self._do(svc.change_capacity, self.session, capacity)

    @invariant()
    def fair_and_within_capacity(self):
        if not hasattr(self, "session"):
            return
        db.session.expire_all()
        active = list(db.session.scalars(select(Booking).where(
            Booking.session_id == self.session.id, Booking.status.in_(models.ACTIVE)).order_by(Booking.queue_number)))
        held = [b for b in active if b.status in models.HOLDING]
        queue = [b for b in active if b.status in models.WAITING]
        waiting = [b for b in active if b.status is BookingStatus.WAITLISTED]
        assert len(held) <= self.session.capacity
        assert len({b.user_id for b in active}) == len(active)  # nobody both booked and waiting
        # Offers go to the front of the queue, in order; then the rest wait in order.
        statuses = [b.status for b in queue]
        assert statuses == sorted(statuses, key=lambda s: s is BookingStatus.WAITLISTED)
        assert [training_queries.waitlist_position(b) for b in queue] == list(range(1, len(queue) + 1))
        assert training_queries.waitlist_positions(active) == {b.id: training_queries.waitlist_position(b) for b in active}  # one query, same answer
        # A free place never sits empty while someone waits.
        if waiting:
            assert len(held) == self.session.capacity


def test_the_waitlist_stays_fair_whatever_happens(app):
    run_state_machine_as_test(Waitlist, settings=settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
