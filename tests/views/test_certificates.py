"""Certificates through the browser's eyes: my certificates, PDF, verification, compliance, forms."""
import csv
import datetime as dt
import io

import pypdf
import pytest

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_certificates import issue, make_course, require
from volunteer_hub import clock
from volunteer_hub.models import Certificate, OrganisationKind, Role, db
from volunteer_hub.queries import certificates as certificate_queries
from volunteer_hub.services import certificates as service


@pytest.fixture()
def today(app):
    return clock.today()


def text(response):
    return response.get_data(as_text=True)


# --- my certificates ---------------------------------------------------------------------------------
def test_my_certificates_shows_current_ones_their_status_and_the_history(client, today):
    person = make_user(name="Vera Volunteer")
    bystander = make_course("Bystander intervention", validity_months=24)
    angela = make_course("Ask for Angela / WAVE", validity_months=12)
    issue(person, bystander, today - dt.timedelta(days=800))  # expired, then renewed:
    renewed = issue(person, bystander, today - dt.timedelta(days=5))
    issue(person, angela, today - dt.timedelta(days=340))  # expiring soon
    issue(make_user(), angela, today)  # someone else's
    sign_in_as(client, person)
    page = text(client.get("/certificates"))
    assert "My certificates" in page
    assert page.count("Download PDF") == 2
    assert "Expiring soon" in page and "Valid" in page and "Expired" in page  # the old one in the history
    assert renewed.number in page
    assert page.count("<tr>") == 3 + 1  # history rows + header


def test_a_person_without_certificates_is_told_how_they_come(client):
    sign_in_as(client, make_user())
    assert "You have no certificates yet" in text(client.get("/certificates"))


def test_the_dashboard_shows_the_certificates_panel(client, today):
    person = make_user()
    issue(person, make_course("Trauma-informed practice", validity_months=None), today)
    sign_in_as(client, person)
    page = text(client.get("/home"))
    assert "Your certificates" in page and "Trauma-informed practice" in page
    assert "expire in the next 60 days" not in page
    coordinator = make_user(Role.COORDINATOR)
    sign_in_as(client, coordinator)
    assert "0</strong> certificates expire in the next 60 days" in text(client.get("/home"))


# --- PDF -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["محمد علي", "Łukasz Nowak", "Zoë Martin"])
def test_the_pdf_carries_the_name_in_any_script(client, today, name):
    person = make_user(name=name)
    certificate = issue(person, make_course("Bystander intervention", validity_months=24), dt.date(2026, 3, 31))
    sign_in_as(client, person)
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    assert round(float(page.mediabox.width) / 72 * 25.4) == 297  # A4
    extracted = page.extract_text()
    for word in name.split():  # right-to-left names come out word by word in visual order
        assert word in extracted
    assert "Bystander intervention" in extracted
    assert certificate.number in extracted
    assert "31 March 2028" in extracted
    # The QR code is also a link to the verification page.
    links = [a.get_object().get("/A", {}).get("/URI") for a in page.get("/Annots", [])]
    assert f"http://localhost/verify/{certificate.verification_code}" in links


def test_only_the_holder_and_staff_get_the_pdf(client, today):
    certificate = issue(make_user(), make_course(), today)
    sign_in_as(client, make_user())
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404  # not even confirmed to exist
    sign_in_as(client, make_user(Role.COORDINATOR))
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 200
    assert client.get("/certificates/99999.pdf").status_code == 404


def test_no_pdf_for_a_revoked_certificate(client, today):
    person = make_user()
    certificate = issue(person, make_course(), today)
    service.revoke_certificate(certificate, "Issued in error", by=person)
    db.session.commit()
    sign_in_as(client, person)
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404


# --- public verification ---------------------------------------------------------------------------------
def test_verifying_a_valid_certificate_shows_only_what_is_needed(client, today):
    person = make_user(name="Zoë Martin", email="zoe@example.org")
    certificate = issue(person, make_course("Ask for Angela / WAVE", validity_months=12), today)
    response = client.get(f"/verify/{certificate.verification_code}")
    page = text(response)
    assert response.status_code == 200
    assert "This certificate is valid" in page
    assert "Zoë Martin" in page and "Ask for Angela / WAVE" in page
    assert "zoe@example.org" not in page
    assert response.headers["Cache-Control"] == "no-store"


def test_verifying_an_expired_or_revoked_certificate_says_so(client, today):
    expired = issue(make_user(), make_course(validity_months=12), today - dt.timedelta(days=400))
    revoked = issue(make_user(), make_course(), today)
    service.revoke_certificate(revoked, "Secret internal reason", by=make_user())
    db.session.commit()
    assert "This certificate has expired" in text(client.get(f"/verify/{expired.verification_code}"))
    page = text(client.get(f"/verify/{revoked.verification_code}"))
    assert "has been revoked" in page and "Secret internal reason" not in page


def test_an_unknown_code_says_so_plainly(client):
    response = client.get("/verify/not-a-real-code-at-all")
    assert response.status_code == 404
    assert "No certificate found" in text(response)
    response = client.get("/verify?q=VH-2026-999999")
    assert response.status_code == 404 and "No certificate found" in text(response)


def test_entering_the_number_leads_to_the_certificate(client, today):
    certificate = issue(make_user(), make_course(), today)
    response = client.get(f"/verify?q={certificate.number.lower()}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{certificate.verification_code}")
    assert "Check a certificate" in text(client.get("/verify"))


def test_verification_is_rate_limited(app, client):
    app.config["VH_VERIFY_LIMIT"] = "3 per minute"
    codes = [client.get(f"/verify/guess-{i}").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_lookups_by_number_have_their_own_tighter_limit(app, client):
    app.config["VH_VERIFY_NUMBER_LIMIT"] = "2 per minute"
    assert [client.get("/verify").status_code for _ in range(3)] == [200, 200, 200]
    assert [client.get(f"/verify?q=VH-2026-00000{i}").status_code for i in range(3)] == [404, 404, 429]


def test_verification_limit_is_shared_by_workers_through_redis(_schema, smtp_server):
    """Two app instances (two gunicorn workers) on one Redis count one address's guesses together."""
    import uuid

    import redis

    from volunteer_hub import create_app

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (CI starts it; locally: redis-server --daemonize yes)")
    address = "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])  # a fresh address: Redis keeps counts between runs
    codes = []
    for _worker in range(2):
        other = create_app("testing", SQLALCHEMY_DATABASE_URI=_schema, RATELIMIT_STORAGE_URI=url,
                           VH_VERIFY_LIMIT="3 per minute")
        with other.app_context():
            client = other.test_client()
            codes += [client.get(f"/verify/guess-{i}", environ_base={"REMOTE_ADDR": address}).status_code
                      for i in range(2)]
            db.session.remove()
            db.engine.dispose()
    assert codes == [404, 404, 404, 429]


# --- staff pages -----------------------------------------------------------------------------------
@pytest.fixture()
def compliance(app, today):
    course = make_course("Bystander intervention", validity_months=24)
    require(course, kind=OrganisationKind.AMBASSADORS)
    org = make_org("Town Centre Ambassadors", OrganisationKind.AMBASSADORS)
    holder = make_user(name="Amy =Holder", organisation=org)
    make_user(name="Dan Missing", organisation=org)
    issue(holder, course, today - dt.timedelta(days=10))
    return dict(course=course, org=org, holder=holder)


def test_the_compliance_matrix_and_its_csv_show_the_same(client, compliance):
    sign_in_as(client, make_user(Role.COORDINATOR))
    page = text(client.get(f"/certificates/compliance?organisation={compliance['org'].id}"))
    assert "Amy =Holder" in page and "Dan Missing" in page and "Missing" in page
    response = client.get(f"/certificates/compliance.csv?organisation={compliance['org'].id}")
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0] == ["Name", "Organisation", "Roles", "Bystander intervention"]
    assert rows[1][0] == "Amy =Holder" and rows[1][3].startswith("Expires ")
    assert rows[2] == ["Dan Missing", "Town Centre Ambassadors", "Volunteer", "Missing"]
    gaps = list(csv.reader(io.StringIO(text(client.get("/certificates/compliance.csv?status=gaps")))))
    assert [r[0] for r in gaps[1:]] == ["Dan Missing"]
    assert "Dan Missing" in text(client.get("/certificates/compliance?status=gaps&organisation=banana&page=x"))


def test_a_formula_in_a_name_is_made_harmless_in_the_csv(client, compliance):
    compliance["holder"].name = "=HYPERLINK(1)"
    db.session.commit()
    sign_in_as(client, make_user(Role.COORDINATOR))
    assert "'=HYPERLINK(1)" in text(client.get("/certificates/compliance.csv"))


def test_the_organisation_overview_and_venue_summary(client, compliance):
    sign_in_as(client, make_user(Role.COORDINATOR))
    page = text(client.get("/certificates/organisations"))
    assert "Town Centre Ambassadors" in page and "50%" in page and "(1 of 2)" in page
    summary = text(client.get(f"/certificates/organisations/{compliance['org'].id}/summary"))
    assert "Staff training: Town Centre Ambassadors" in summary and "Dan Missing" in summary
    assert client.get("/certificates/organisations/99999/summary").status_code == 404


def test_the_expiring_list(client, compliance, today):
    soon = issue(make_user(name="Sam Soon"), make_course(validity_months=12), today - dt.timedelta(days=350))
    sign_in_as(client, make_user(Role.COORDINATOR))
    page = text(client.get("/certificates/expiring?days=30"))
    assert "Sam Soon" in page and "Amy =Holder" not in page
    assert soon.expires_on.strftime("%-d %b %Y") in page
    assert client.get("/certificates/expiring?days=-5").status_code == 200



def _names_on(page_html: str) -> list[str]:
    """The people's names in the matrix, in order."""
    import re
    return re.findall(r'<th scope="row"><a href="/certificates/people/\d+"><bdi>([^<]+)</bdi>', page_html)


def test_the_matrix_pages_through_everyone_without_counting_them_all(app, client, monkeypatch):
    """Past the cap the page says "more than", yet Next and the page links still reach everyone,
    keeping the filters; the CSV still has everyone."""
    app.config["VH_LIST_COUNT_CAP"] = 4
    app.config["VH_PAGE_SIZE"] = 2
    course = make_course("Bystander intervention")
    require(course, kind=OrganisationKind.AMBASSADORS)
    org = make_org("Town Centre Ambassadors", OrganisationKind.AMBASSADORS)
    names = [f"Person {letter}" for letter in "ABCDEFGHIJK"]  # 11 people: 6 pages of 2
    for name in reversed(names):
        make_user(name=name, organisation=org)
    make_user(name="Not Required", organisation=make_org("Elsewhere", OrganisationKind.POLICE))
    sign_in_as(client, make_user(Role.COORDINATOR, name="Zed Coordinator"))

    first = text(client.get(f"/certificates/compliance?organisation={org.id}"))
    assert "More than 4 people with required courses, page 1." in first
    assert f'href="/certificates/compliance?organisation={org.id}&amp;page=2">Next<' in first
    assert f'href="/certificates/compliance?organisation={org.id}&amp;page=3">3<' in first

    seen, number = [], 1
    while True:
        page = text(client.get(f"/certificates/compliance?organisation={org.id}&page={number}"))
        seen += _names_on(page)
        if f"page={number + 1}\">Next<" not in page:
            break
        number += 1
    assert seen == names and number == 6
    assert "11 people with required courses, page 6 of 6." in page  # the count is exact near the end
    assert "More than 8 people with required courses, page 3." in text(
        client.get(f"/certificates/compliance?organisation={org.id}&page=3"))

    rows = list(csv.reader(io.StringIO(text(client.get(f"/certificates/compliance.csv?organisation={org.id}")))))
    assert [r[0] for r in rows[1:]] == names


def test_a_short_matrix_gives_the_exact_count_and_no_page_links(client, compliance):
    sign_in_as(client, make_user(Role.COORDINATOR))
    page = text(client.get("/certificates/compliance"))
    assert "2 people with required courses. The CSV" in page
    assert 'aria-label="Matrix pages"' not in page


def test_a_matrix_page_past_the_end_says_so(client, compliance):
    sign_in_as(client, make_user(Role.COORDINATOR))
    page = text(client.get("/certificates/compliance?page=4"))
    assert "There is no page 4 of this list." in page and ">Go to the first page<" in page
    assert "No one matches those filters" not in page


@pytest.fixture()
def expiring(app, today):
    """Certificates in and around the next 30 days; the current ones of active people are Ann's and Cal's."""
    course = make_course("Bystander intervention", validity_months=12)
    soon = today - dt.timedelta(days=350)  # issued then: expires in about 15 days
    issue(make_user(name="Ann Soon"), course, soon)
    ben = make_user(name="Ben Renewed")
    issue(ben, course, soon)
    issue(ben, course, today - dt.timedelta(days=3))  # renewed: the old one is superseded
    cal = make_user(name="Cal Revoked Renewal")
    issue(cal, course, soon)
    issue(cal, course, today - dt.timedelta(days=3), revoked_at=clock.now(), revocation_reason="Mistake")
    issue(make_user(name="Dee Revoked"), course, soon, revoked_at=clock.now(), revocation_reason="Mistake")
    issue(make_user(name="Eve Withdrawn"), course, soon, withdrawn_at=clock.now())
    issue(make_user(name="Fay Inactive", active=False), course, soon)
    issue(make_user(name="Gus Later"), course, today - dt.timedelta(days=300))  # expires in about 65 days
    return ["Ann Soon", "Cal Revoked Renewal"]


def test_the_home_count_of_expiring_certificates_matches_the_list(client, expiring):
    sign_in_as(client, make_user(Role.COORDINATOR))
    listed = text(client.get("/certificates/expiring?days=30"))
    names = ["Ann Soon", "Ben Renewed", "Cal Revoked Renewal", "Dee Revoked", "Eve Withdrawn", "Fay Inactive", "Gus Later"]
    assert [n for n in names if n in listed] == expiring
    assert "2 current certificates expire in the next 30 days" in listed
    assert "<strong>2</strong> certificates expire in the next 60 days" in text(client.get("/home"))


def test_past_the_cap_the_home_page_says_more_than(client, expiring, monkeypatch):
    monkeypatch.setattr(certificate_queries, "PANEL_COUNT_CAP", 1)
    sign_in_as(client, make_user(Role.COORDINATOR))
    assert "More than <strong>1</strong> certificate expires in the next 60 days" in text(client.get("/home"))
    monkeypatch.setattr(certificate_queries, "PANEL_COUNT_CAP", 2)
    assert "<strong>2</strong> certificates expire in the next 60 days" in text(client.get("/home"))

def test_coordinators_set_requirements(client, compliance):
    sign_in_as(client, make_user(Role.COORDINATOR))
    course_id = compliance["course"].id
    response = client.post("/certificates/requirements", data={"requirement": [
        f"kind:licensed_venue:{course_id}", f"role:volunteer:{course_id}"]})
    assert response.status_code == 302
    page = text(client.get("/certificates/requirements"))
    assert "Requirements saved (2 added, 1 removed)" in page
    assert page.count("checked") == 2
    response = client.post("/certificates/requirements", data={"requirement": ["kind:casino:1", "junk"]})
    assert "Choose requirements from the table" in text(response)


def test_coordinators_record_an_external_certificate(client, compliance, today):
    person = make_user(name="Priya Shah")
    sign_in_as(client, make_user(Role.COORDINATOR))
    response = client.post(f"/certificates/people/{person.id}/external", data={
        "course_id": "", "title": "Emergency first aid at work", "issuer": "St John Ambulance",
        "issued_on": "2026-02-01", "expires_on": "2029-02-01", "evidence_note": "Original seen"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "recorded for Priya Shah" in page and "Emergency first aid at work" in page and "St John Ambulance" in page
    response = client.post(f"/certificates/people/{person.id}/external", data={
        "course_id": "", "title": "", "issuer": "X", "issued_on": "2026-02-01"})
    assert response.status_code == 400
    assert "Choose a course, or type what the certificate is for." in text(response)


def test_coordinators_revoke_with_a_reason(client, compliance):
    certificate = db.session.scalars(db.select(Certificate)).one()
    sign_in_as(client, make_user(Role.COORDINATOR))
    response = client.post(f"/certificates/{certificate.id}/revoke", data={"reason": ""})
    assert response.status_code == 400 and "Give the reason for revoking it." in text(response)
    response = client.post(f"/certificates/{certificate.id}/revoke", data={"reason": "Marked present by mistake"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert f"Certificate {certificate.number} is revoked." in page and "Marked present by mistake" in page
    # The holder sees it in their history too.
    sign_in_as(client, compliance["holder"])
    assert "Marked present by mistake" in text(client.get("/certificates"))


def test_staff_see_the_nav_items(client):
    sign_in_as(client, make_user(Role.COORDINATOR))
    page = text(client.get("/home"))
    assert "My certificates" in page and ">Compliance<" in page
    sign_in_as(client, make_user())
    page = text(client.get("/home"))
    assert "My certificates" in page and ">Compliance<" not in page
