"""`flask demo seed --scale N` for training, certificates and equipment: the generated data keeps
the rules the site keeps (the stock ledger, session capacity, certificates from attendance), and
topping up to a larger scale adds only the difference. Small fractional scales keep it quick."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from volunteer_hub.clock import today as today_local
from volunteer_hub.demo import seed_demo, seed_scale
from volunteer_hub.demo._scale import Progress, target
from volunteer_hub.demo.b_training import GENERATED_NOTES
from volunteer_hub.demo.d_equipment import GENERATED_KEY
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Booking,
    BookingStatus,
    Certificate,
    Course,
    HandOutTotal,
    StockBalance,
    StockMovement,
    TrainingSession,
    db,
    utcnow,
)
from volunteer_hub.queries.equipment import hand_out_total_mismatches
from volunteer_hub.services.equipment import items_held_mismatches


@pytest.fixture
def seeded(app):
    seed_demo()
    db.session.commit()
    seed_scale(0.05, Progress(show=False))
    db.session.commit()
    seed_scale(0.1, Progress(show=False))  # topped up, not regenerated
    db.session.commit()


def _generated_sessions():
    return list(db.session.scalars(select(TrainingSession).where(TrainingSession.notes == GENERATED_NOTES)))


def test_topping_up_reaches_the_targets_adds_nothing_twice_and_the_ledger_balances(seeded):
    def counts():
        return (
            len(_generated_sessions()),
            db.session.scalar(select(func.count()).select_from(Booking).join(TrainingSession)
                              .where(TrainingSession.notes == GENERATED_NOTES)),
            db.session.scalar(select(func.count()).select_from(StockMovement)
                              .where(StockMovement.idempotency_key.like(f"{GENERATED_KEY}%"))),
            db.session.scalar(select(func.count()).select_from(Certificate)),
        )

    sessions, bookings, movements, certificates = counts()
    assert (sessions, bookings, movements) == (target("sessions", 0.1), target("bookings", 0.1),
                                               target("stock_movements", 0.1))
    seed_scale(0.1, Progress(show=False))
    db.session.commit()
    assert counts() == (sessions, bookings, movements, certificates)
    _check_every_balance_equals_its_ledger_and_none_is_negative()
    assert db.session.scalar(select(func.count()).select_from(HandOutTotal)) > 0
    assert hand_out_total_mismatches() == []  # the report's roll-up, topped up with the ledger
    assert items_held_mismatches() == []  # what the stock page counts holders by


def _check_every_balance_equals_its_ledger_and_none_is_negative():
    ledger: dict[tuple[int, int], int] = defaultdict(int)
    for item_id, from_id, to_id, quantity in db.session.execute(
            select(StockMovement.item_id, StockMovement.from_holder_id, StockMovement.to_holder_id,
                   StockMovement.quantity)):
        if from_id is not None:
            ledger[(item_id, from_id)] -= quantity
        if to_id is not None:
            ledger[(item_id, to_id)] += quantity
    balances = {(b.item_id, b.holder_id): b.quantity for b in db.session.scalars(select(StockBalance))}
    assert {k: v for k, v in ledger.items() if v} == {k: v for k, v in balances.items() if v}
    assert min(balances.values()) >= 0
    kinds = Counter(db.session.scalars(select(StockMovement.kind)))
    assert len(kinds) >= 4  # receipts, issues, hand-outs, write-offs
    days = db.session.execute(select(func.min(StockMovement.occurred_on), func.max(StockMovement.occurred_on))).one()
    assert (days[1] - days[0]).days > 2 * 365


def test_sessions_keep_the_booking_rules_and_certificates_follow_attendance(seeded):
    now = utcnow()
    statuses: Counter = Counter()
    for session in _generated_sessions():
        by_status = Counter(b.status for b in session.bookings)
        statuses.update(by_status)
        held = by_status[BookingStatus.CONFIRMED] + by_status[BookingStatus.OFFERED]
        assert held <= session.capacity, f"session {session.id} holds more places than it has"
        if by_status[BookingStatus.WAITLISTED] or by_status[BookingStatus.OFFERED]:
            assert held == session.capacity, f"session {session.id} has a waitlist but free places"
        assert len({b.queue_number for b in session.bookings}) == len(session.bookings)
        active = [b.user_id for b in session.bookings if b.is_active]
        assert len(active) == len(set(active))
        if session.ends_at < now:
            assert session.finalised_at is not None
            marked = set(db.session.scalars(select(Attendance.user_id).where(Attendance.session_id == session.id)))
            assert marked == {b.user_id for b in session.bookings if b.status is BookingStatus.CONFIRMED}
        else:
            assert session.finalised_at is None
    assert statuses[BookingStatus.WAITLISTED] and statuses[BookingStatus.CANCELLED]
    assert all(b.offer_expires_at for b in db.session.scalars(select(Booking).where(
        Booking.status == BookingStatus.OFFERED)))
    _check_certificates_follow_qualifying_attendance()


def _check_certificates_follow_qualifying_attendance():
    today = today_local()
    generated = select(TrainingSession.id).where(TrainingSession.notes == GENERATED_NOTES)
    certificates = list(db.session.scalars(select(Certificate).where(Certificate.session_id.in_(generated))))
    attendances = {a.id: a for a in db.session.scalars(select(Attendance).where(Attendance.session_id.in_(generated)))}
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    qualifying = {a.id for a in attendances.values()
                  if a.status is AttendanceStatus.PRESENT
                  or (a.status is AttendanceStatus.LATE and courses[a.session.course_id].late_counts_as_attended)}
    assert {c.attendance_id for c in certificates} == qualifying
    for c in certificates:
        attendance = attendances[c.attendance_id]
        assert (c.user_id, c.session_id) == (attendance.user_id, attendance.session_id)
        assert c.number == f"VH-{c.issued_on.year}-{c.id:06d}"
    numbers = list(db.session.scalars(select(Certificate.number)))
    assert len(numbers) == len(set(numbers))
    assert any(c.expires_on and c.expires_on < today for c in certificates)
    assert any(c.expires_on is None or c.expires_on >= today for c in certificates)
