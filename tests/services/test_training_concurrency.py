"""Capacity under real concurrency: gunicorn with 4 workers against the test database (the
SQLite file or the PostgreSQL database of this run), 200 people booking 10 places at once.

Sign-in is a signed session cookie made with the server's SECRET_KEY (no 200 password
hashes); CSRF stays on, each cookie carrying its own token."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from tests.factories import make_user
from tests.factories_training import make_booking, make_session
from tests.live_server import credentials
from volunteer_hub.config import BaseConfig
from volunteer_hub.models import Booking, BookingStatus, Role, User, UserRole, db, utcnow

pytestmark = pytest.mark.slow


def _make_people(n: int) -> list[User]:
    people = [User(name=f"Racer {i:03d}", email=f"racer{i:03d}@example.org", confirmed_at=utcnow(),
                   privacy_notice_version=BaseConfig.VH_PRIVACY_NOTICE_VERSION, role_rows=[UserRole(role=Role.VOLUNTEER)]) for i in range(n)]
    db.session.add_all(people)
    db.session.commit()
    return people


def _post(base: str, path: str, creds: tuple[str, str]) -> int:
    cookie, token = creds
    r = requests.post(base + path, data={"csrf_token": token}, cookies={"session": cookie},
                      allow_redirects=False, timeout=60)
    return r.status_code


def _fire(jobs) -> list[int]:
    with ThreadPoolExecutor(max_workers=40) as pool:
        return list(pool.map(lambda job: _post(*job), jobs))


def _active(session_id):
    db.session.rollback()  # a fresh snapshot (SQLite's WAL readers keep the one they started with)
    return list(db.session.scalars(select(Booking).where(
        Booking.session_id == session_id, Booking.status.in_(
            (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.OFFERED))).order_by(Booking.id)))


def test_200_people_race_for_10_places(app, server):
    s = make_session(capacity=10)
    people = _make_people(200)
    creds = {p.id: credentials(app, p) for p in people}
    path = f"/training/sessions/{s.id}/book"
    # Everyone at once, and the first 20 double-click.
    jobs = [(server, path, creds[p.id]) for p in people] + [(server, path, creds[p.id]) for p in people[:20]]
    codes = _fire(jobs)

    assert set(codes) == {302}, codes  # every answer a redirect back to the session: no 500s
    bookings = _active(s.id)
    assert len(bookings) == 200
    assert len({b.user_id for b in bookings}) == 200  # nobody twice
    confirmed = [b for b in bookings if b.status is BookingStatus.CONFIRMED]
    waiting = [b for b in bookings if b.status is BookingStatus.WAITLISTED]
    assert len(confirmed) == 10 and len(waiting) == 190
    # Queue numbers are 1..200 in the order the bookings committed (ids and times grow with them),
    # and the ten places went to the first ten.
    assert sorted(b.queue_number for b in bookings) == list(range(1, 201))
    assert [b.queue_number for b in bookings] == list(range(1, 201))
    assert sorted(b.created_at for b in bookings) == [b.created_at for b in bookings]
    assert sorted(b.queue_number for b in confirmed) == list(range(1, 11))


def test_cancellations_race_bookings_and_offers(app, server):
    s = make_session(capacity=10)
    confirmed = [make_booking(s, make_user(password=None)) for _ in range(10)]
    waiting = [make_booking(s, make_user(password=None), BookingStatus.WAITLISTED) for _ in range(20)]
    newcomers = _make_people(30)
    creds = {}
    for b in confirmed + waiting:
        creds[b.user_id] = credentials(app, db.session.get(User, b.user_id))
    for p in newcomers:
        creds[p.id] = credentials(app, p)
    jobs = [(server, f"/training/bookings/{b.id}/cancel", creds[b.user_id]) for b in confirmed[:6]]
    jobs += [(server, f"/training/sessions/{s.id}/book", creds[p.id]) for p in newcomers]
    # The first waiting people try to accept at once (most before any offer exists: refused politely).
    jobs += [(server, f"/training/bookings/{b.id}/accept", creds[b.user_id]) for b in waiting[:10]]
    jobs += [(server, f"/training/bookings/{b.id}/decline", creds[b.user_id]) for b in waiting[10:12]]
    jobs.sort(key=lambda j: hash(j[1]))  # interleave the kinds of request
    codes = _fire(jobs)

    assert set(codes) == {302}, codes
    bookings = _active(s.id)
    held = [b for b in bookings if b.status in (BookingStatus.CONFIRMED, BookingStatus.OFFERED)]
    queue = sorted((b for b in bookings if b.status in (BookingStatus.WAITLISTED, BookingStatus.OFFERED)),
                   key=lambda b: b.queue_number)
    assert len(held) == 10  # six places freed, all taken again or offered: never more than capacity
    assert len({b.user_id for b in bookings}) == len(bookings)
    # Offers went to the front of the queue: nobody waiting is ahead of someone offered.
    first_waiting = next((i for i, b in enumerate(queue) if b.status is BookingStatus.WAITLISTED), len(queue))
    assert all(b.status is BookingStatus.OFFERED for b in queue[:first_waiting])
    assert all(b.status is BookingStatus.WAITLISTED for b in queue[first_waiting:])
    # Every newcomer is waiting behind everyone who was already waiting.
    newcomer_ids = {p.id for p in newcomers}
    old_numbers = [b.queue_number for b in queue if b.user_id not in newcomer_ids]
    new_numbers = [b.queue_number for b in queue if b.user_id in newcomer_ids]
    assert len(new_numbers) == 30 and min(new_numbers) > max(old_numbers)
    assert db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == s.id, Booking.status == BookingStatus.CANCELLED)) == 6
