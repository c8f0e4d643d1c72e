"""Two-step sign-in in the browser: a new coordinator is made to set it up at their first sign-in
(the test reads the key from the page and computes the code as an authenticator app would), keeps
the recovery codes, and signs in with a code next time."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from volunteer_hub.models import Role

pytestmark = pytest.mark.e2e


def test_a_new_coordinator_sets_up_two_step_sign_in_then_signs_in_with_a_code(page, scene):
    person = scene.person("Nadia Sefton", Role.COORDINATOR, two_factor=False)
    j.sign_in(page, person.email, person.password)
    j.heading(page, "Set up two-step sign-in")  # before any other page
    j.look(page, "two-factor-setup")
    page.goto("/people")
    j.heading(page, "Set up two-step sign-in")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    secret = "".join(page.locator("#totp-secret").inner_text().split())
    field = page.get_by_label("Code from your app", exact=True)
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    j.fill(page, "Code from your app", "000000")
    j.press(page, j.button(page, "Turn on two-step sign-in"))
    j.see(page, "That code is not right")
    j.fill(page, "Code from your app", j.next_code(person.email, secret), keyboard=True)
    j.press(page, j.button(page, "Turn on two-step sign-in"), keyboard=True)
    j.heading(page, "Two-step sign-in is on")
    j.look(page, "two-factor-codes")
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    j.press(page, j.link(page, "I have kept my codes: continue"))
    j.heading(page, "Hello, Nadia Sefton")
    j.sign_out(page)

    page.goto("/auth/sign-in")
    j.fill(page, "Email address", person.email)
    j.fill(page, "Password", person.password)
    j.press(page, j.button(page, "Sign in"))
    j.heading(page, "Enter your code")
    j.fill(page, "Code", codes[0])  # a recovery code, once
    j.press(page, j.button(page, "Sign in"))
    j.see(page, "Welcome,")
    j.sign_out(page)
    j.sign_in(page, person.email, person.password)  # and with a code from the app (TOTP)
    j.heading(page, "Hello, Nadia Sefton")
