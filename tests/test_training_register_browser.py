"""The trainer's register in Chromium on a phone-sized screen: a tap saves the mark without a
reload, and the page passes axe's accessibility checks."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_org, make_user
from tests.factories_training import make_booking, make_session
from tests.live_server import credentials
from volunteer_hub.models import Attendance, AttendanceStatus, BookingStatus, db

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture()
def browser():
    """Debian's Chromium against the training tests' own gunicorn (tests/live_server.py); the
    journeys in tests/e2e share one seeded server instead."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_a_tap_saves_the_mark_without_reloading_and_the_page_is_accessible(app, server, browser, trainer):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    s = make_session(starts_in=dt.timedelta(minutes=-20), opens_ago=dt.timedelta(days=3),
                     closes_before=dt.timedelta(minutes=20), trainers=[trainer])
    amy = make_booking(s, make_user(name="Amy Able", organisation=make_org("Street Pastors"))).user
    make_booking(s, make_user(name="Bob Brown"))
    cookie, _token = credentials(app, trainer)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "session", "value": cookie, "url": server}])
    page = context.new_page()
    page.goto(f"{server}/training/sessions/{s.id}/register")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    page.evaluate("window.stillHere = true")
    row = page.locator(f"#person-{amy.id}")
    row.get_by_role("button", name="Late").click()
    expect(row.locator("[data-mark-label]")).to_have_text("Late")
    assert page.evaluate("window.stillHere === true")  # saved by fetch: no reload
    assert row.get_by_role("button", name="Late").get_attribute("aria-pressed") == "true"
    assert page.locator("[data-marked-count]").text_content() == "1"
    db.session.rollback()
    assert db.session.scalar(select(Attendance.status).where(Attendance.user_id == amy.id)) is AttendanceStatus.LATE
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    context.close()


def test_volunteer_pages_pass_axe_on_a_phone(app, server, browser, volunteer):
    from axe_playwright_python.sync_playwright import Axe

    full = make_session(capacity=1)
    make_booking(full)
    make_booking(full, volunteer, status=BookingStatus.WAITLISTED)
    booked = make_session(starts_in=dt.timedelta(days=20))
    make_booking(booked, volunteer)
    cookie, _token = credentials(app, volunteer)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "session", "value": cookie, "url": server}])
    page = context.new_page()
    for path in ("/training/sessions", f"/training/sessions/{full.id}", f"/training/sessions/{booked.id}",
                 "/training/mine", "/home"):
        page.goto(server + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        results = Axe().run(page)
        assert results.violations_count == 0, f"{path}\n{results.generate_report()}"
    context.close()
