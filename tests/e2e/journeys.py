"""Steps of the browser journeys, written as a person uses the site: by labels, link and button
names and the text on the page. Each step takes `keyboard=True` to do the same with the keyboard
alone (Tab to the control, then type, Enter or Space): no clicks.

Every page a journey reaches goes through `look(page, name)`: axe-core checks it (no serious or
critical violations) and the first look at each name saves phone and desktop screenshots under
screenshots/. Later journeys (booking, waitlist, register, stock) add their steps here in the
same style: small functions that take the page (and `keyboard`), act, and check what a person
would see.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SIZES = {"phone": PHONE, "desktop": DESKTOP}
FAILING_IMPACTS = {"serious", "critical"}
MAX_TABS = 120

_axe = Axe()
_screenshots_taken: set[str] = set()


# --- what every page gets --------------------------------------------------------------------
def look(page: Page, name: str) -> None:
    """Check the page with axe-core and save its screenshots (once per name per run)."""
    page.wait_for_load_state("load")
    check_accessibility(page, name)
    if name not in _screenshots_taken:
        _screenshots_taken.add(name)
        screenshot(page, name)


def check_accessibility(page: Page, name: str) -> None:
    # The site's CSP is `script-src 'self'`: a <script> tag with axe's source would be refused.
    # axe-playwright-python injects axe with page.evaluate(), which Playwright sends over the
    # DevTools protocol (Runtime.evaluate): the page's CSP does not apply to it, so the check
    # runs on the page exactly as served (no bypass_csp context, no relaxed header for tests).
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]
    if bad:
        lines = [f"axe-core found {len(bad)} serious or critical problem(s) on {name} ({page.url}):"]
        for v in bad:
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"]:
                lines.append(f"    at {' '.join(node['target'])}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
                lines.append(f"       {node['html'][:200]}")
        pytest.fail("\n".join(lines), pytrace=False)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{size_name}.png", full_page=True)
    page.set_viewport_size(original)


# --- acting as a person, with the mouse or the keyboard alone ----------------------------------
def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus (fails if the keyboard cannot reach it)."""
    target.wait_for()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"could not reach {target} with the Tab key in {MAX_TABS} presses")


def fill(page: Page, label: str, value: str, *, keyboard: bool = False) -> None:
    field = page.get_by_label(label, exact=True)
    if keyboard:
        tab_to(page, field)
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(value)
    else:
        field.fill(value)


def tick(page: Page, label: str, *, keyboard: bool = False) -> None:
    box = page.get_by_label(label)
    if keyboard:
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    else:
        box.check()


def choose(page: Page, label: str, option: str, *, keyboard: bool = False) -> None:
    select = page.get_by_label(label, exact=True)
    if keyboard:
        tab_to(page, select)
        # A focused closed <select> takes typed text and arrow keys without opening.
        page.keyboard.type(option)
    else:
        select.select_option(label=option)


def press(page: Page, target: Locator, *, keyboard: bool = False) -> None:
    """Follow a link or press a button."""
    if keyboard:
        tab_to(page, target)
        page.keyboard.press("Enter")
    else:
        target.click()


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def link(page: Page, name: str) -> Locator:
    return page.get_by_role("link", name=name, exact=True)


def open_nav(page: Page, label: str, *, keyboard: bool = False) -> None:
    """Use the main navigation; on a phone, open the Menu first."""
    nav = page.get_by_role("navigation", name="Main")
    target = nav.get_by_role("link", name=label, exact=True)
    if not target.is_visible():
        press(page, nav.get_by_role("button", name="Menu"), keyboard=keyboard)
        expect(target).to_be_visible()
    press(page, target, keyboard=keyboard)


def see(page: Page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible()


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(re.escape(text)))


# --- accounts ---------------------------------------------------------------------------------
def sign_up(page: Page, name: str, email: str, password: str, *, keyboard: bool = False) -> None:
    """From the welcome page: sign up as a volunteer."""
    page.goto("/")
    look(page, "welcome")
    press(page, link(page, "Sign up as a volunteer"), keyboard=keyboard)
    heading(page, "Sign up")
    look(page, "sign-up")
    fill(page, "Full name", name, keyboard=keyboard)
    fill(page, "Email address", email, keyboard=keyboard)
    fill(page, "Create a password", password, keyboard=keyboard)
    tick(page, "I have read the privacy notice", keyboard=keyboard)
    press(page, button(page, "Sign up"), keyboard=keyboard)
    see(page, "Check your email")
    look(page, "sign-in-after-sign-up")


def confirm_email(page: Page, server, email: str) -> None:
    """Open the confirmation link from the email the SMTP server received."""
    message = server.email_to(email, "Confirm your email address")
    page.goto(server.link_in(message, "/auth/confirm/"))
    see(page, "your email address is confirmed")


def sign_in(page: Page, email: str, password: str, *, keyboard: bool = False) -> None:
    if "/auth/sign-in" not in page.url:
        page.goto("/auth/sign-in")
    heading(page, "Sign in")
    look(page, "sign-in")
    fill(page, "Email address", email, keyboard=keyboard)
    fill(page, "Password", password, keyboard=keyboard)
    press(page, button(page, "Sign in"), keyboard=keyboard)
    see(page, "Welcome,")


def sign_out(page: Page, *, keyboard: bool = False) -> None:
    nav = page.get_by_role("navigation", name="Main")
    target = nav.get_by_role("button", name="Sign out")
    if not target.is_visible():
        press(page, nav.get_by_role("button", name="Menu"), keyboard=keyboard)
    press(page, target, keyboard=keyboard)
    see(page, "You are signed out")


# --- people (coordinators) --------------------------------------------------------------------
def find_person(page: Page, name: str, *, keyboard: bool = False) -> None:
    """From anywhere signed in as staff: the directory, searched by name, then the person's page."""
    open_nav(page, "Volunteers", keyboard=keyboard)
    heading(page, "Volunteers")
    look(page, "directory")
    fill(page, "Name or email", name, keyboard=keyboard)
    press(page, button(page, "Filter"), keyboard=keyboard)
    see(page, "1 person")
    press(page, link(page, name), keyboard=keyboard)
    heading(page, name)
    look(page, "person")


def download_directory_csv(page: Page, *, keyboard: bool = False) -> list[dict[str, str]]:
    """On the directory: Download CSV; returns its rows."""
    with page.expect_download() as info:
        press(page, link(page, "Download CSV"), keyboard=keyboard)
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))
