"""Journey 1, first part: a new volunteer signs up, confirms by email and signs in; a coordinator
finds a volunteer and downloads the directory. Each also with the keyboard alone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from volunteer_hub.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "lantern harbour violet 42"


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_a_new_volunteer_signs_up_confirms_the_email_and_signs_in(page, live_server, keyboard):
    email = f"new.volunteer.{'kb' if keyboard else 'mouse'}@example.org"
    j.sign_up(page, "Nia Newcomer", email, NEW_PASSWORD, keyboard=keyboard)
    j.confirm_email(page, live_server, email)
    j.sign_in(page, email, NEW_PASSWORD, keyboard=keyboard)
    j.heading(page, "Hello, Nia Newcomer")
    expect(page.get_by_text("Please confirm your email address")).to_have_count(0)
    j.look(page, "home-volunteer")
    j.press(page, j.link(page, "Your details"), keyboard=keyboard)
    j.heading(page, "Your details")
    j.look(page, "profile")
    j.sign_out(page, keyboard=keyboard)


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_a_coordinator_finds_a_volunteer_and_downloads_the_directory(page, keyboard):
    j.sign_in(page, "coordinator@example.org", DEMO_PASSWORD, keyboard=keyboard)
    j.look(page, "home-coordinator")
    j.find_person(page, "Amara Okafor", keyboard=keyboard)
    page.go_back()
    rows = j.download_directory_csv(page, keyboard=keyboard)
    assert [r["name"] for r in rows] == ["Amara Okafor"]
    assert rows[0]["organisation"] == "Street Pastors"


def test_a_coordinator_sees_the_people_pages_on_a_phone(phone_page):
    page = phone_page
    j.sign_in(page, "coordinator@example.org", DEMO_PASSWORD)
    j.open_nav(page, "Volunteers")
    j.press(page, j.link(page, "Organisations"))  # organisations are reached from the directory
    j.heading(page, "Partner organisations")
    j.look(page, "organisations")
    j.open_nav(page, "Home")
    j.press(page, j.link(page, "Import people from a spreadsheet"))
    j.heading(page, "Import people from a spreadsheet")  # the new page has come, before looking at it
    j.look(page, "import")
    j.open_nav(page, "Volunteers")
    j.heading(page, "Volunteers")
    j.look(page, "directory")
    j.press(page, j.link(page, "Grace Adeyemi"))
    j.heading(page, "Grace Adeyemi")
    j.look(page, "person")


def test_anyone_finds_the_accessibility_statement_in_the_footer_by_keyboard(page):
    page.goto("/")
    j.press(page, j.link(page, "Accessibility statement"), keyboard=True)
    j.heading(page, "Accessibility statement")
    j.see(page, "What we test, and how")
    j.see(page, "Report a problem")
    j.look(page, "accessibility")
