"""Retention on a frozen clock: a quiet person is warned 30 days ahead, can keep their account,
and is otherwise erased by the jobs command exactly once, even when two runs overlap. Old email
bodies and old audit entries go too."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_user
from tests.factories_training import make_booking, make_session
from tests.threads import at_once
from volunteer_hub import clock
from volunteer_hub.jobs import retention_job
from volunteer_hub.models import AuditEntry, OutboxMessage, OutboxStatus, Role, User, db
from volunteer_hub.services.privacy import retention

JOINED = dt.datetime(2022, 3, 1, 12, 0, tzinfo=dt.UTC)
YEARS_3 = dt.timedelta(days=3 * 365.25)


def at(delta: dt.timedelta):
    return clock.freeze(JOINED + delta)


@pytest.fixture()
def quiet(app):
    """A volunteer who joined, booked once on the day they joined, and was never seen again."""
    with clock.freeze(JOINED):
        person = make_user(name="Quiet Quentin", email="quentin@example.org")
        make_booking(make_session(starts_in=dt.timedelta(days=5), trainers=[]), person)
    db.session.commit()
    return person


def warnings_to(person) -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == person.id,
                                                              OutboxMessage.key.like("retention-warning:%"))))


def erased(person) -> bool:
    db.session.rollback()
    return db.session.get(User, person.id).erased_at is not None


def test_the_timeline_warn_then_erase(quiet):
    # (make_booking stamps its booking three days before "now", before they joined: joining is the last activity.)
    last = JOINED
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=31)):
        retention_job()
    assert warnings_to(quiet) == []
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=29)):
        retention_job()
        retention_job()  # the next night's run (or an overlapping one) does not warn again
    [warning] = warnings_to(quiet)
    assert "erased" in warning.subject and "/privacy/keep/" in warning.body_text
    assert not erased(quiet)
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=5)):
        retention_job()  # warned, but 30 days have not passed
    assert not erased(quiet)
    with clock.freeze(last + YEARS_3 + dt.timedelta(days=2)):
        summary = retention_job()
    assert erased(quiet) and "1 erased" in summary
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.erased"))
    assert entry.actor_id is None and entry.changes["reason"].startswith("Retention: no activity for 3 years")


def test_the_link_in_the_warning_keeps_the_account(quiet, client):
    last = JOINED
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=29)):
        retention_job()
    [warning] = warnings_to(quiet)
    path = re.search(r"http://localhost(/privacy/keep/\S+)", warning.body_text).group(1)
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=20)):
        page = client.get(path)
        assert page.status_code == 200 and b"I still volunteer" in page.data
        assert db.session.get(User, quiet.id).retention_warned_at is not None  # a GET changes nothing
        kept = client.post(path, data={})
        assert b"your account is kept" in kept.data
    with clock.freeze(last + YEARS_3 + dt.timedelta(days=2)):
        retention_job()
    assert not erased(quiet)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "privacy.kept")) == 1


def test_signing_in_after_the_warning_keeps_the_account(quiet, client):
    last = JOINED
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=29)):
        retention_job()
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=10)):
        client.post("/auth/sign-in", data={"email": "quentin@example.org", "password": PASSWORD})
    db.session.rollback()
    assert db.session.get(User, quiet.id).retention_warned_at is None
    with clock.freeze(last + YEARS_3 + dt.timedelta(days=2)):
        retention_job()
    assert not erased(quiet)


def test_a_booking_after_the_warning_cancels_it(quiet):
    last = JOINED
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=29)):
        retention_job()
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=7)):
        make_booking(make_session(trainers=[]), quiet)  # stamped three days before: still after the warning
    with clock.freeze(last + YEARS_3 + dt.timedelta(days=2)):
        summary = retention_job()
    assert not erased(quiet) and "1 warnings cancelled" in summary


def test_two_overlapping_runs_warn_once_and_erase_once(app, quiet):
    last = JOINED

    with clock.freeze(last + YEARS_3 - dt.timedelta(days=29)):
        at_once(app, retention_job)
    assert len(warnings_to(quiet)) == 1
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "privacy.retention_warned")) == 1
    with clock.freeze(last + YEARS_3 + dt.timedelta(days=2)):
        at_once(app, retention_job)
    assert erased(quiet)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "privacy.erased")) == 1


def test_coordinators_see_who_is_due_in_the_next_30_days(quiet, client):
    coordinator = make_user(Role.COORDINATOR)
    last = JOINED
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=40)):
        assert [d.id for d in retention.due_soon(coordinator)] == []
    with clock.freeze(last + YEARS_3 - dt.timedelta(days=20)):
        [due] = retention.due_soon(coordinator)
        assert due.id == quiet.id and due.warned_at is None
        # Not warned yet: nobody is erased sooner than 30 days after their warning.
        assert due.erase_on == clock.today() + dt.timedelta(days=30)


def test_old_email_bodies_are_stripped_but_the_facts_stay(app):
    person = make_user()
    with clock.freeze(JOINED):
        for key, status in (("old-sent", OutboxStatus.SENT), ("old-pending", OutboxStatus.PENDING)):
            db.session.add(OutboxMessage(key=key, recipient=person.email, recipient_id=person.id, subject="Hello",
                                         body_text="Dear Person", body_html="<p>Dear Person</p>", status=status))
        db.session.commit()
    with at(dt.timedelta(days=89)):
        retention_job()
    assert db.session.scalar(select(OutboxMessage.body_text).where(OutboxMessage.key == "old-sent")) == "Dear Person"
    with at(dt.timedelta(days=91)):
        retention_job()
    db.session.rollback()
    sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == "old-sent"))
    assert (sent.body_text, sent.body_html, sent.subject, sent.recipient_id, sent.status) == (
        "", "", "Hello", person.id, OutboxStatus.SENT)
    assert db.session.scalar(select(OutboxMessage.body_text).where(OutboxMessage.key == "old-pending")) == "Dear Person"


def test_audit_entries_older_than_the_setting_are_deleted(app):
    from volunteer_hub import audit
    from volunteer_hub.unit_of_work import unit_of_work

    person = make_user()
    for when in (JOINED, JOINED + dt.timedelta(days=400)):
        with clock.freeze(when), unit_of_work(actor=None):
            audit.record("person.reactivated", person, subject=person)
    with at(dt.timedelta(days=6 * 365.25 + 10)):
        summary = retention_job()
    assert "1 old audit entries deleted" in summary
    db.session.rollback()
    left = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert left == ["person.reactivated", "privacy.audit_purged"]
