"""The audit trail's core: an entry commits and rolls back with its change, holds only what
changed, names people by id, and cannot be rewritten on PostgreSQL."""
import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.factories import make_user
from volunteer_hub import audit
from volunteer_hub.actor import set_actor
from volunteer_hub.errors import Conflict
from volunteer_hub.models import AuditEntry, Role, db
from volunteer_hub.unit_of_work import unit_of_work


def _entries() -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _change_vetting(person, checked_on, renew_by):
    before = audit.snapshot(person, ("dbs_checked_on", "dbs_renew_by"))
    person.dbs_checked_on, person.dbs_renew_by = checked_on, renew_by
    return audit.record("person.vetting", person, subject=person, before=before)


def test_an_entry_commits_with_its_change_and_keeps_only_what_changed(app):
    admin = make_user(Role.ADMIN)
    person = make_user(Role.VOLUNTEER)
    person.dbs_checked_on = dt.date(2026, 1, 5)
    db.session.commit()
    with app.test_request_context("/", method="POST", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        set_actor(admin)
        with unit_of_work():
            _change_vetting(person, dt.date(2026, 1, 5), dt.date(2029, 1, 5))
    [entry] = _entries()
    assert (entry.actor_id, entry.subject_id, entry.address) == (admin.id, person.id, "192.0.2.7")
    assert (entry.action, entry.object_type, entry.object_id) == ("person.vetting", "users", person.id)
    assert entry.changes == {"dbs_renew_by": [None, "2029-01-05"]}
    assert entry.at.tzinfo is not None
    assert person.email not in str(entry.changes) and person.name not in str(entry.changes)


def test_a_change_that_rolls_back_leaves_no_entry(app):
    person = make_user(Role.VOLUNTEER)
    db.session.commit()
    with app.test_request_context("/", method="POST"):
        with unit_of_work() as work:
            _change_vetting(person, dt.date(2026, 2, 1), dt.date(2029, 2, 1))
            raise Conflict("No.")
    assert not work.ok
    assert _entries() == []
    assert db.session.get(type(person), person.id).dbs_renew_by is None


def test_an_unknown_action_is_a_programming_error(app):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("person.renamed")


def test_postgresql_refuses_to_update_or_delete_an_entry(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (set TEST_DATABASE_URL; CI runs both)")
    audit.record("export.directory", facts={"rows": 3})
    db.session.commit()
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert [e.action for e in _entries()] == ["export.directory"]
