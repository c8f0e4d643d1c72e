"""Times across the clock change, .ics invitations and feeds, and reminders sent exactly once."""
import datetime as dt

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.factories import make_user
from tests.factories_training import make_booking, make_course, make_session
from tests.threads import at_once
from volunteer_hub import clock
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.models import BookingStatus, OutboxMessage, db
from volunteer_hub.services import calendar as cal_svc
from volunteer_hub.services import training as svc
from volunteer_hub.templating import format_local

UTC = dt.UTC


# --- the clock change (last Sunday of March and of October 2026) -------------------------
def test_a_time_skipped_when_the_clocks_go_forward_is_refused_clearly(app):
    with pytest.raises(ValidationFailed, match="01:30 does not exist on 29 March 2026: the clocks go forward"):
        clock.local_to_utc(dt.date(2026, 3, 29), dt.time(1, 30))


def test_a_night_session_across_the_spring_change_is_an_hour_shorter(app):
    starts = clock.local_to_utc(dt.date(2026, 3, 29), dt.time(0, 30))
    ends = clock.local_to_utc(dt.date(2026, 3, 29), dt.time(3, 0))
    assert starts == dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert ends - starts == dt.timedelta(hours=1, minutes=30)
    assert format_local(starts, "long") == "Sunday 29 March 2026, 12:30am (GMT)"
    assert format_local(ends, "long") == "Sunday 29 March 2026, 3am (BST)"


def test_1_30_on_the_autumn_night_is_the_first_one_in_summer_time(app):
    starts = clock.local_to_utc(dt.date(2026, 10, 25), dt.time(1, 30))
    assert starts == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert format_local(starts, "long") == "Sunday 25 October 2026, 1:30am (BST)"
    ends = clock.local_to_utc(dt.date(2026, 10, 25), dt.time(2, 30))
    assert ends - starts == dt.timedelta(hours=2)  # 1:30 BST -> 1:00 GMT -> 2:30 GMT


def test_sessions_on_clock_change_nights_sort_by_real_time(app, trainer):
    course = make_course()
    made = {}
    for label, day, time in [("c", dt.date(2026, 10, 25), dt.time(2, 0)), ("a", dt.date(2026, 10, 25), dt.time(0, 45)),
                             ("b", dt.date(2026, 10, 25), dt.time(1, 30)), ("e", dt.date(2026, 3, 29), dt.time(3, 0)),
                             ("d", dt.date(2026, 3, 29), dt.time(0, 30))]:
        starts = clock.local_to_utc(day, time)
        made[label] = svc.create_session(svc.SessionValues(
            course=course, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), place="Hall", online_url=None,
            capacity=5, trainers=[trainer], booking_opens_at=starts - dt.timedelta(days=400),
            booking_closes_at=starts))
    ordered = list(db.session.scalars(select(type(made["a"])).order_by(type(made["a"]).starts_at)))
    assert [s.id for s in ordered] == [made[k].id for k in "deabc"]
    assert [format_local(made[k].starts_at, "time") for k in "abc"] == ["12:45am", "1:30am", "2am"]


# --- .ics ----------------------------------------------------------------------------------
def _event(data: bytes | str):
    cal = Calendar.from_ical(data)
    (event,) = list(cal.walk("VEVENT"))
    return cal, event


def test_the_invitation_has_a_stable_uid_london_times_and_the_details(app, trainer):
    course = make_course("Ask for Angela / WAVE for venue staff")
    starts = clock.local_to_utc(dt.date(2027, 7, 1), dt.time(19, 0))
    s = make_session(course, starts_in=dt.timedelta(days=300), place="The Red Lion, Bridge Street", trainers=[trainer])
    s.starts_at, s.ends_at = starts, starts + dt.timedelta(hours=2)
    db.session.commit()
    person = make_user(name="Zoë Martin")
    booking = make_booking(s, person)
    cal, event = _event(cal_svc.invitation_ics(booking))
    assert cal["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"booking-{booking.id}@volunteer-hub" == booking.calendar_uid
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART").replace(tzinfo=None) == dt.datetime(2027, 7, 1, 19, 0)
    assert event.decoded("DTSTART") == starts
    assert str(event["SUMMARY"]) == "Ask for Angela / WAVE for venue staff"
    assert str(event["LOCATION"]) == "The Red Lion, Bridge Street"
    assert "mailto:" + person.email in str(event["ATTENDEE"])
    assert any(c.name == "VTIMEZONE" for c in cal.walk())
    # The same UID again tomorrow; a cancellation carries it too.
    assert str(_event(cal_svc.invitation_ics(booking))[1]["UID"]) == booking.calendar_uid
    cal, cancel = _event(cal_svc.cancellation_ics(booking))
    assert cal["METHOD"] == "CANCEL" and str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == booking.calendar_uid
    assert int(cancel["SEQUENCE"]) >= int(event["SEQUENCE"])


def test_the_private_feed_lists_bookings_and_its_token_can_be_reset(app, volunteer):
    booked = make_booking(make_session(make_course("Bystander intervention")), volunteer)
    make_booking(make_session(make_course("Waiting course"), starts_in=dt.timedelta(days=20)), volunteer,
                 BookingStatus.WAITLISTED)
    make_booking(make_session(make_course("Someone else's")))
    token = svc.calendar_feed_token(volunteer)
    assert svc.calendar_feed_token(volunteer) == token  # stable until reset
    cal = Calendar.from_ical(svc.calendar_feed_for_token(token))
    events = list(cal.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["Bystander intervention"]
    assert str(events[0]["UID"]) == booked.calendar_uid
    new = svc.reset_calendar_feed(volunteer)
    assert new != token and svc.calendar_feed_for_token(token) is None
    assert svc.calendar_feed_for_token(new) is not None
    assert svc.calendar_feed_for_token("") is None


# --- reminders -----------------------------------------------------------------------------
def _reminders():
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("reminder:%"))
                                   .order_by(OutboxMessage.key)))


def test_reminders_go_once_each_at_2_days_and_2_hours_and_never_after_the_start(app):
    s = make_session(starts_in=dt.timedelta(days=5))
    booking = make_booking(s)
    make_booking(s, status=BookingStatus.WAITLISTED)
    starts = s.starts_at
    assert svc.send_due_reminders(now=starts - dt.timedelta(hours=49)) == 0
    assert svc.send_due_reminders(now=starts - dt.timedelta(hours=47)) == 1
    assert svc.send_due_reminders(now=starts - dt.timedelta(hours=46)) == 0
    assert svc.send_due_reminders(now=starts - dt.timedelta(hours=1)) == 1
    assert svc.send_due_reminders(now=starts - dt.timedelta(minutes=30)) == 0
    assert svc.send_due_reminders(now=starts + dt.timedelta(minutes=1)) == 0
    db.session.commit()
    assert _reminders() == [f"reminder:booking:{booking.id}:2h", f"reminder:booking:{booking.id}:48h"]
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("reminder:%2h")))
    assert mail.subject.startswith("Reminder:") and mail.recipient == booking.user.email


def test_a_late_job_run_sends_only_the_nearest_reminder_and_per_session_settings_apply(app):
    s = make_session(starts_in=dt.timedelta(days=5), reminder_hours="72")
    booking = make_booking(s)
    late = make_session(starts_in=dt.timedelta(days=6))
    other = make_booking(late)
    assert svc.send_due_reminders(now=late.starts_at - dt.timedelta(hours=1)) == 1  # not the missed 48h one
    assert svc.send_due_reminders(now=s.starts_at - dt.timedelta(hours=71)) == 1
    db.session.commit()
    assert _reminders() == [f"reminder:booking:{booking.id}:72h", f"reminder:booking:{other.id}:2h"]


def test_someone_who_books_after_a_reminder_time_does_not_get_that_reminder(app, volunteer):
    s = make_session(starts_in=dt.timedelta(hours=30))
    svc.book_session(s, volunteer)
    assert svc.send_due_reminders() == 0


def test_two_overlapping_reminder_runs_send_each_reminder_once(app):
    s = make_session(starts_in=dt.timedelta(hours=30))
    bookings = [make_booking(s) for _ in range(8)]
    results = at_once(app, svc.send_due_reminders, in_transaction=True)
    assert sorted(results) == [0, 8]
    assert _reminders() == sorted(f"reminder:booking:{b.id}:48h" for b in bookings)
