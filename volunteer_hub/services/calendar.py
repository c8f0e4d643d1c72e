"""iCalendar invitations and feeds for training bookings (the icalendar library).

One UID per booking (`Booking.calendar_uid`), so a phone updates or removes the same event.
Times carry TZID=Europe/London with the VTIMEZONE included.
"""
from __future__ import annotations

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from volunteer_hub import clock
from volunteer_hub.models import Booking, BookingStatus, SessionStatus, utcnow
from volunteer_hub.urls import external_url

PRODID = "-//volunteer_hub//training//EN"


def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _event(booking: Booking, cancelled: bool) -> Event:
    session = booking.session
    tz = clock.ZONE
    event = Event()
    event.add("uid", booking.calendar_uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.starts_at.astimezone(tz))
    event.add("dtend", session.ends_at.astimezone(tz))
    event.add("summary", session.course.title)
    # SEQUENCE rises with every change so calendars take the newest version.
    event.add("sequence", int(utcnow().timestamp()) // 60 - 29_000_000)
    if session.place:
        event.add("location", session.place)
    elif session.online_url:
        event.add("location", session.online_url)
    url = external_url("training.session_detail", session_id=session.id)
    event.add("url", url)
    description = [session.course.summary or "", session.notes or "", url]
    event.add("description", "\n\n".join(part for part in description if part))
    organizer = vCalAddress("mailto:" + _sender_address())
    organizer.params["cn"] = vText(current_app.config["VH_PARTNERSHIP_NAME"])
    event.add("organizer", organizer)
    attendee = vCalAddress("mailto:" + booking.user.email)
    attendee.params["cn"] = vText(booking.user.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _sender_address() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "no-reply@volunteer-hub.local"
    return sender.split("<")[-1].rstrip(">").strip()


def _finish(cal: Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation_ics(booking: Booking) -> bytes:
    cal = _calendar("REQUEST")
    cal.add_component(_event(booking, cancelled=False))
    return _finish(cal)


def cancellation_ics(booking: Booking) -> bytes:
    cal = _calendar("CANCEL")
    cal.add_component(_event(booking, cancelled=True))
    return _finish(cal)


def _attachment(data: bytes, method: str) -> dict:
    return {"filename": "invite.ics", "content_type": f"text/calendar; charset=utf-8; method={method}",
            "data": data.decode("utf-8")}


def invitation(booking: Booking) -> dict:
    """The outbox attachment for a booking's invitation."""
    return _attachment(invitation_ics(booking), "REQUEST")


def cancellation(booking: Booking) -> dict:
    return _attachment(cancellation_ics(booking), "CANCEL")


def _patrol_event(member) -> Event:
    """A patrol shift in the person's feed: its own UID space (patrol-N@), so it never replaces a booking."""
    shift = member.shift
    event = Event()
    event.add("uid", member.calendar_uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", shift.starts_at.astimezone(clock.ZONE))
    event.add("dtend", shift.ends_at.astimezone(clock.ZONE))
    event.add("summary", f"Patrol: {shift.title}")
    if shift.meeting_point:
        event.add("location", shift.meeting_point)
    url = external_url("patrols.shift", shift_id=shift.id)
    event.add("url", url)
    event.add("description", "\n\n".join(part for part in (shift.area, shift.notes, url) if part))
    event.add("sequence", int(utcnow().timestamp()) // 60 - 29_000_000)
    cancelled = shift.is_cancelled or not member.is_joined
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def feed(bookings: list[Booking], patrols=()) -> bytes:
    """A person's private feed: their booked sessions and patrol shifts; cancelled ones (or shifts
    they left) marked cancelled."""
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", "Training bookings")
    for member in patrols:
        cal.add_component(_patrol_event(member))
    seen = set()
    for booking in sorted(bookings, key=lambda b: (b.session.starts_at, b.id)):
        cancelled = booking.status is BookingStatus.CANCELLED or booking.session.status is SessionStatus.CANCELLED
        if booking.calendar_uid in seen:
            continue
        seen.add(booking.calendar_uid)
        cal.add_component(_event(booking, cancelled=cancelled))
    return _finish(cal)
