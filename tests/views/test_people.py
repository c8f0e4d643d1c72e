import csv
import io

from sqlalchemy import func, select

from tests.factories import make_org, make_user, sign_in_as
from volunteer_hub.jobs import send_outbox_job
from volunteer_hub.models import Organisation, OrganisationKind, Role, User, db


def test_person_edits_their_own_profile(client, volunteer):
    org = make_org("Street Pastors", OrganisationKind.STREET_PASTORS)
    sign_in_as(client, volunteer)
    r = client.post("/profile", data={"name": "Vera V", "preferred_name": "Vee", "phone": "07700 900123",
                                      "emergency_contact_name": "Sam", "emergency_contact_phone": "07700 900456",
                                      "organisation_id": str(org.id)})
    assert r.status_code == 302
    user = db.session.get(User, volunteer.id)
    assert (user.preferred_name, user.phone, user.organisation_id) == ("Vee", "07700 900123", org.id)


def test_profile_rejects_bad_values_next_to_the_field(client, volunteer):
    sign_in_as(client, volunteer)
    page = client.post("/profile", data={"name": "", "phone": "call me maybe", "organisation_id": "99999"}).get_data(as_text=True)
    assert "Enter your name." in page and "Enter a phone number" in page
    assert 'id="organisation_id-error"' in page
    assert db.session.get(User, volunteer.id).name == "Vera Volunteer"


def test_own_profile_does_not_show_dbs_dates(client, volunteer):
    sign_in_as(client, volunteer)
    assert "DBS" not in client.get("/profile").get_data(as_text=True)


def test_coordinator_records_dbs_dates_and_checks_their_order(client, coordinator, volunteer):
    sign_in_as(client, coordinator)
    r = client.post(f"/people/{volunteer.id}/dbs", data={"dbs_checked_on": "2026-01-10", "dbs_renew_by": "2025-01-10"})
    assert r.status_code == 400 and "must be after" in r.get_data(as_text=True)
    r = client.post(f"/people/{volunteer.id}/dbs", data={"dbs_checked_on": "2026-01-10", "dbs_renew_by": "2029-01-10"})
    assert r.status_code == 302
    assert str(db.session.get(User, volunteer.id).dbs_renew_by) == "2029-01-10"


def test_directory_searches_filters_sorts_and_paginates(client, coordinator, app):
    app.config["VH_PAGE_SIZE"] = 2
    pastors = make_org("Street Pastors", OrganisationKind.STREET_PASTORS)
    make_user(name="Zed Pastor", organisation=pastors)
    make_user(name="Amy Pastor", organisation=pastors, confirmed=False)
    make_user(name="Bob Pastor", organisation=pastors, active=False)
    make_user(name="Other Person")
    sign_in_as(client, coordinator)
    page = client.get(f"/people?organisation={pastors.id}").get_data(as_text=True)
    assert "3 people, page 1 of 2" in page
    assert page.index("Amy Pastor") < page.index("Bob Pastor")
    assert "Zed Pastor" not in page
    assert "Zed Pastor" in client.get(f"/people?organisation={pastors.id}&page=2").get_data(as_text=True)
    page = client.get("/people?q=pastor&confirmed=no").get_data(as_text=True)
    assert "Amy Pastor" in page and "Zed Pastor" not in page
    page = client.get("/people?active=no").get_data(as_text=True)
    assert "Bob Pastor" in page and "Amy Pastor" not in page
    page = client.get("/people?role=coordinator").get_data(as_text=True)
    assert "Cora Coordinator" in page and "Amy Pastor" not in page


def test_a_directory_row_shows_the_person_as_they_are(client, coordinator):
    pastors = make_org("Street <Pastors>", OrganisationKind.STREET_PASTORS)
    both = make_user(Role.VOLUNTEER, Role.TRAINER, name="Amy <b>Pastor</b>", organisation=pastors, confirmed=False)
    both.preferred_name = "Ames & co"
    db.session.commit()
    alone = make_user(name="Bob Pastor", active=False)
    sign_in_as(client, coordinator)
    page = client.get("/people?q=pastor").get_data(as_text=True)
    row = page[page.index(f'<a href="/people/{both.id}">'):]
    row = row[:row.index("</tr>")]
    assert "Amy &lt;b&gt;Pastor&lt;/b&gt;</a>" in row and "(Ames &amp; co)" in row
    assert f">{both.email}<" in row and ">Street &lt;Pastors&gt;<" in row
    assert ">Trainer, Volunteer<" in row
    assert "Email not confirmed" in row and "Deactivated" not in row and "Active" not in row
    row = page[page.index(f'<a href="/people/{alone.id}">'):]
    row = row[:row.index("</tr>")]
    assert '<td data-label="Organisation">—</td>' in row and ">Volunteer<" in row
    assert "Deactivated" in row and "Email not confirmed" not in row


def test_a_long_directory_says_more_than_and_still_pages_to_the_end(client, coordinator, app):
    # The count stops at the end of the stretch of VH_LIST_COUNT_CAP rows the page is in, so the
    # first page costs the same at any size.
    app.config.update(VH_PAGE_SIZE=2, VH_LIST_COUNT_CAP=3)
    for n in range(9):
        make_user(name=f"Pat Walker {n}")
    sign_in_as(client, coordinator)
    first = client.get("/people?q=walker").get_data(as_text=True)
    assert "More than 3 people, page 1<" in first
    assert 'href="/people?q=walker&amp;page=2">Next<' in first
    third = client.get("/people?q=walker&page=3").get_data(as_text=True)
    assert "Pat Walker 4" in third and "More than 6 people, page 3<" in third
    last = client.get("/people?q=walker&page=5").get_data(as_text=True)
    # Near the end the count is exact again, with the real number of pages, and no Next.
    assert "9 people, page 5 of 5" in last and "Pat Walker 8" in last
    assert '<span class="page-link">Next</span>' in last


def test_a_page_past_the_end_says_so_and_links_to_the_first(client, coordinator, app):
    app.config.update(VH_PAGE_SIZE=2)
    for n in range(3):
        make_user(name=f"Pat Walker {n}")
    sign_in_as(client, coordinator)
    html = client.get("/people?q=walker&page=7").get_data(as_text=True)
    assert "There is no page 7 of this list." in html and "3 people<" in html  # not "page 7 of 2"
    assert 'href="/people?q=walker&amp;page=1">Go to the first page<' in html
    assert "No one matches those filters" not in html  # they do match, on pages 1 and 2
    assert "No one matches those filters" in client.get("/people?q=nobody-at-all").get_data(as_text=True)


def test_directory_ignores_nonsense_filters(client, coordinator):
    sign_in_as(client, coordinator)
    assert client.get("/people?organisation=abc&role=king&page=-3&active=maybe").status_code == 200


def test_directory_csv_has_the_same_filters(client, coordinator):
    make_user(name="Amy Adams", email="amy@example.org")
    make_user(name="=HYPERLINK(\"x\")", email="formula@example.org")
    sign_in_as(client, coordinator)
    r = client.get("/people/export.csv?q=amy")
    assert r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][:3] == ["name", "preferred_name", "email"]
    assert [row[0] for row in rows[1:]] == ["Amy Adams"]
    rows = list(csv.reader(io.StringIO(client.get("/people/export.csv?q=formula").get_data(as_text=True))))
    assert rows[1][0].startswith("'=")  # a spreadsheet will not run it


def test_deactivating_someone_signs_them_out_and_stops_sign_in(app, coordinator, volunteer):
    staff, person = app.test_client(), app.test_client()
    sign_in_as(staff, coordinator)
    sign_in_as(person, volunteer)
    assert staff.post(f"/people/{volunteer.id}/deactivate").status_code == 302
    assert person.get("/home").status_code == 302
    assert staff.post(f"/people/{volunteer.id}/reactivate").status_code == 302
    assert db.session.get(User, volunteer.id).is_active


def test_admin_grants_and_removes_roles(client, admin, volunteer):
    sign_in_as(client, admin)
    client.post(f"/people/{volunteer.id}/roles", data={"roles": ["volunteer", "trainer"]})
    assert db.session.get(User, volunteer.id).roles == {Role.VOLUNTEER, Role.TRAINER}
    client.post(f"/people/{volunteer.id}/roles", data={"roles": ["trainer"]})
    assert db.session.get(User, volunteer.id).roles == {Role.TRAINER}


def test_last_admin_cannot_remove_their_own_admin_role(client, admin):
    sign_in_as(client, admin)
    r = client.post(f"/people/{admin.id}/roles", data={"roles": ["volunteer"]}, follow_redirects=True)
    assert "last admin" in r.get_data(as_text=True)
    assert Role.ADMIN in db.session.get(User, admin.id).roles
    other = make_user(Role.ADMIN)
    client.post(f"/people/{admin.id}/roles", data={"roles": ["volunteer"]})
    assert Role.ADMIN not in db.session.get(User, admin.id).roles
    assert other.id


def test_coordinator_cannot_change_roles(client, coordinator, volunteer):
    sign_in_as(client, coordinator)
    assert client.post(f"/people/{volunteer.id}/roles", data={"roles": ["admin"]}).status_code == 403
    assert Role.ADMIN not in db.session.get(User, volunteer.id).roles


def test_organisations_are_created_renamed_and_retired(client, coordinator):
    sign_in_as(client, coordinator)
    assert client.post("/organisations", data={"name": "The Red Lion", "kind": "licensed_venue"}).status_code == 302
    dup = client.post("/organisations", data={"name": "the red lion", "kind": "police"})
    assert "already an organisation called The Red Lion" in dup.get_data(as_text=True)
    org = db.session.scalar(select(Organisation))
    assert org.kind is OrganisationKind.LICENSED_VENUE and org.kind.is_venue
    client.post(f"/organisations/{org.id}", data={"name": "Red Lion", "kind": "licensed_venue"})
    client.post(f"/organisations/{org.id}/retire")
    db.session.refresh(org)
    assert org.name == "Red Lion" and org.is_retired
    sign_in_as(client, coordinator)
    assert ">Red Lion</option>" not in client.get("/profile").get_data(as_text=True)
    assert client.post("/organisations", data={"name": "", "kind": "nonsense"}).status_code == 400


IMPORT_GOOD = "name,email,phone,organisation,roles\nAnn Able,ann@example.org,0770,Street Pastors,volunteer\nBen Bold,BEN@example.org,,,volunteer;trainer\n"


def test_import_checks_every_row_and_imports_nothing_until_the_file_is_good(client, coordinator):
    make_org("Street Pastors", OrganisationKind.STREET_PASTORS)
    bad = "name,email,roles\nAnn Able,ann@example.org,volunteer\n,not-an-email,\nCal,ann@example.org,wizard\n"
    sign_in_as(client, coordinator)
    r = client.post("/people/import", data={"file": (io.BytesIO(bad.encode()), "people.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Nothing was imported" in page
    assert "<td>3</td>" in page and "name is empty" in page and "not an email address" in page
    assert "<td>4</td>" in page and "also on line 2" in page and "&#39;wizard&#39; is not a role" in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # only the coordinator


def test_import_creates_people_invites_them_and_is_idempotent(client, coordinator, smtp_server):
    make_org("Street Pastors", OrganisationKind.STREET_PASTORS)
    sign_in_as(client, coordinator)
    for _ in range(2):
        r = client.post("/people/import", data={"file": (io.BytesIO(IMPORT_GOOD.encode()), "people.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
        assert r.status_code == 200
    assert "Imported 0 people; 2 already had an account" in r.get_data(as_text=True)
    ben = db.session.scalar(select(User).where(User.email == "ben@example.org"))
    assert ben.roles == {Role.VOLUNTEER, Role.TRAINER} and ben.password_hash is None
    send_outbox_job()
    [invite] = smtp_server.to("ben@example.org")
    assert "/auth/password/set/" in smtp_server.text(invite)


def test_person_page_links_to_their_certificates_and_kit_bag(client, coordinator, volunteer):
    sign_in_as(client, coordinator)
    page = client.get(f"/people/{volunteer.id}").get_data(as_text=True)
    assert f'href="/certificates/people/{volunteer.id}"' in page
    assert f'href="/equipment/kit-bags/{volunteer.id}"' in page
    assert client.get(f"/certificates/people/{volunteer.id}").status_code == 200
    r = client.get(f"/equipment/kit-bags/{volunteer.id}", follow_redirects=True)
    assert "has not been issued any stock yet" in r.get_data(as_text=True)
