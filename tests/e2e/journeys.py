"""Steps of the browser journeys, written as a person uses the site: by labels, link and button
names and the text on the page. Each step takes `keyboard=True` to do the same with the keyboard
alone (Tab to the control, then type, Enter or Space): no clicks.

Every page a journey reaches goes through `look(page, name)`: axe-core checks it (no serious or
critical violations) and the first look at each name saves phone and desktop screenshots under
screenshots/. After a step that loads a new page, check something only the new page has (its
heading, a flash message) before `look`: a page still on its way cannot be told from the old one. Later journeys (booking, waitlist, register, stock) add their steps here in the
same style: small functions that take the page (and `keyboard`), act, and check what a person
would see.
"""
from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
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
    element = target.element_handle()  # found once: each press then costs one round trip, not two
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        where = element.evaluate("el => el === document.activeElement ? 'focused' : el.isConnected ? '' : 'gone'")
        if where == "gone":  # the page redrew it (the picker's suggestions came back late): find it again
            element = target.element_handle()
            where = element.evaluate("el => el === document.activeElement ? 'focused' : ''")
        if where == "focused":
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
    assert select.evaluate("s => s.options[s.selectedIndex].text") == option


def pick_radio(page: Page, label: str, *, keyboard: bool = False) -> None:
    """Choose one of a group of radio buttons: Tab enters the group, the arrow keys move in it."""
    radio = page.get_by_role("radio", name=label, exact=True)
    if keyboard:
        group = radio.get_attribute("name")
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            if page.evaluate("n => document.activeElement.name === n", group):
                break
        for _ in range(page.locator(f"input[type=radio][name='{group}']").count()):
            if radio.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("ArrowRight")
    else:  # the radio itself is drawn as a button: its label is what the mouse clicks
        page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    expect(radio).to_be_checked()


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
    page.wait_for_load_state("load")
    nav = page.get_by_role("navigation", name="Main")
    target = nav.get_by_role("link", name=label, exact=True)
    menu = nav.get_by_role("button", name="Menu")
    # Decide by the menu button (shown on narrow screens) and its state, not by the link's
    # visibility, which is briefly false while Bootstrap animates the menu open.
    if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
        press(page, menu, keyboard=keyboard)
        expect(menu).to_have_attribute("aria-expanded", "true")
    expect(target).to_be_visible()
    press(page, target, keyboard=keyboard)


@contextmanager
def confirming(page: Page, question: str):
    """The step inside asks "Are you sure?" in the browser's dialog; the person says OK."""
    asked: list[str] = []

    def ok(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", ok)
    yield
    page.wait_for_load_state("load")
    assert asked == [question], f"expected the question {question!r}, was asked {asked}"


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
    """Email and password, then (coordinators and admins) the code from their authenticator app."""
    if "/auth/sign-in" not in page.url:
        page.goto("/auth/sign-in")
    heading(page, "Sign in")
    look(page, "sign-in")
    fill(page, "Email address", email, keyboard=keyboard)
    fill(page, "Password", password, keyboard=keyboard)
    press(page, button(page, "Sign in"), keyboard=keyboard)
    code_page = page.get_by_role("heading", name="Enter your code", exact=True)
    expect(page.get_by_text("Welcome,").or_(code_page).first).to_be_visible()
    if code_page.is_visible():
        look(page, "sign-in-code")
        fill(page, "Code", next_code(email), keyboard=keyboard)
        press(page, button(page, "Sign in"), keyboard=keyboard)
    see(page, "Welcome,")


_last_step: dict[str, int] = {}  # per account: the site takes each time-step once
_secrets: dict[str, str] = {}  # keys set up during this run (read from the set-up page)


def next_code(email: str, secret: str | None = None) -> str:
    """A code the site will take now for `email` (with `secret`, or the last one given for it, or the
    demo staff's key, or the tests' one): the
    earliest step of now ±1 this run has not used, waiting for the next if all three are used. The
    step before now only with more than 10 seconds of it left: on a busy machine the form may take
    that long to arrive, and by then that step would be two behind."""
    import time

    import pyotp

    from tests.factories import TEST_TOTP_SECRET
    from volunteer_hub.demo import DEMO_ACCOUNTS, DEMO_TOTP_SECRET

    secret = secret or _secrets.get(email) or (DEMO_TOTP_SECRET if email in {a[0] for a in DEMO_ACCOUNTS}
                                                else TEST_TOTP_SECRET)
    _secrets[email] = secret
    totp = pyotp.TOTP(secret)
    moment = time.time()
    earliest = totp.timecode(moment) - (1 if totp.interval - moment % totp.interval > 10 else 0)
    step = max(earliest, _last_step.get(email, -1) + 1)
    while step > totp.timecode(time.time()) + 1:
        time.sleep(1)
    _last_step[email] = step
    return totp.generate_otp(step)


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


# --- training (volunteers) --------------------------------------------------------------------
def find_session(page: Page, course: str, *, keyboard: bool = False) -> None:
    """From anywhere signed in: Training, filtered to the course, then the session's page."""
    open_nav(page, "Training", keyboard=keyboard)
    heading(page, "Training sessions")
    look(page, "sessions")
    choose(page, "Course", course, keyboard=keyboard)
    press(page, button(page, "Filter"), keyboard=keyboard)
    expect(page.get_by_text(re.compile(r"^1 upcoming session\.$"))).to_be_visible()  # the filtered list has come
    press(page, link(page, course), keyboard=keyboard)
    heading(page, course)


def your_place(page: Page) -> Locator:
    return page.get_by_role("region", name="Your place")


def book(page: Page, *, keyboard: bool = False) -> None:
    """On a session's page: Book a place."""
    press(page, button(page, "Book a place"), keyboard=keyboard)
    see(page, "You are booked. We have emailed you the details and a calendar invitation.")
    expect(your_place(page)).to_contain_text("You are booked.")
    look(page, "session-booked")


def cancel_booking(page: Page, *, keyboard: bool = False) -> None:
    """On a session's page: Cancel my booking, and say OK when asked."""
    with confirming(page, "Cancel your booking?"):
        press(page, button(page, "Cancel my booking"), keyboard=keyboard)
    see(page, "Cancelled.")
    expect(your_place(page).get_by_role("button", name="Book a place")).to_be_visible()
    look(page, "session-cancelled")


def join_waitlist(page: Page, *, keyboard: bool = False) -> None:
    """On a full session's page: Join the waitlist."""
    expect(your_place(page)).to_contain_text("The session is full. You would be 1st in line.")
    look(page, "session-full")
    press(page, button(page, "Join the waitlist"), keyboard=keyboard)
    see(page, "The session is full: you are on the waitlist, 1st in line.")
    expect(your_place(page)).to_contain_text("You are on the waitlist: 1st in line.")
    look(page, "session-waitlisted")


def cancel_from_my_training(page: Page, course: str, *, keyboard: bool = False) -> None:
    """My training: cancel the booking on `course`, and say OK when asked."""
    open_nav(page, "My training", keyboard=keyboard)
    heading(page, "My training")
    look(page, "my-training")
    card = page.locator(".card", has=page.get_by_role("heading", name=course))
    with confirming(page, "Cancel your booking?"):
        press(page, card.get_by_role("button", name=re.compile(r"^Cancel my booking on ")), keyboard=keyboard)
    see(page, "Cancelled.")
    expect(page.get_by_role("heading", name=course)).to_have_count(0)


def accept_offer(page: Page, course: str, *, keyboard: bool = False) -> None:
    """On the page the offer email links to: Accept the place."""
    heading(page, course)
    see(page, "A place has come up for you.")
    look(page, "offer")
    press(page, button(page, "Accept the place"), keyboard=keyboard)
    see(page, "You are booked. We have emailed you a calendar invitation.")
    expect(your_place(page)).to_contain_text("You are booked.")


# --- the register (trainers) ------------------------------------------------------------------
def open_register(page: Page, course: str, *, keyboard: bool = False) -> None:
    """My sessions, then the Register of the session of `course`."""
    open_nav(page, "My sessions", keyboard=keyboard)
    heading(page, "My sessions")
    look(page, "my-sessions")
    press(page, page.get_by_role("link", name=re.compile(rf"^Register for {re.escape(course)}, ")), keyboard=keyboard)
    heading(page, f"Register: {course}")
    look(page, "register")


def mark(page: Page, name: str, status: str, *, keyboard: bool = False) -> None:
    """Tap a person's mark; it is saved at once (no reload)."""
    group = page.get_by_role("group", name=f"Mark {name}")
    press(page, group.get_by_role("button", name=status, exact=True), keyboard=keyboard)
    row = page.get_by_role("listitem").filter(has=group)
    expect(row.get_by_text(re.compile(r"^Mark: "))).to_have_text(f"Mark: {status}")
    expect(group.get_by_role("button", name=status, exact=True)).to_have_attribute("aria-pressed", "true")


def finalise_register(page: Page, *, keyboard: bool = False) -> None:
    with confirming(page, "Finalise the register? It cannot be changed afterwards except by a coordinator."):
        press(page, button(page, "Finalise the register"), keyboard=keyboard)
    see(page, "The register is finalised.")
    look(page, "register-finalised")


# --- certificates -----------------------------------------------------------------------------
def my_certificate_number(page: Page, course: str, *, keyboard: bool = False) -> str:
    """My certificates: the current certificate of `course` is there, valid; returns its number."""
    open_nav(page, "My certificates", keyboard=keyboard)
    heading(page, "My certificates")
    look(page, "my-certificates")
    card = page.get_by_role("article", name=course)
    expect(card).to_contain_text("Valid")
    return card.locator("dt:text-is('Number') + dd").inner_text().strip()


def verify_certificate(page: Page, number_or_code: str, *, keyboard: bool = False) -> Locator:
    """Signed out, from the welcome page: check a certificate is genuine. Returns the result."""
    page.goto("/")
    press(page, link(page, "Check a certificate is genuine"), keyboard=keyboard)
    heading(page, "Check a certificate")
    look(page, "verify")
    fill(page, "Certificate number or verification code", number_or_code, keyboard=keyboard)
    press(page, button(page, "Check"), keyboard=keyboard)
    heading(page, "Certificate check")
    look(page, "verified")
    return page.get_by_role("status")


# --- equipment --------------------------------------------------------------------------------
def stock_page(page: Page, name: str, *, keyboard: bool = False) -> None:
    """Signed in as staff: Stock, then one of its pages (Receive, Issue, Report...)."""
    open_nav(page, "Stock", keyboard=keyboard)
    heading(page, "Stock")
    look(page, "stock")
    if name != "Stock":
        press(page, page.get_by_role("navigation", name="Stock pages").get_by_role("link", name=name, exact=True),
              keyboard=keyboard)


def receive_stock(page: Page, item: str, quantity: int, *, keyboard: bool = False) -> None:
    stock_page(page, "Receive", keyboard=keyboard)
    heading(page, "Receive a delivery")
    look(page, "receive")
    choose(page, "Into store", "Central store", keyboard=keyboard)
    choose(page, "Item", item, keyboard=keyboard)
    fill(page, "Quantity", str(quantity), keyboard=keyboard)
    fill(page, "Supplier (optional)", "SafeNight Supplies Ltd", keyboard=keyboard)
    press(page, button(page, "Record delivery"), keyboard=keyboard)
    see(page, f"Received {quantity} {item.lower()}s into Central store.")
    look(page, "holder")


def issue_to_kit_bag(page: Page, item: str, quantity: int, person: str, *, keyboard: bool = False) -> None:
    stock_page(page, "Issue", keyboard=keyboard)
    heading(page, "Issue stock")
    look(page, "issue")
    choose(page, "From", "Central store", keyboard=keyboard)
    choose(page, "Item", item, keyboard=keyboard)
    fill(page, "Quantity for each recipient", str(quantity), keyboard=keyboard)
    fill(page, "Find by name or email", person, keyboard=keyboard)  # suggestions follow the typing
    expect(page.get_by_label(person, exact=False)).to_have_count(1)
    tick(page, person, keyboard=keyboard)
    press(page, button(page, "Issue"), keyboard=keyboard)
    see(page, f"Issued {quantity} {item.lower()}s to each of 1 ({person}'s kit bag).")


def hand_out(page: Page, item: str, quantity: int, place: str, *, keyboard: bool = False) -> None:
    """A volunteer: My kit bag, Record a hand-out of `quantity` of `item` at `place`."""
    open_nav(page, "My kit bag", keyboard=keyboard)
    heading(page, "My kit bag")
    look(page, "kit-bag")
    press(page, link(page, "Record a hand-out"), keyboard=keyboard)
    heading(page, "Hand out")
    look(page, "hand-out")
    field = page.get_by_label(re.compile(rf"^{re.escape(item)}\b"))
    if keyboard:
        tab_to(page, field)
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(str(quantity))
    else:
        field.fill(str(quantity))
    pick_radio(page, place, keyboard=keyboard)
    press(page, button(page, "Record hand-out"), keyboard=keyboard)
    see(page, f"Recorded: {quantity} {item.lower()}s handed out. Thank you!")


def report_figure(page: Page, place: str, item: str, *, keyboard: bool = False) -> str:
    """The hand-out report: the figure for `item` at `place` in the table By place."""
    stock_page(page, "Report", keyboard=keyboard)
    heading(page, "Handed out:")
    look(page, "report")
    table = page.get_by_role("table", name=re.compile(r"^Items handed out by place"))
    headers = [h.strip() for h in table.get_by_role("columnheader").all_inner_texts()]
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=place, exact=True))
    return row.get_by_role("cell").nth(headers.index(item) - 1).inner_text().strip()
