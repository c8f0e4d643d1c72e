"""The privacy notice: it says the real retention settings and who to write to; a new version is
read and accepted at the next request, before any other page, once, kept and audited; signing up
records the current version."""
from sqlalchemy import select

from tests.factories import make_org, make_user
from volunteer_hub.models import AuditEntry, NoticeAcceptance, User, db


def test_the_notice_says_the_settings_it_runs_with(app, page):
    app.config.update(VH_RETENTION_YEARS=5, VH_OUTBOX_BODY_DAYS=45, VH_AUDIT_YEARS=7, VH_PRIVACY_NOTICE_VERSION="2027-01",
                      VH_PRIVACY_NOTICE_DATE="2027-01-04", VH_PRIVACY_CONTACT="dpo@town.example")
    make_org("Street Pastors of Town")
    notice = page.get("/privacy")
    text = notice.text
    assert "Version 2027-01, in effect from 4 January 2027" in text
    assert "for 5 years, we email you 30 days before we erase it" in text
    assert "emails we send you: 45 days" in text and "The audit trail: 7 years" in text
    assert "Street Pastors of Town" in text
    assert notice.links()["dpo@town.example"] == "mailto:dpo@town.example"
    assert "Information Commissioner" in text


def test_a_new_version_is_accepted_before_any_other_page_once(app, page):
    person = make_user(name="Nora Notice")
    page.sign_in(person)
    app.config["VH_PRIVACY_NOTICE_VERSION"] = "2027-01"

    sent = page.get("/training/sessions?course=1", status=302)
    assert sent.location == "/privacy/accept?next=/training/sessions?course%3D1"
    assert page.get("/profile", status=302).location.startswith("/privacy/accept")
    assert page.get("/privacy").h1 == "Privacy notice"  # the notice itself stays readable
    asked = page.get("/privacy/accept?next=/training/sessions?course%3D1")
    assert asked.h1 == "Our privacy notice has changed" and "How long we keep it" in asked.text

    done = page.post("/privacy/accept?next=/training/sessions?course%3D1", status=302)
    assert done.location == "/training/sessions?course=1"
    assert page.get("/training/sessions").h1  # free to go on
    page.post("/privacy/accept", status=302)  # a second tab, or a double submit

    db.session.expire_all()
    assert db.session.get(User, person.id).privacy_notice_version == "2027-01"
    rows = db.session.scalars(select(NoticeAcceptance).where(NoticeAcceptance.user_id == person.id)).all()
    assert [r.version for r in rows] == ["2027-01"]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.notice_accepted")).all()
    assert [(e.subject_id, e.actor_id, e.changes["version"]) for e in entries] == [(person.id, person.id, "2027-01")]


def test_an_outside_next_address_is_not_followed(app, page):
    page.sign_in(make_user())
    app.config["VH_PRIVACY_NOTICE_VERSION"] = "2027-01"
    assert page.post("/privacy/accept?next=https://evil.example/", status=302).location == "/"


def test_people_who_accepted_the_current_version_are_not_asked(page):
    page.sign_in(make_user())
    assert page.get("/privacy/accept", status=302).location == "/"
    assert page.get("/training/sessions").h1


def test_signing_up_records_the_current_version(app, client):
    app.config["VH_PRIVACY_NOTICE_VERSION"] = "2027-01"
    client.post("/auth/sign-up", data={"name": "Sam Signup", "email": "sam@example.org",
                                       "password": "a good long password", "agree_privacy": "y"})
    person = db.session.scalar(select(User).where(User.email == "sam@example.org"))
    assert person.privacy_notice_version == "2027-01" and person.privacy_accepted_at is not None
    assert db.session.scalar(select(NoticeAcceptance.version).where(NoticeAcceptance.user_id == person.id)) == "2027-01"
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.subject_id == person.id)) \
        == "privacy.notice_accepted"
