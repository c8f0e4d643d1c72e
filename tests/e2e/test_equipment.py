"""Journey 4: a coordinator receives a delivery and issues some to a volunteer's kit bag; the
volunteer, on a phone, records a hand-out; the coordinator sees it in stock by holder and in the
report. With the mouse (touch) and with the keyboard alone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from volunteer_hub.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_stock_goes_from_the_store_to_a_kit_bag_to_the_street_and_into_the_report(
        page, phone_page, live_server, scene, keyboard):
    item, place = ("Torch keyring", "Church Lane") if keyboard else ("Orange whistle", "Castle Street")
    scene.item_and_place(item, place)
    volunteer = scene.person("Ravi Bell" if keyboard else "Kit Morgan")

    j.sign_in(page, "coordinator@example.org", DEMO_PASSWORD, keyboard=keyboard)
    j.receive_stock(page, item, 50, keyboard=keyboard)
    j.issue_to_kit_bag(page, item, 10, volunteer.name, keyboard=keyboard)

    j.sign_in(phone_page, volunteer.email, volunteer.password, keyboard=keyboard)
    j.hand_out(phone_page, item, 3, place, keyboard=keyboard)
    j.look(phone_page, "hand-out-recorded")
    expect(phone_page.get_by_role("heading", name="Left in your bag").locator("xpath=following-sibling::ul[1]")
           ).to_contain_text(f"7 {item.lower()}s")

    j.stock_page(page, "Stock", keyboard=keyboard)
    bag = page.get_by_role("region", name=f"{volunteer.name}'s kit bag")
    expect(bag.get_by_role("row", name=item)).to_contain_text("7")
    assert j.report_figure(page, place, item, keyboard=keyboard) == "3"


def test_a_coordinator_checks_a_radio_out_to_someone_found_by_name(page, scene):
    person = scene.person("Rory Radiohead")
    j.sign_in(page, "coordinator@example.org", DEMO_PASSWORD)
    j.stock_page(page, "Radios & loans")
    j.heading(page, "Radios and loans")
    j.press(page, j.link(page, "Check out Radio RAD-0104"))
    j.heading(page, "Check out Radio RAD-0104")
    j.fill(page, "Find by name or email", "Radiohead")  # the matches follow the typing
    j.pick_radio(page, person.name)
    j.look(page, "check-out")
    j.press(page, j.button(page, "Check out"))
    j.see(page, f"Radio RAD-0104 checked out to {person.name}")


def test_a_search_that_answers_late_does_not_replace_the_matches_for_what_was_typed(page, scene):
    """On a slow line an earlier search ("Ro") can answer after the last ("Rory Latecomer"): the
    picker shows the matches for what is in the box, not for what was typed on the way."""
    person = scene.person("Rory Latecomer")
    scene.person("Rosa Other")
    j.sign_in(page, "coordinator@example.org", DEMO_PASSWORD)
    j.stock_page(page, "Radios & loans")
    j.press(page, page.get_by_role("link", name=re.compile(r"^Check out Radio ")).last)  # one still in the store
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check out Radio")
    held = []

    def slow_first(route):
        if "q=Ro&" in route.request.url + "&" and not held:
            held.append(route)  # answered below, after the last search has been shown
        else:
            route.continue_()

    page.route("**/people/suggest*", slow_first)
    search = page.get_by_label("Find by name or email", exact=True)
    search.fill("Ro")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first search was never sent"
    search.fill("Rory Latecomer")
    expect(page.get_by_label(person.name, exact=True)).to_have_count(1)
    expect(page.get_by_label("Rosa Other", exact=True)).to_have_count(0)
    page.wait_for_timeout(300)  # the first search's own debounce has long passed
    held[0].continue_()
    page.wait_for_timeout(800)  # the late answer arrives and must be ignored
    expect(page.get_by_label("Rosa Other", exact=True)).to_have_count(0)
    expect(page.get_by_label(person.name, exact=True)).to_have_count(1)
