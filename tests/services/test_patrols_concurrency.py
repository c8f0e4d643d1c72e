"""A shift's places under real concurrency: gunicorn with 4 workers against the test database (the
SQLite file or the PostgreSQL database of this run), 200 trained, vetted people joining a shift of
6 at once (and the first 20 tapping twice). Same harness as the training race."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.live_server import credentials
from tests.services.test_training_concurrency import _fire, _make_people
from volunteer_hub.models import MemberStatus, PatrolMember, PatrolShift, db, utcnow

pytestmark = pytest.mark.slow


def test_200_people_race_for_a_shift_of_6(app, server):
    start = utcnow() + dt.timedelta(days=2)
    shift = PatrolShift(title="Saturday patrol", starts_at=start, ends_at=start + dt.timedelta(hours=5),
                        min_people=2, max_people=6, needs_dbs=True)
    db.session.add(shift)
    people = _make_people(200)
    for person in people:
        person.dbs_renew_by = (start + dt.timedelta(days=365)).date()
    db.session.commit()
    creds = {p.id: credentials(app, p) for p in people}
    path = f"/patrols/{shift.id}/join"
    codes = _fire([(server, path, creds[p.id]) for p in people] + [(server, path, creds[p.id]) for p in people[:20]])

    assert set(codes) == {302}, codes  # every answer a redirect back to the shift: no 500s
    db.session.rollback()
    members = list(db.session.scalars(select(PatrolMember).where(PatrolMember.shift_id == shift.id)))
    assert len(members) == 6  # the most never exceeded; everyone else was told it is full
    assert all(m.status is MemberStatus.JOINED for m in members)
    assert len({m.user_id for m in members}) == 6  # nobody twice


def test_the_last_place_goes_to_one_of_two_joining_at_the_same_moment(app, monkeypatch):
    """The window made wide: each join waits after counting the places taken. Without the shift's
    row lock both would see one place left and both would join."""
    import time

    from tests.threads import at_once
    from volunteer_hub.errors import Conflict
    from volunteer_hub.services.patrols import joining
    from volunteer_hub.unit_of_work import unit_of_work

    start = utcnow() + dt.timedelta(days=2)
    shift = PatrolShift(title="Friday patrol", starts_at=start, ends_at=start + dt.timedelta(hours=5),
                        min_people=1, max_people=1, needs_dbs=False)
    db.session.add(shift)
    db.session.commit()
    shift_id = shift.id
    ids = iter([p.id for p in _make_people(2)])
    counted = joining.joined_count

    def slow_count(s):
        n = counted(s)
        time.sleep(0.3)
        return n

    monkeypatch.setattr(joining, "joined_count", slow_count)

    def join():
        from volunteer_hub.models import User

        person = db.session.get(User, next(ids))
        try:
            with unit_of_work(actor=person):
                joining.join_shift(db.session.get(PatrolShift, shift_id), person)
            return "joined"
        except Conflict as error:
            return error.message

    assert sorted(at_once(app, join)) == ["This shift is full.", "joined"]
    db.session.rollback()
    assert len(db.session.scalars(select(PatrolMember).where(PatrolMember.shift_id == shift_id)).all()) == 1
