"""Agencies see only their own people: a coordinator limited to some organisations sees personal
data only of their members (and themselves); admins and "all agencies" coordinators see everyone."""
import datetime as dt

import pytest
from sqlalchemy import event, select

from tests.factories import TEST_TOTP_SECRET, make_org, make_user, sign_in_as
from tests.factories_certificates import issue, make_course, require
from tests.factories_equipment import make_item, stock
from tests.factories_training import make_booking, make_session
from volunteer_hub import security
from volunteer_hub.models import AuditEntry, Booking, CoordinatorAgency, Role, User, db, utcnow
from volunteer_hub.services import equipment as equipment_service


@pytest.fixture()
def two(app):
    """Agency A and B, one volunteer in each, and a coordinator limited to A."""
    a, b = make_org("Agency A"), make_org("Agency B")
    return dict(a=a, b=b, amy=make_user(Role.VOLUNTEER, name="Amy Inagency", organisation=a),
                bob=make_user(Role.VOLUNTEER, name="Bob Elsewhere", organisation=b),
                coordinator=make_user(Role.COORDINATOR, name="Cath Limited", organisation=a, agencies=[a]))


def _client(app, user):
    client = app.test_client()
    sign_in_as(client, user)
    return client


def test_the_rule_in_one_place(app, two):
    coordinator, amy, bob = two["coordinator"], two["amy"], two["bob"]
    assert security.can_view_person(coordinator, amy)
    assert security.can_view_person(coordinator, coordinator)
    assert not security.can_view_person(coordinator, bob)
    assert security.can_view_person(make_user(Role.ADMIN), bob)  # admins see everyone, whatever the flag
    assert security.can_view_person(make_user(Role.COORDINATOR), bob)  # all agencies
    assert not security.can_view_person(two["amy"], bob)
    visible = set(db.session.scalars(security.scope_to_viewer(select(User.name), coordinator)))
    assert visible == {"Amy Inagency", "Cath Limited"}
    booked = select(Booking.user_id).where(security.visible_people(coordinator, Booking.user_id))
    session = make_session()
    make_booking(session, amy), make_booking(session, bob)
    assert set(db.session.scalars(booked)) == {amy.id}


def test_a_new_coordinator_sees_only_themselves_until_an_admin_says(app, two):
    admin = make_user(Role.ADMIN)
    client = _client(app, admin)
    response = client.post(f"/people/{two['amy'].id}/roles", data={"roles": ["volunteer", "coordinator"]})
    assert response.status_code == 302
    amy = db.session.get(User, two["amy"].id)
    assert amy.has_role(Role.COORDINATOR) and not amy.sees_all_agencies
    assert not security.can_view_person(amy, two["coordinator"])
    assert _client(app, amy).get("/people").headers["Location"] == "/auth/two-step/set-up"  # first of all
    amy.totp_secret, amy.totp_enabled_at = TEST_TOTP_SECRET, utcnow()
    db.session.commit()
    body = _client(app, amy).get("/people").get_data(as_text=True)
    assert "Amy Inagency" in body and "Cath Limited" not in body


def test_person_pages_are_404_outside_the_agencies(app, two):
    client = _client(app, two["coordinator"])
    assert client.get(f"/people/{two['amy'].id}").status_code == 200
    assert client.get(f"/people/{two['bob'].id}").status_code == 404
    assert client.post(f"/people/{two['bob'].id}/deactivate", data={}).status_code == 404
    assert db.session.get(User, two["bob"].id).is_active


def test_the_directory_and_its_csv_list_only_their_people(app, two):
    client = _client(app, two["coordinator"])
    for url in ("/people", f"/people?organisation={two['b'].id}", "/people/export.csv", "/people?q=bob"):
        body = client.get(url).get_data(as_text=True)
        assert "Bob Elsewhere" not in body, url
    assert "Amy Inagency" in client.get("/people").get_data(as_text=True)
    assert "Amy Inagency" in client.get("/people/export.csv").get_data(as_text=True)
    assert "Bob Elsewhere" in _client(app, make_user(Role.COORDINATOR)).get("/people").get_data(as_text=True)


def test_compliance_and_expiring_lists_only_their_people(app, two):
    course = make_course("First aid", validity_months=1)
    require(course, role=Role.VOLUNTEER)
    for person in (two["amy"], two["bob"]):
        issue(person, course, dt.date.today() - dt.timedelta(days=20))
    client = _client(app, two["coordinator"])
    for url in ("/certificates/compliance", "/certificates/compliance.csv", "/certificates/expiring?days=60",
                "/certificates/compliance?status=expiring", "/certificates/organisations"):
        body = client.get(url).get_data(as_text=True)
        assert "Bob Elsewhere" not in body, url
    for url in ("/certificates/compliance", "/certificates/compliance.csv", "/certificates/expiring?days=60"):
        assert "Amy Inagency" in client.get(url).get_data(as_text=True), url
    assert client.get(f"/certificates/organisations/{two['b'].id}/summary").status_code == 404
    assert client.get(f"/certificates/organisations/{two['a'].id}/summary").status_code == 200


def test_certificates_of_someone_outside_are_404(app, two):
    course = make_course()
    certificate = issue(two["bob"], course, dt.date.today() - dt.timedelta(days=3))
    client = _client(app, two["coordinator"])
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404
    assert client.get(f"/certificates/{certificate.id}/revoke").status_code == 404
    assert client.get(f"/certificates/people/{two['bob'].id}").status_code == 404


def test_kit_bags_outside_are_404_and_not_offered(app, two):
    item = make_item("Water")
    bags = {name: equipment_service.kit_bag_for(two[name]) for name in ("amy", "bob")}
    db.session.commit()
    for bag in bags.values():
        stock(bag, item, 3)
    client = _client(app, two["coordinator"])
    assert client.get(f"/equipment/holders/{bags['bob'].id}").status_code == 404
    assert client.get(f"/equipment/kit-bags/{two['bob'].id}").status_code == 404
    assert client.get(f"/equipment/holders/{bags['amy'].id}").status_code == 200
    issue_page = client.get("/equipment/issue").get_data(as_text=True)
    assert "Amy Inagency" in issue_page and "Bob Elsewhere" not in issue_page
    assert "Bob Elsewhere" not in client.get("/equipment/movements").get_data(as_text=True)


def test_booking_someone_in_moving_and_cancelling_only_their_people(app, two):
    session = make_session()
    client = _client(app, two["coordinator"])
    response = client.post(f"/training/sessions/{session.id}/book-person", data={"email": two["bob"].email},
                           follow_redirects=True)
    assert "There is nobody with that email address" in response.get_data(as_text=True)
    assert db.session.scalar(select(Booking).where(Booking.user_id == two["bob"].id)) is None
    client.post(f"/training/sessions/{session.id}/book-person", data={"email": two["amy"].email})
    assert db.session.scalar(select(Booking).where(Booking.user_id == two["amy"].id)) is not None
    booking = make_booking(session, two["bob"])
    assert client.post(f"/training/bookings/{booking.id}/cancel", data={}).status_code == 404
    assert client.get(f"/training/bookings/{booking.id}/move").status_code == 404


def test_a_trainer_sees_names_only_on_their_own_sessions(app, two):
    trainer = make_user(Role.TRAINER, Role.VOLUNTEER)
    theirs, other = make_session(), make_session()
    theirs.trainers.append(trainer)
    db.session.commit()
    make_booking(theirs, two["bob"]), make_booking(other, two["amy"])
    client = _client(app, trainer)
    assert "Amy Inagency" not in client.get(f"/training/sessions/{other.id}").get_data(as_text=True)
    assert client.get(f"/training/sessions/{other.id}/register").status_code == 403
    assert "Bob Elsewhere" in client.get(f"/training/sessions/{theirs.id}/register").get_data(as_text=True)


# --- an admin sets a coordinator's agencies -------------------------------------------------------
def test_an_admin_limits_a_coordinator_and_it_is_audited(app, two):
    admin = make_user(Role.ADMIN)
    client = _client(app, admin)
    coordinator = two["coordinator"]
    page = client.get(f"/people/{coordinator.id}").get_data(as_text=True)
    assert "<legend" in page and "All agencies" in page and 'name="organisation_ids"' in page
    response = client.post(f"/people/{coordinator.id}/agencies",
                           data={"organisation_ids": [str(two["a"].id), str(two["b"].id)]})
    assert response.status_code == 302
    rows = set(db.session.scalars(select(CoordinatorAgency.organisation_id).where(CoordinatorAgency.user_id == coordinator.id)))
    assert rows == {two["a"].id, two["b"].id}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.scopes")).one()
    assert entry.subject_id == coordinator.id and entry.actor_id == admin.id
    assert entry.changes == {"organisation_ids": [[two["a"].id], sorted([two["a"].id, two["b"].id])]}
    assert "Agency A, Agency B" in client.get(f"/people/{coordinator.id}").get_data(as_text=True)
    assert security.can_view_person(db.session.get(User, coordinator.id), two["bob"])

    client.post(f"/people/{coordinator.id}/agencies", data={"all_agencies": "y"})
    assert db.session.get(User, coordinator.id).sees_all_agencies
    assert "All agencies" in client.get(f"/people/{coordinator.id}").get_data(as_text=True)


def test_choosing_no_agency_is_refused_next_to_the_field(app, two):
    client = _client(app, make_user(Role.ADMIN))
    response = client.post(f"/people/{two['coordinator'].id}/agencies", data={})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="organisation_ids-error"' in body and "or All agencies" in body
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.scopes")) is None


def test_only_admins_set_agencies_and_only_for_coordinators(app, two):
    all_agencies = make_user(Role.COORDINATOR)
    assert _client(app, all_agencies).post(f"/people/{two['coordinator'].id}/agencies",
                                           data={"all_agencies": "y"}).status_code == 403
    assert "agencies-title" not in _client(app, all_agencies).get(f"/people/{two['coordinator'].id}").get_data(as_text=True)
    refused = _client(app, make_user(Role.ADMIN)).post(f"/people/{two['amy'].id}/agencies", data={"all_agencies": "y"})
    assert refused.status_code == 400 and "give them the role first" in refused.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/people", "/people/export.csv", "/certificates/compliance", "/equipment/issue",
                                  "/certificates/expiring"])
def test_the_agencies_are_read_once_per_request(app, two, path):
    for n in range(30):
        make_user(Role.VOLUNTEER, organisation=two["a"], name=f"Member {n}")
    client = _client(app, two["coordinator"])
    seen = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    agency_reads = [q for q in seen if "FROM coordinator_agencies" in q]
    assert len(agency_reads) == 1, agency_reads
