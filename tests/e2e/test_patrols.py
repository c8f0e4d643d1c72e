"""Journey 5, on phones: a coordinator puts a weekly pattern of night patrols on the rota (Friday
and Saturday, 8 weeks, 22:00 to 03:00, a certificate and a DBS check required, a lead chosen with
the picker); a volunteer without the certificate is told why they cannot join, books the course
from the link, gets the certificate at the session and joins. On a shift tonight, the lead takes
the register and starts it; the volunteer counts the kit bag out, records a hand-out and a welfare
assist, counts back in, sees the reconciliation and says they are home safe. A second volunteer
does not: 46 minutes after the end, the home-safe job emails the lead their emergency contact,
and the lead checks them out from the email's link."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from tests.e2e import patrols_scene as ps
from tests.e2e.conftest import PHONE, _new_page
from tests.smtp import SmtpSink
from volunteer_hub import clock
from volunteer_hub.demo import DEMO_PASSWORD
from volunteer_hub.models import Role

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/patrol_shots")
COORDINATOR = "coordinator@example.org"
COURSE = "Bystander intervention"  # a demo course that gives a certificate
TITLE = "Weekend night patrol"
SESSION_PLACE = "Patrol base, 5 Castle Yard"
FOIL, WATER = ("Foil blanket", "foil blankets"), ("Water bottle", "water bottles")


@contextmanager
def phone(browser, live_server):
    """Another person's phone: a fresh browser at 390 × 844."""
    context, page = _new_page(browser, live_server, PHONE)
    try:
        yield page
    finally:
        context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    assert page.viewport_size == PHONE
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def next_friday() -> dt.date:
    today = clock.today()
    return today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)


def region(page, name: str):
    return page.get_by_role("region", name=name, exact=True)


def test_a_night_patrol_from_the_rota_to_home_safe_on_phones(browser, phone_page, live_server, scene):
    volunteer = ps.patroller(scene, "Nia Patel")
    second = ps.patroller(scene, "Owen Flint", emergency_contact=("Maya Flint", "07700 900456"),
                          phone="07700 900321")
    lead = ps.patroller(scene, "Lee Sharma")
    ps.certified(scene, lead, COURSE)  # a lead must hold what the rota asks of everyone on it
    trainer = scene.person("Tom Hart", Role.TRAINER)
    course_session = ps.session_of(scene, COURSE, SESSION_PLACE, trainer=trainer)
    ps.kit_bag(scene, volunteer, {FOIL: 10, WATER: 4}, by_email=COORDINATOR)
    tonight = ps.shift_tonight(scene, "Late patrol, riverside", lead=lead, people=[volunteer, second],
                               on_call_email=COORDINATOR)

    # 1. The coordinator adds the weekly pattern, choosing the lead with the picker.
    with phone(browser, live_server) as page:
        j.sign_in(page, COORDINATOR, DEMO_PASSWORD)
        j.open_nav(page, "Patrols")
        j.heading(page, "Patrols")
        j.look(page, "patrols-staff")
        j.press(page, j.link(page, "Add shifts"))
        j.heading(page, "Add patrol shifts")
        assert page.url.endswith("/patrols/new")
        j.look(page, "patrol-new")
        j.fill(page, "Title", TITLE)
        j.fill(page, "Area or route", "Town centre: High Street, Market Square, Riverside")
        j.fill(page, "Meeting point", "Market Cross")
        j.fill(page, "First night", next_friday().isoformat())
        j.fill(page, "Starts (UK time)", "22:00")
        j.fill(page, "Ends (UK time)", "03:00")
        j.tick(page, "Repeat every week")
        for night in ("Friday", "Saturday"):
            j.tick(page, night)
        expect(page.get_by_label("Sunday", exact=True)).not_to_be_checked()
        j.fill(page, "Weeks", "8")
        page.get_by_label(COURSE, exact=True).check()
        j.tick(page, "Volunteers must have a current DBS check")
        j.fill(page, "Find by name or email", lead.name)  # the matches follow the typing
        j.pick_radio(page, lead.name)
        j.press(page, j.button(page, "Add to the rota"))
        j.see(page, "16 shifts added to the rota.")
        j.heading(page, TITLE)
        first_night = int(re.search(r"/patrols/(\d+)$", page.url).group(1))
        expect(page.locator("dl.vh-facts")).to_contain_text(lead.name)
        expect(page.locator("dl.vh-facts")).to_contain_text(f"a current {COURSE} certificate and a current DBS check")
        j.look(page, "patrol-shift-staff")

    # 2. The volunteer cannot join without the certificate: the reason, and a link to book.
    page = phone_page
    j.sign_in(page, volunteer.email, volunteer.password)
    j.open_nav(page, "Patrols")
    j.heading(page, "Patrols")
    j.look(page, "patrols")
    j.press(page, page.get_by_role("link", name=TITLE, exact=True).first)
    j.heading(page, TITLE)
    assert page.url.endswith(f"/patrols/{first_night}")
    place = region(page, "Your place")
    expect(place).to_contain_text(f"You need a current {COURSE} certificate: book the course.")
    expect(place.get_by_role("button", name="Join this shift")).to_have_count(0)
    j.look(page, "patrol-shift-cannot-join")
    j.press(page, place.get_by_role("link", name="Find a session"))
    j.heading(page, "Training sessions")
    assert page.get_by_label("Course", exact=True).evaluate("s => s.options[s.selectedIndex].text") == COURSE
    j.look(page, "patrol-find-a-session")
    card = page.locator("li.card", has_text=SESSION_PLACE)
    j.press(page, card.get_by_role("link", name=COURSE, exact=True))
    j.heading(page, COURSE)
    j.look(page, "patrol-course-session")
    j.book(page)

    # The day of the course: the trainer marks them present and finalises (tested in test_certificates).
    ps.session_held(scene, course_session, present=volunteer, trainer=trainer)

    # They come back to the shift and join it.
    j.open_nav(page, "Patrols")
    j.heading(page, "Patrols")
    j.press(page, page.get_by_role("link", name=TITLE, exact=True).first)
    j.heading(page, TITLE)
    j.press(page, j.button(page, "Join this shift"))
    j.see(page, "You are on this shift. It is in your calendar feed; we will remind you the day before.")
    expect(region(page, "Your place")).to_contain_text("✓ You are on this shift.")
    j.look(page, "patrol-shift-joined")

    # 3. Tonight: the lead takes the register and starts the shift.
    with phone(browser, live_server) as lead_page:
        j.sign_in(lead_page, lead.email, lead.password)
        lead_page.goto(f"/patrols/{tonight.id}")
        j.heading(lead_page, tonight.title)
        j.look(lead_page, "patrol-shift-lead")
        j.press(lead_page, j.link(lead_page, "Lead's page (register, people, home safe)"))
        j.heading(lead_page, tonight.title)
        assert lead_page.url.endswith(f"/patrols/{tonight.id}/lead")
        expect(lead_page.get_by_role("heading", name="Who came?")).to_be_visible()
        for person in (lead, volunteer, second):
            j.tick(lead_page, person.name)
            expect(lead_page.get_by_label(person.name)).to_be_checked()
        j.look(lead_page, "patrol-lead-register")
        j.press(lead_page, j.button(lead_page, "Start the shift"))
        j.see(lead_page, "Register taken: the shift has started.")
        j.see(lead_page, "✓ Started")
        expect(lead_page.get_by_role("button", name=f"Check {second.name} out")).to_be_visible()
        j.look(lead_page, "patrol-lead-started")
        shot(lead_page, "lead-started")

    # 4. The volunteer's night: kit bag out, a hand-out, a tally, kit bag in, home safe.
    page.goto(f"/patrols/{tonight.id}")
    j.heading(page, tonight.title)
    j.press(page, j.link(page, "Tonight: kit bag, hand-outs, home safe"))
    j.heading(page, "Tonight")
    assert page.url.endswith(f"/patrols/{tonight.id}/night")
    kit_out = region(page, "1. Count your kit bag out")
    expect(kit_out.get_by_label(FOIL[0], exact=True)).to_have_value("10")
    expect(kit_out.get_by_label(WATER[0], exact=True)).to_have_value("4")
    j.look(page, "patrol-night")
    j.press(page, kit_out.get_by_role("button", name="That's what my bag holds"))
    j.see(page, "Kit bag counted out: have a safe night.")
    expect(region(page, "1. Count your kit bag out")).to_contain_text("✓ Counted out.")
    j.look(page, "patrol-night-counted-out")
    shot(page, "night-counted-out")

    hand_out = region(page, "2. Hand-outs")
    hand_out.get_by_label(re.compile(rf"^{FOIL[0]}\b")).fill("3")
    j.choose(page, "Where", "Market Square")
    j.choose(page, "Time", "Midnight to 3am")
    j.press(page, hand_out.get_by_role("button", name="Record hand-out"))
    j.see(page, f"Recorded: 3 {FOIL[1]} handed out.")
    expect(region(page, "2. Hand-outs")).to_contain_text("(7 in bag)")
    j.look(page, "patrol-night-handed-out")

    tallies = region(page, "3. What happened tonight")
    expect(tallies.get_by_role("button", name="Add one: Welfare assist")).to_have_text("+ 1")
    j.press(page, tallies.get_by_role("button", name="Add one: Welfare assist"))
    j.see(page, "Welfare assist: 1 tonight.")
    expect(region(page, "3. What happened tonight")).to_contain_text("Welfare assist: 1")
    j.look(page, "patrol-night-tallied")

    kit_in = region(page, "4. Count your kit bag back in")
    # Hours before the end the count-in waits behind "Finishing early?" (one stray tap cannot end the night).
    kit_in.get_by_text("Finishing early? Count in now").click()
    expect(kit_in.get_by_label(re.compile(rf"^{FOIL[0]}: left"))).to_have_value("7")  # the figure it suggests
    expect(kit_in.get_by_label(re.compile(rf"^{WATER[0]}: left"))).to_have_value("4")
    j.press(page, kit_in.get_by_role("button", name="Count in"))
    j.see(page, "Kit bag counted back in.")
    kit_in = region(page, "4. Count your kit bag back in")
    expect(kit_in).to_contain_text("✓ Counted in.")
    table = kit_in.get_by_role("table", name=re.compile(r"^Your kit bag tonight"))
    for item, figures in ((FOIL[0], ["10", "3", "7", "0"]), (WATER[0], ["4", "0", "4", "0"])):
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=item, exact=True))
        assert [c.strip() for c in row.get_by_role("cell").all_inner_texts()] == figures, item
    j.look(page, "patrol-night-counted-in")

    # Before the shift's end the site asks "Are you home now?": she is.
    page.once("dialog", lambda dialog: dialog.accept())
    j.press(page, j.button(page, "I'm home safe"))
    expect(page.get_by_role("status").filter(has_text="✓ You are checked out: home safe")).to_be_visible()
    j.look(page, "patrol-night-home-safe")

    # 5. Owen does not check out. 46 minutes after the end, the home-safe job runs.
    summary = ps.run_job_at(live_server, "patrol home-safe escalation", tonight.ends_at + dt.timedelta(minutes=46))
    # Owen: to the lead and the on-call coordinator; the lead (not checked out either): to the coordinator.
    assert summary == "3 home-safe alerts queued", summary
    alert = live_server.email_to(lead.email, "has not checked out")
    assert alert["Subject"] == f"Not home safe: {second.name} has not checked out (46 minutes)"
    text = SmtpSink.text(alert)
    assert "Emergency contact: Maya Flint 07700 900456" in text, text
    assert "Try them first: 07700 900321" in text, text
    alerts = [m["Subject"] for m in live_server.smtp.messages if "has not checked out" in m["Subject"]]
    assert not [s for s in alerts if volunteer.name in s], alerts  # she said she was home safe

    # The lead follows the email's link, sees the alert with the contact, and (Owen found) checks him out.
    with phone(browser, live_server) as lead_page:
        j.sign_in(lead_page, lead.email, lead.password)
        lead_page.goto(live_server.link_in(alert, f"/patrols/{tonight.id}/lead"))
        j.heading(lead_page, tonight.title)
        warning = lead_page.get_by_role("alert").filter(has_text=f"{second.name} has not said they are home safe")
        expect(warning).to_contain_text("Emergency contact: Maya Flint 07700 900456")
        j.look(lead_page, "patrol-lead-alert")
        shot(lead_page, "lead-alert")
        j.press(lead_page, j.button(lead_page, f"Check {second.name} out"))
        j.see(lead_page, f"{second.name} is checked out: home safe.")
        expect(lead_page.get_by_role("alert").filter(has_text=second.name)).to_have_count(0)
        j.look(lead_page, "patrol-lead-checked-out")
