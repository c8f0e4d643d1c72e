"""Requirements, the compliance matrix (a fixed number of queries), per-organisation shares."""
import datetime as dt

import pytest
from sqlalchemy import event, insert, select

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_certificates import issue, make_course, require
from volunteer_hub import clock
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.models import Certificate, ComplianceRequirement, OrganisationKind, Role, User, UserRole, db, utcnow
from volunteer_hub.queries import certificates as certificate_queries
from volunteer_hub.queries import compliance as compliance_queries
from volunteer_hub.services import certificates as service


@pytest.fixture()
def setup(app):
    today = clock.today()
    bystander = make_course("Bystander intervention", validity_months=24)
    angela = make_course("Ask for Angela / WAVE", validity_months=12)
    require(bystander, kind=OrganisationKind.AMBASSADORS)
    require(angela, kind=OrganisationKind.LICENSED_VENUE)
    ambassadors = make_org("Town Centre Ambassadors", OrganisationKind.AMBASSADORS)
    venue = make_org("The Red Lion", OrganisationKind.LICENSED_VENUE)
    people = {
        "valid": make_user(name="Amy Valid", organisation=ambassadors),
        "expiring": make_user(name="Ben Expiring", organisation=ambassadors),
        "expired": make_user(name="Cat Expired", organisation=venue),
        "missing": make_user(name="Dan Missing", organisation=venue),
        "other": make_user(name="Eve Unrequired", organisation=make_org("Police", OrganisationKind.POLICE)),
    }
    issue(people["valid"], bystander, today - dt.timedelta(days=100))
    issue(people["expiring"], bystander, today - dt.timedelta(days=700))
    issue(people["expired"], angela, today - dt.timedelta(days=400))
    return dict(today=today, bystander=bystander, angela=angela, venue=venue, ambassadors=ambassadors, **people)


def _cells(matrix):
    return {row.person.name: [c.status for c in row.cells] for row in matrix.rows}


def test_the_matrix_shows_each_required_course_with_its_status(setup):
    matrix = compliance_queries.compliance_matrix(compliance_queries.ComplianceFilter())
    assert [c.title for c in matrix.courses] == ["Ask for Angela / WAVE", "Bystander intervention"]
    assert _cells(matrix) == {
        "Amy Valid": [None, "valid"],
        "Ben Expiring": [None, "expiring"],
        "Cat Expired": ["expired", None],
        "Dan Missing": ["missing", None],
    }
    ben = next(r for r in matrix.rows if r.person.name == "Ben Expiring")
    assert ben.cells[1].label.startswith("Expires ")


@pytest.mark.parametrize("filters, names", [
    (dict(status="gaps"), ["Cat Expired", "Dan Missing"]),
    (dict(status="complete"), ["Amy Valid", "Ben Expiring"]),
    (dict(status="expiring"), ["Ben Expiring"]),
    (dict(status="missing"), ["Dan Missing"]),
    (dict(role=Role.COORDINATOR), []),
])
def test_the_matrix_filters(setup, filters, names):
    matrix = compliance_queries.compliance_matrix(compliance_queries.ComplianceFilter(**filters))
    assert [r.person.name for r in matrix.rows] == names
    everyone = compliance_queries.compliance_matrix_all(compliance_queries.ComplianceFilter(**filters))  # the CSV's way
    assert [r.person.name for r in everyone.rows] == names


def test_filtering_by_organisation_shows_only_its_courses(setup):
    matrix = compliance_queries.compliance_matrix(compliance_queries.ComplianceFilter(organisation_id=setup["venue"].id))
    assert [c.title for c in matrix.courses] == ["Ask for Angela / WAVE"]
    assert _cells(matrix) == {"Cat Expired": ["expired"], "Dan Missing": ["missing"]}


def test_a_role_requirement_applies_to_everyone_with_the_role(setup):
    require(setup["angela"], role=Role.TRAINER)
    trainer = make_user(Role.TRAINER, name="Tia Trainer")
    matrix = compliance_queries.compliance_matrix(compliance_queries.ComplianceFilter(role=Role.TRAINER))
    assert _cells(matrix) == {"Tia Trainer": ["missing"]}
    assert trainer.id == matrix.rows[0].person.id


def test_external_certificates_count_and_revoked_ones_do_not(setup):
    service.record_external_certificate(setup["missing"], course=setup["angela"], title=None, issuer="Other council",
                                        issued_on=setup["today"], expires_on=None, evidence_note=None, by=setup["other"])
    service.revoke_certificate(db.session.scalars(select(Certificate).where(Certificate.user_id == setup["valid"].id)).one(),
                               "Wrong person", by=setup["other"])
    cells = _cells(compliance_queries.compliance_matrix(compliance_queries.ComplianceFilter()))
    assert cells["Dan Missing"] == ["valid", None]
    assert cells["Amy Valid"] == [None, "missing"]


def test_organisation_shares_and_who_lapses_next(setup):
    rows = {r.organisation.name: r for r in compliance_queries.organisation_compliance()}
    assert set(rows) == {"Town Centre Ambassadors", "The Red Lion"}
    ambassadors, venue = rows["Town Centre Ambassadors"], rows["The Red Lion"]
    assert (ambassadors.people, ambassadors.complete, ambassadors.share) == (2, 2, 100)
    assert ambassadors.next_lapse_person == "Ben Expiring"
    assert ambassadors.next_lapse_course == "Bystander intervention"
    assert (venue.people, venue.complete, venue.share, venue.next_lapse_on) == (2, 0, 0, None)
    matrix, summary = compliance_queries.venue_summary(setup["venue"])
    assert [r.person.name for r in matrix.rows] == ["Cat Expired", "Dan Missing"]
    assert summary.share == 0


def test_the_expiring_list_leaves_out_renewed_certificates(setup):
    assert [c.user.name for c in db.session.scalars(certificate_queries.expiring_query(60))] == ["Ben Expiring"]
    issue(setup["expiring"], setup["bystander"], setup["today"])
    assert list(db.session.scalars(certificate_queries.expiring_query(60))) == []


def test_requirements_are_replaced_as_a_set(setup):
    angela = setup["angela"].id
    added, removed = service.set_requirements({("kind", "licensed_venue", angela), ("role", "volunteer", angela)})
    assert (added, removed) == (1, 1)
    rows = {(r.role, r.organisation_kind, r.course_id) for r in db.session.scalars(select(ComplianceRequirement))}
    assert rows == {(None, OrganisationKind.LICENSED_VENUE, angela), (Role.VOLUNTEER, None, angela)}
    with pytest.raises(ValidationFailed):
        service.set_requirements({("kind", "casino", angela)})
    with pytest.raises(ValidationFailed):
        service.set_requirements({("role", "volunteer", 99999)})


# --- a fixed number of queries, whatever the number of people ------------------------------------------
def _bulk_people(n: int, org, course) -> None:
    """n volunteers of `org` with a mix of certificates, inserted in bulk (fast)."""
    start = db.session.scalar(select(db.func.coalesce(db.func.max(User.id), 0)))
    now, today = utcnow(), clock.today()
    db.session.execute(insert(User), [
        dict(id=start + i, email=f"bulk{start + i}@example.org", name=f"Bulk {i:05d}", organisation_id=org.id,
             is_active=True, session_version=1, confirmed_at=now, created_at=now)
        for i in range(1, n + 1)
    ])
    db.session.execute(insert(UserRole), [dict(user_id=start + i, role=Role.VOLUNTEER, granted_at=now)
                                          for i in range(1, n + 1)])
    db.session.execute(insert(Certificate), [
        dict(user_id=start + i, course_id=course.id, issuer="x", number=f"BULK-{start + i}",
             verification_code=f"bulk-code-{start + i}", issued_on=today - dt.timedelta(days=i % 800),
             expires_on=today - dt.timedelta(days=i % 800) + dt.timedelta(days=730), is_external=False, created_at=now)
        for i in range(1, n + 1) if i % 3
    ])
    db.session.commit()


def _count_queries(client, url):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), response


@pytest.mark.parametrize("url", ["/certificates/compliance", "/certificates/compliance?status=gaps&role=volunteer",
                                 "/certificates/organisations"])
def test_compliance_pages_use_the_same_number_of_queries_for_10_and_1000_people(app, client, url):
    course = make_course("Bystander intervention", validity_months=24)
    org = make_org("Ambassadors", OrganisationKind.AMBASSADORS)
    require(course, kind=OrganisationKind.AMBASSADORS)
    coordinator = make_user(Role.COORDINATOR)
    sign_in_as(client, coordinator)
    _bulk_people(10, org, course)
    small, _ = _count_queries(client, url)
    _bulk_people(990, org, course)
    large, response = _count_queries(client, url)
    assert small == large
    if url == "/certificates/compliance":
        assert "1,000 people with required courses" in response.get_data(as_text=True)
