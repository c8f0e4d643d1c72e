"""The year's figures: a coordinator opens the impact report, changes the period and the
organisation, and downloads the CSV; an admin publishes chosen figures and a signed-out visitor
reads them at /our-year. axe checks each page."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from volunteer_hub.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def test_a_coordinator_reads_the_year_and_an_admin_publishes_it(page):
    j.sign_in(page, "coordinator@example.org", DEMO_PASSWORD)
    page.goto("/reports/impact")
    j.heading(page, "Impact report")
    expect(page.locator("#summary")).to_contain_text("people trained")
    j.look(page, "impact-report")

    j.choose(page, "Period", "Last year")
    j.choose(page, "Kind of organisation", "Licensed venue")
    j.press(page, j.button(page, "Show"))
    expect(page.locator("h1")).to_contain_text("every Licensed venue organisation")
    expect(page.locator("h1")).to_contain_text("1 January")
    j.look(page, "impact-report-venues")
    with page.expect_download() as info:
        j.press(page, j.link(page, "Download every table (CSV)"))
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    trained = next(r for r in rows if r["table"] == "Training: headline figures" and r["row"] == "People trained"
                   and r["column"] == "This period")
    expect(page.locator("#training-figures .headline-figure").nth(1)).to_contain_text(trained["value"])
    j.sign_out(page)

    j.sign_in(page, "admin@example.org", DEMO_PASSWORD)
    page.goto("/reports/impact")
    j.press(page, j.link(page, "Publish figures at /our-year"))
    j.heading(page, "Publish figures at /our-year")
    j.look(page, "publish-our-year")
    page.get_by_label("People trained:", exact=False).check()
    page.get_by_label("Items handed out:", exact=False).check()
    j.fill(page, "A short text for the page", "Thank you to every volunteer who trained this year.")
    j.press(page, j.button(page, "Publish"))
    j.heading(page, "Our year")
    j.sign_out(page)

    page.goto("/our-year")
    j.heading(page, "Our year")
    expect(page.locator("main")).to_contain_text("Thank you to every volunteer")
    expect(page.locator(".headline-figure")).to_have_count(2)
    j.look(page, "our-year")
