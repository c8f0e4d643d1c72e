"""The privacy journeys: a volunteer accepts a changed notice at sign-in, then downloads their
data from Your details; an admin erases a volunteer who was trained, the register then shows
"Removed person #N" and the public certificate check says the certificate is no longer
available, without saying whose it was."""
from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from tests.factories import PASSWORD
from volunteer_hub.demo import DEMO_PASSWORD
from volunteer_hub.models import User, db

pytestmark = pytest.mark.e2e


def trained(scene, person, course_title: str) -> tuple[int, str]:
    """`person` was present at a finalised session of a new course: (session id, certificate number)."""
    from tests.factories_certificates import issue, make_course

    with scene.db():
        certificate = issue(db.session.get(User, person.id), make_course(course_title), dt.date.today() - dt.timedelta(days=7))
        return certificate.session_id, certificate.number


def test_a_volunteer_accepts_the_new_notice_then_downloads_their_data(page, scene):
    person = scene.person("Dora Download")
    trained(scene, person, "Data download drill")
    with scene.db():
        db.session.get(User, person.id).privacy_notice_version = "2020-01"  # accepted an older notice
        db.session.commit()

    j.sign_in(page, person.email, PASSWORD)
    j.heading(page, "Our privacy notice has changed")
    j.look(page, "notice-accept")
    j.press(page, j.button(page, "I have read the privacy notice and accept it"))
    j.see(page, "You have accepted the privacy notice.")

    j.press(page, j.link(page, "Your details"))
    j.heading(page, "Your details")
    with page.expect_download() as info:
        j.press(page, j.button(page, "Download my data (zip)"))
    download = info.value
    assert download.suggested_filename.startswith(f"my-data-{person.id}-")
    with zipfile.ZipFile(download.path()) as zipped:
        names = set(zipped.namelist())
        profile = json.loads(zipped.read("profile.json"))
        certificates = zipped.read("certificates.csv").decode("utf-8-sig")
    assert {"README.txt", "profile.json", "bookings.csv", "certificates.json", "audit_trail.csv"} <= names
    assert profile["name"] == person.name and profile["email"] == person.email
    assert [a["version"] for a in profile["privacy_notice_acceptances"]][-1] != "2020-01"
    assert "Data download drill" in certificates


def test_an_admin_erases_a_volunteer_and_the_register_and_certificate_check_show_it(page, scene):
    person = scene.person("Erin Erasmus")
    session_id, number = trained(scene, person, "Welfare and vulnerability")

    j.sign_in(page, "admin@example.org", DEMO_PASSWORD)
    j.find_person(page, person.name)
    j.press(page, j.link(page, f"Erase {person.name} (UK GDPR)"))
    j.heading(page, f"Erase {person.name}")
    j.look(page, "erase")
    j.fill(page, "Why is this person being erased?", "Asked to be forgotten, by email")
    j.fill(page, "Type their name to confirm", "Erin")
    j.press(page, j.button(page, "Erase this person"))
    j.see(page, "Type the person's name, Erin Erasmus, to confirm.")  # refused, next to the field
    j.look(page, "erase-refused")
    j.fill(page, "Type their name to confirm", person.name)
    j.press(page, j.button(page, "Erase this person"))
    removed = f"Removed person #{person.id}"
    j.see(page, f"Erased. They now appear as {removed}.")
    j.heading(page, removed)
    j.look(page, "person-erased")

    page.goto(f"/training/sessions/{session_id}/register")
    expect(page.locator("main")).to_contain_text(removed)
    expect(page.locator("main")).not_to_contain_text(person.name)
    j.sign_out(page)

    result = j.verify_certificate(page, number)
    expect(result).to_contain_text("no longer available")
    expect(page.locator("main")).not_to_contain_text("Erin")
