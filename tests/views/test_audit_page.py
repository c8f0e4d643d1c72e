"""The audit page: who did what to whom, filtered and paginated; downloads are themselves
recorded and rate-limited; nothing can change or delete an entry."""
import csv
import datetime as dt
import io

from sqlalchemy import select

from tests.factories import make_org, make_user, sign_in_as
from volunteer_hub.models import AuditEntry, Role, db


def _entries(action=None):
    db.session.rollback()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    return list(db.session.scalars(stmt.where(AuditEntry.action == action) if action else stmt))


def _vet(client, person, renew_by="2029-01-10"):
    r = client.post(f"/people/{person.id}/dbs", data={"dbs_checked_on": "2026-01-10", "dbs_renew_by": renew_by},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code in (302, 400)
    return r


def test_a_change_appears_with_who_when_where_and_what(client, admin):
    person = make_user(Role.VOLUNTEER, name="Pat Person")
    sign_in_as(client, admin)
    _vet(client, person)
    page = client.get("/audit").get_data(as_text=True)
    assert "DBS check changed" in page and "Pat Person" in page and admin.name in page
    assert "from 203.0.113.9" in page and "DBS renew by: — → 2029-01-10" in page
    assert "1 entry" in page


def test_a_refused_change_leaves_no_entry(client, admin):
    person = make_user(Role.VOLUNTEER)
    sign_in_as(client, admin)
    assert _vet(client, person, renew_by="2025-01-01").status_code == 400
    assert _entries() == []


def test_filters_by_person_acting_person_affected_action_object_and_dates(client, admin, coordinator):
    amy, bob = make_user(name="Amy Affected"), make_user(name="Bob Affected", email="bob@example.org")
    sign_in_as(client, admin)
    _vet(client, amy)
    client.post(f"/people/{bob.id}/deactivate")
    sign_in_as(client, coordinator)
    _vet(client, bob)

    def shown(query):
        page = client.get("/audit?" + query).get_data(as_text=True)
        return page.count("<tr>") - ("<table" in page)  # minus the header row

    assert shown("") == 3
    assert shown(f"actor={admin.id}") == 2
    assert shown("subject=BOB@example.org") == 2
    assert shown("action=person.deactivated") == 1
    assert shown(f"object_type=users&object_id={amy.id}") == 1
    today = dt.date.today()
    assert shown(f"date_from={today - dt.timedelta(days=1)}&date_to={today + dt.timedelta(days=1)}") == 3
    assert shown(f"date_from={today + dt.timedelta(days=2)}") == 0


def test_a_filter_naming_nobody_says_so_next_to_the_field(client, admin):
    sign_in_as(client, admin)
    r = client.get("/audit?subject=nobody@example.org&date_from=2026-05-02&date_to=2026-05-01")
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'id="subject-error"' in page and "No one has that email address or account number." in page
    assert "The end date must be on or after the start date." in page
    assert client.get("/audit?object_id=abc").status_code == 400  # never a 500


def test_the_list_is_paginated_newest_first(client, admin, app):
    app.config["VH_PAGE_SIZE"] = 2
    people = [make_user(name=f"Person {n}") for n in range(5)]
    sign_in_as(client, admin)
    for person in people:
        _vet(client, person)
    first = client.get("/audit").get_data(as_text=True)
    assert "5 entries, page 1 of 3" in first and "Person 4" in first and "Person 0" not in first
    assert "Person 0" in client.get("/audit?page=3").get_data(as_text=True)


def test_the_download_is_recorded_and_holds_the_entries(client, admin):
    person = make_user(name="Pat Person")
    sign_in_as(client, admin)
    _vet(client, person)
    r = client.get(f"/audit/export.csv?subject={person.id}")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert r.mimetype == "text/csv" and rows[0][0] == "Entry"
    assert [row[5] for row in rows[1:]] == ["DBS check changed"] and rows[1][9] == "Pat Person"
    [download] = _entries("export.audit")
    assert download.actor_id == admin.id and download.changes == {"filters": {"subject": str(person.id)}}


def test_every_personal_data_download_is_recorded_without_what_was_typed(client, coordinator):
    sign_in_as(client, coordinator)
    assert client.get("/people/export.csv?q=Jo+Bloggs&role=volunteer").status_code == 200
    assert client.get("/certificates/compliance.csv").status_code == 200
    assert client.get("/equipment/movements.csv").status_code == 200
    actions = [e.action for e in _entries()]
    assert actions == ["export.directory", "export.compliance", "export.movements"]
    directory = _entries("export.directory")[0]
    assert directory.changes == {"filters": {"role": "volunteer"}, "searched": True}
    assert "Bloggs" not in str(directory.changes)


def test_downloads_are_rate_limited_per_person(client, app, coordinator):
    app.config["VH_EXPORT_LIMIT"] = "2 per hour"
    sign_in_as(client, coordinator)
    codes = [client.get("/people/export.csv").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert len(_entries("export.directory")) == 2  # a refused download is not a disclosure
    other = app.test_client()
    sign_in_as(other, make_user(Role.COORDINATOR))
    assert other.get("/people/export.csv").status_code == 200


def test_a_person_page_shows_the_latest_entries_about_them(client, admin):
    org = make_org("Police")
    person = make_user(Role.VOLUNTEER, name="Pat Person", organisation=org)
    other = make_user(Role.VOLUNTEER, name="Olly Other")
    sign_in_as(client, admin)
    _vet(client, person)
    _vet(client, other)
    client.post(f"/people/{person.id}/roles", data={"roles": ["volunteer", "trainer"]})
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    history = page[page.index("Recent changes about"):]
    assert "Role given" in history and "Role: trainer" in history and "DBS check changed" in history
    assert "Olly Other" not in history
    assert f"/audit?subject={person.id}" in history


def test_no_route_changes_or_deletes_an_entry(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    client = app.test_client()
    sign_in_as(client, make_user(Role.ADMIN))
    assert client.post("/audit").status_code == 405
    assert client.delete("/audit").status_code == 405
