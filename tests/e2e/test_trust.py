"""The trust journey: an admin makes someone a coordinator limited to one agency; that person is
made to set up two-step sign-in at their next sign-in (the test reads the key from the page and
computes the code with pyotp), sees only their agency's people, and what they do is in the audit
trail."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from volunteer_hub.demo import DEMO_PASSWORD
from volunteer_hub.models import Role

pytestmark = pytest.mark.e2e

AGENCY = "Street Pastors"


def test_a_limited_coordinator_sets_up_two_step_sign_in_and_sees_only_their_agency(page, scene):
    person = scene.person("Lena Limited", Role.VOLUNTEER, organisation=AGENCY)
    outsider = scene.person("Otto Outsider", Role.VOLUNTEER, organisation="Town Police")

    # The admin gives the role, then limits the new coordinator to one agency.
    j.sign_in(page, "admin@example.org", DEMO_PASSWORD)
    j.find_person(page, "Lena Limited")
    roles = page.locator("section", has=page.locator("#roles-title"))
    roles.get_by_label("Coordinator", exact=True).check()
    j.press(page, roles.get_by_role("button", name="Save roles"))
    j.see(page, "Roles saved.")
    agencies = page.locator("section", has=page.locator("#agencies-title"))
    expect(page.locator("#agencies-now")).to_contain_text("None yet")
    agencies.get_by_label(AGENCY, exact=True).check()
    j.press(page, agencies.get_by_role("button", name="Save agencies"))
    j.see(page, "Agencies saved.")
    expect(page.locator("#agencies-now")).to_have_text(AGENCY)
    j.sign_out(page)

    # Their next sign-in: two-step sign-in first, before any other page.
    j.sign_in(page, person.email, person.password)
    j.heading(page, "Set up two-step sign-in")
    page.goto("/people")
    j.heading(page, "Set up two-step sign-in")
    secret = "".join(page.locator("#totp-secret").inner_text().split())
    j.fill(page, "Code from your app", j.next_code(person.email, secret))
    j.press(page, j.button(page, "Turn on two-step sign-in"))
    j.heading(page, "Two-step sign-in is on")
    j.press(page, j.link(page, "I have kept my codes: continue"))

    # Only their agency's people (and themselves), in the directory and its download.
    j.open_nav(page, "Volunteers")
    j.heading(page, "Volunteers")
    organisations = page.locator("td[data-label='Organisation']").all_inner_texts()
    assert organisations and set(organisations) == {AGENCY}
    j.look(page, "directory-limited")
    rows = j.download_directory_csv(page)
    assert rows and {r["organisation"] for r in rows} == {AGENCY}
    assert page.goto(f"/people/{outsider.id}").status == 404

    # What they did is in the audit trail, by them.
    page.goto("/audit")
    j.heading(page, "Audit trail")
    trail = page.locator("table")
    for action in ("Directory downloaded (CSV)", "Two-step sign-in set up"):
        expect(trail.locator("tr", has_text=action).first).to_contain_text("Lena Limited")
    expect(trail).not_to_contain_text("Otto Outsider")
    j.look(page, "audit")
    j.sign_out(page)

    # The admin sees the role and the agencies they gave in the trail, on Lena's page.
    j.sign_in(page, "admin@example.org", DEMO_PASSWORD)
    page.goto(f"/people/{person.id}")
    history = page.locator("section", has=page.locator("#history-title"))
    expect(history).to_contain_text("Role given")
    expect(history).to_contain_text("Agencies changed")
