"""Journey 1, complete: a new volunteer signs up, confirms the email, books a session, gets the
confirmation with its calendar invitation, cancels and rebooks. Journey 2: a second volunteer
joins the waitlist of a full session, gets the offer when someone cancels, follows its link and
accepts. Each with the mouse and with the keyboard alone."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from tests.smtp import SmtpSink

pytestmark = pytest.mark.e2e

PASSWORD = "lantern harbour violet 42"
LONDON = ZoneInfo("Europe/London")


def calendar_attachment(message):
    """The .ics attached to an email: (its Content-Type header, its text with folded lines joined)."""
    found = [part for part in message.iter_attachments() if part.get_filename() == "invite.ics"]
    assert len(found) == 1, f"expected one invite.ics in {message['Subject']!r}"
    text = found[0].get_content()
    text = text.decode() if isinstance(text, bytes) else text
    return found[0]["Content-Type"], re.sub(r"\r?\n[ \t]", "", text)


def calendar_uid(ics: str) -> str:
    uids = re.findall(r"^UID:(.+?)\r?$", ics, re.M)
    assert len(uids) == 1, ics
    return uids[0]


def check_invitation(message, session, method: str) -> str:
    """The email's invitation is a METHOD:<method> calendar for the session, in London time. Returns its UID."""
    content_type, ics = calendar_attachment(message)
    assert content_type.content_type == "text/calendar" and content_type.params["method"] == method
    assert re.search(rf"^METHOD:{method}\r?$", ics, re.M), ics
    start = session.starts_at.astimezone(LONDON)
    assert f"DTSTART;TZID=Europe/London:{start:%Y%m%dT%H%M%S}" in ics, ics
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Europe/London" in ics
    assert f"SUMMARY:{session.course}" in ics
    return calendar_uid(ics)


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_a_new_volunteer_books_a_session_gets_the_invitation_cancels_and_rebooks(page, live_server, scene, keyboard):
    how = "keyboard" if keyboard else "mouse"
    session = scene.session("Night-time safety briefing" if keyboard else "Safer streets walk-through")
    email = f"noor.booker.{how}@example.org"

    j.sign_up(page, "Noor Booker", email, PASSWORD, keyboard=keyboard)
    j.confirm_email(page, live_server, email)
    j.sign_in(page, email, PASSWORD, keyboard=keyboard)
    j.find_session(page, session.course, keyboard=keyboard)
    j.look(page, "session")
    j.book(page, keyboard=keyboard)

    booked = live_server.email_to(email, f"Booked: {session.course}")
    assert live_server.link_in(booked, f"/training/sessions/{session.id}")
    first_uid = check_invitation(booked, session, "REQUEST")
    assert re.fullmatch(r"booking-\d+@volunteer-hub", first_uid)

    j.cancel_booking(page, keyboard=keyboard)
    cancelled = live_server.email_to(email, f"Cancelled: {session.course}")
    assert check_invitation(cancelled, session, "CANCEL") == first_uid  # the phone removes the same event

    j.book(page, keyboard=keyboard)
    rebooked = live_server.email_to(email, f"Booked: {session.course}")
    assert rebooked is not booked
    assert check_invitation(rebooked, session, "REQUEST") != first_uid  # a new booking, a new event

    j.open_nav(page, "My training", keyboard=keyboard)
    j.heading(page, "My training")
    card = page.locator(".card", has=page.get_by_role("heading", name=session.course))
    expect(card).to_contain_text("✓ Booked")
    j.look(page, "my-training")


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_a_waiting_volunteer_gets_the_freed_place_by_email_and_accepts_it(browser, page, phone_page, live_server,
                                                                         scene, keyboard):
    first = scene.person("Ian Price" if keyboard else "Fola Adebayo")
    second = scene.person("Jess Hughes" if keyboard else "Sam Okoro")
    session = scene.session("WAVE for door staff" if keyboard else "Ask for Angela refresher", capacity=1,
                            booked=[first])

    # The second volunteer finds the session full and joins its waitlist.
    j.sign_in(page, second.email, second.password, keyboard=keyboard)
    j.find_session(page, session.course, keyboard=keyboard)
    j.join_waitlist(page, keyboard=keyboard)
    waitlisted = live_server.email_to(second.email, f"Waitlist: {session.course}")
    assert "1st" in SmtpSink.text(waitlisted)

    # The first volunteer cancels from My training, in their own browser.
    other = browser.new_context(base_url=live_server.url, viewport=page.viewport_size, reduced_motion="reduce")
    try:
        first_page = other.new_page()
        j.sign_in(first_page, first.email, first.password, keyboard=keyboard)
        j.cancel_from_my_training(first_page, session.course, keyboard=keyboard)
    finally:
        other.close()

    # The offer email reaches the second volunteer, who opens its link on a phone and signs in.
    offer = live_server.email_to(second.email, f"A place for you: {session.course}")
    phone_page.goto(live_server.link_in(offer, "/offer"))
    j.sign_in(phone_page, second.email, second.password, keyboard=keyboard)
    j.accept_offer(phone_page, session.course, keyboard=keyboard)
    j.look(phone_page, "session-accepted")
    confirmed = live_server.email_to(second.email, f"Booked: {session.course}")
    check_invitation(confirmed, session, "REQUEST")
