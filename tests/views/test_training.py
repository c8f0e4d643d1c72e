"""Training pages: what volunteers, trainers and coordinators see and do."""
import datetime as dt

from sqlalchemy import func, select

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub import clock
from volunteer_hub.jobs import send_outbox_job
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Booking,
    BookingStatus,
    CalendarFeed,
    OutboxMessage,
    Role,
    SessionStatus,
    TrainingSession,
    db,
    utcnow,
)
from volunteer_hub.services import training as svc


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_session_list_filters_and_shows_places_left_or_waitlist(client, volunteer):
    angela = make_course("Ask for Angela")
    open_one = make_session(angela, capacity=5, place="Town Hall, High Street")
    full = make_session(make_course("Bystander intervention"), capacity=1, place="Library",
                        starts_in=dt.timedelta(days=40))
    make_booking(open_one)
    make_booking(full)
    make_booking(full, status=BookingStatus.WAITLISTED)
    make_session(angela, starts_in=dt.timedelta(days=-3), opens_ago=dt.timedelta(days=9))  # past: not listed
    sign_in_as(client, volunteer)
    page = _text(client.get("/training/sessions"))
    assert "2 upcoming sessions" in page and "4 places left" in page and "Full · 1 waiting" in page
    assert page.index("Ask for Angela") < page.index("Bystander intervention")
    assert "Bystander" not in _text(client.get(f"/training/sessions?course={angela.id}")).split("upcoming")[1]
    month = clock.to_local(full.starts_at).strftime("%Y-%m")
    assert "1 upcoming session." in _text(client.get(f"/training/sessions?month={month}"))
    assert "1 upcoming session." in _text(client.get("/training/sessions?place=town+hall"))
    assert client.get("/training/sessions?course=abc&month=garbage&page=x").status_code == 200
    past_the_end = _text(client.get("/training/sessions?page=3"))
    assert "There is no page 3 of this list." in past_the_end and "No sessions match" not in past_the_end
    assert "No sessions match" in _text(client.get("/training/sessions?place=nowhere-at-all"))


def test_session_list_shows_a_session_under_way_first_and_not_one_that_has_ended(client, volunteer):
    make_session(make_course("Ended an hour ago"), starts_in=dt.timedelta(hours=-3), opens_ago=dt.timedelta(days=9))
    make_session(make_course("Long day, under way"), starts_in=dt.timedelta(hours=-40), hours=45,
                 opens_ago=dt.timedelta(days=9))
    tomorrow = make_session(make_course("Tomorrow"), starts_in=dt.timedelta(days=1), capacity=1)
    make_booking(tomorrow)
    make_booking(tomorrow, volunteer, status=BookingStatus.WAITLISTED)
    sign_in_as(client, volunteer)
    page = _text(client.get("/training/sessions"))
    listed = page.split("upcoming sessions")[1]  # after the course filter, which lists every course
    assert "2 upcoming sessions" in page and "Ended an hour ago" not in listed
    assert listed.index("Long day, under way") < listed.index("Tomorrow")
    assert listed.count("You are on the waitlist") == 1 and "Full · 1 waiting" in listed


def test_booking_from_the_session_page_and_a_double_click_books_once(client, training_session, volunteer, smtp_server):
    sign_in_as(client, volunteer)
    page = _text(client.get(f"/training/sessions/{training_session.id}"))
    assert "Town Hall, High Street" in page and "Trent Trainer" in page and "Book a place" in page
    r = client.post(f"/training/sessions/{training_session.id}/book", follow_redirects=True)
    assert "You are booked" in _text(r)
    r = client.post(f"/training/sessions/{training_session.id}/book", follow_redirects=True)
    assert "You are already booked" in _text(r)
    assert len(db.session.scalars(select(Booking)).all()) == 1
    send_outbox_job()
    (message,) = smtp_server.to(volunteer.email)
    calendar = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert calendar and "BEGIN:VCALENDAR" in calendar[0].get_content()


def test_a_refusal_is_shown_as_the_reason(client, volunteer):
    s = make_session(opens_ago=dt.timedelta(days=-2))
    sign_in_as(client, volunteer)
    r = client.post(f"/training/sessions/{s.id}/book", follow_redirects=True)
    assert "Booking for this session opens on" in _text(r)


def test_an_unconfirmed_person_is_sent_to_confirm_first(client, training_session):
    sign_in_as(client, make_user(confirmed=False))
    r = client.post(f"/training/sessions/{training_session.id}/book")
    assert r.status_code == 302 and "/auth/confirm" in r.headers["Location"]


def test_waitlist_position_offer_page_and_one_click_accept(client, app):
    s = make_session(capacity=1)
    first = make_booking(s)
    me = make_user(name="Wendy Waiting")
    make_booking(s, status=BookingStatus.WAITLISTED)
    sign_in_as(client, me)
    client.post(f"/training/sessions/{s.id}/book")
    assert "2nd in line" in _text(client.get("/training/mine"))
    assert "You are on the waitlist: 2nd in line" in _text(client.get(f"/training/sessions/{s.id}"))
    svc.cancel_booking(first, by=first.user)  # offer to the first waiting
    svc.decline_offer(db.session.scalar(select(Booking).where(Booking.status == BookingStatus.OFFERED)))
    db.session.commit()
    mine = db.session.scalar(select(Booking).where(Booking.user_id == me.id))
    assert mine.status is BookingStatus.OFFERED
    page = _text(client.get(f"/training/bookings/{mine.id}/offer"))  # the email's link
    assert "Accept the place" in page and f'action="/training/bookings/{mine.id}/accept"' in page
    r = client.post(f"/training/bookings/{mine.id}/accept", follow_redirects=True)
    assert "You are booked" in _text(r)
    db.session.refresh(mine)
    assert mine.status is BookingStatus.CONFIRMED


def test_viewing_a_session_never_writes_and_shows_overdue_offers_as_lapsed(client, volunteer):
    s = make_session(capacity=1)
    first = make_booking(s)
    late = make_booking(s, status=BookingStatus.WAITLISTED)
    make_booking(s, status=BookingStatus.WAITLISTED)
    svc.cancel_booking(first, by=first.user)
    late.offer_expires_at = utcnow() - dt.timedelta(minutes=5)
    db.session.commit()
    outbox = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    sign_in_as(client, late.user)
    page = _text(client.get(f"/training/sessions/{s.id}"))
    assert "A place is offered" not in page and "Accept" not in page  # the offer reads as lapsed
    offer = _text(client.get(f"/training/bookings/{late.id}/offer"))
    assert "this offer lapsed" in offer and "Accept the place" not in offer
    db.session.expire_all()
    assert db.session.get(Booking, late.id).status is BookingStatus.OFFERED  # nothing was written by a GET
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox


def test_accepting_an_overdue_offer_lapses_it_and_says_so(client):
    s = make_session(capacity=1)
    first = make_booking(s)
    late = make_booking(s, status=BookingStatus.WAITLISTED)
    nxt = make_booking(s, status=BookingStatus.WAITLISTED)
    svc.cancel_booking(first, by=first.user)
    late.offer_expires_at = utcnow() - dt.timedelta(minutes=5)
    db.session.commit()
    sign_in_as(client, late.user)
    response = client.post(f"/training/bookings/{late.id}/accept", data={}, follow_redirects=True)
    assert "this offer has lapsed" in _text(response)
    db.session.expire_all()
    assert db.session.get(Booking, late.id).status is BookingStatus.LAPSED
    assert db.session.get(Booking, nxt.id).status is BookingStatus.OFFERED


def test_my_training_lists_bookings_and_past_sessions_and_cancels(client, volunteer):
    upcoming = make_booking(make_session(make_course("Bystander intervention"), starts_in=dt.timedelta(days=3)),
                            volunteer)
    past = make_session(make_course("Ask for Angela"), starts_in=dt.timedelta(days=-20),
                        opens_ago=dt.timedelta(days=30))
    make_booking(past, volunteer)
    db.session.add(Attendance(session_id=past.id, user_id=volunteer.id, status=AttendanceStatus.PRESENT))
    past.finalised_at = utcnow()
    db.session.commit()
    sign_in_as(client, volunteer)
    page = _text(client.get("/training/mine"))
    assert "Bystander intervention" in page and "✓ Booked" in page and "Present" in page
    assert "/training/calendar/" in page
    r = client.post(f"/training/bookings/{upcoming.id}/cancel", data={"next": "/training/mine"})
    assert r.headers["Location"].endswith("/training/mine")
    assert db.session.get(Booking, upcoming.id).status is BookingStatus.CANCELLED


def test_nobody_cancels_someone_elses_booking(client, training_session, volunteer):
    other = make_booking(training_session)
    sign_in_as(client, volunteer)
    assert client.post(f"/training/bookings/{other.id}/cancel").status_code == 403
    assert client.get(f"/training/bookings/{other.id}/offer").status_code == 403


def test_calendar_feed_is_private_and_resettable(client, volunteer, training_session):
    make_booking(training_session, volunteer)
    token = svc.calendar_feed_token(volunteer)
    db.session.commit()
    r = client.get(f"/training/calendar/{token}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar" and "Bystander intervention" in _text(r)
    sign_in_as(client, volunteer)
    client.post("/training/calendar/reset")
    assert client.get(f"/training/calendar/{token}.ics").status_code == 404


def test_coordinator_schedules_a_session_and_a_skipped_hour_is_explained(client, coordinator, trainer, course):
    sign_in_as(client, coordinator)
    form = {"course_id": course.id, "date": "2026-03-29", "start_time": "01:30", "end_time": "03:00",
            "place": "Town Hall", "capacity": "12", "trainer_ids": [trainer.id]}
    r = client.post("/training/sessions/new", data=form)
    assert r.status_code == 400 and 'id="start_time-error"' in _text(r) and "clocks go forward" in _text(r)
    form.update(date="2027-02-10", start_time="18:00", end_time="20:30")
    r = client.post("/training/sessions/new", data=form)
    assert r.status_code == 302
    s = db.session.scalar(select(TrainingSession))
    assert clock.to_local(s.starts_at).hour == 18 and s.trainers == [trainer]
    assert s.cancellation_cutoff_at == s.starts_at - dt.timedelta(hours=24)


def test_coordinator_cannot_lower_capacity_below_bookings(client, coordinator, training_session):
    for _ in range(3):
        make_booking(training_session)
    sign_in_as(client, coordinator)
    local = clock.to_local(training_session.starts_at)
    r = client.post(f"/training/sessions/{training_session.id}/edit", data={
        "course_id": training_session.course_id, "date": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"), "end_time": clock.to_local(training_session.ends_at).strftime("%H:%M"),
        "place": training_session.place, "capacity": "2", "trainer_ids": [t.id for t in training_session.trainers]})
    assert r.status_code == 400 and "cannot go below 3" in _text(r) and 'id="capacity-error"' in _text(r)
    db.session.expire_all()
    assert db.session.get(TrainingSession, training_session.id).capacity == 10


def test_coordinator_books_in_copies_moves_and_cancels(client, coordinator, training_session, volunteer):
    sign_in_as(client, coordinator)
    r = client.post(f"/training/sessions/{training_session.id}/book-person", data={"email": volunteer.email},
                    follow_redirects=True)
    assert "Vera Volunteer is booked." in _text(r)
    new_day = (clock.to_local(training_session.starts_at) + dt.timedelta(days=7)).date()
    r = client.post(f"/training/sessions/{training_session.id}/copy", data={"new_date": new_day.isoformat()})
    copy_id = int(r.headers["Location"].split("/")[-2])
    booking = db.session.scalar(select(Booking))
    r = client.post(f"/training/bookings/{booking.id}/move", data={"session_id": copy_id}, follow_redirects=True)
    assert "Vera Volunteer is moved." in _text(r)
    moved = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
    assert moved.session_id == copy_id
    r = client.post(f"/training/sessions/{copy_id}/cancel", data={"reason": "Venue flooded"}, follow_redirects=True)
    assert "1 people have been emailed" in _text(r)
    assert db.session.get(TrainingSession, copy_id).status is SessionStatus.CANCELLED


def test_volunteers_cannot_manage_sessions(client, volunteer, training_session):
    sign_in_as(client, volunteer)
    assert client.get("/training/sessions/new").status_code == 403
    assert client.post(f"/training/sessions/{training_session.id}/cancel", data={"reason": "x"}).status_code == 403
    assert "Book someone in" not in _text(client.get(f"/training/sessions/{training_session.id}"))


def _today(trainer):
    return make_session(starts_in=dt.timedelta(minutes=-30), opens_ago=dt.timedelta(days=5),
                        closes_before=dt.timedelta(minutes=30), trainers=[trainer])


def test_trainer_takes_the_register_on_a_phone_with_and_without_javascript(client, trainer):
    s = _today(trainer)
    org = make_org("Street Pastors")
    amy = make_booking(s, make_user(name="Amy Able", organisation=org)).user
    bob = make_booking(s, make_user(name="Bob Brown")).user
    sign_in_as(client, trainer)
    assert "Register" in _text(client.get("/training/teaching"))
    page = _text(client.get(f"/training/sessions/{s.id}/register"))
    assert "Amy Able" in page and "Street Pastors" in page and 'name="status" value="left_early"' in page
    r = client.post(f"/training/sessions/{s.id}/register/{amy.id}", data={"status": "late"})  # no JavaScript
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#person-{amy.id}")
    r = client.post(f"/training/sessions/{s.id}/register/{bob.id}", data={"status": "absent"},
                    headers={"Accept": "application/json"})  # the script's fetch
    assert r.get_json() == {"ok": True, "status": "absent", "label": "Absent"}
    r = client.post(f"/training/sessions/{s.id}/register/{bob.id}", data={"status": "nonsense"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 409 and r.get_json()["ok"] is False
    marks = {a.user_id: a.status for a in db.session.scalars(select(Attendance))}
    assert marks == {amy.id: AttendanceStatus.LATE, bob.id: AttendanceStatus.ABSENT}


def test_walk_in_all_present_finalise_and_correction(client, trainer, coordinator):
    s = _today(trainer)
    make_booking(s, make_user(name="Booked Person"))
    sign_in_as(client, trainer)
    r = client.post(f"/training/sessions/{s.id}/register/walk-in", data={"email": "walk@example.org"})
    assert r.status_code == 400 and "Enter their name" in _text(r)
    r = client.post(f"/training/sessions/{s.id}/register/walk-in", data={"email": "walk@example.org", "name": "Walk In"},
                    follow_redirects=True)
    assert "Walk In is added as a walk-in" in _text(r)
    r = client.post(f"/training/sessions/{s.id}/register/all-present", follow_redirects=True)
    assert "1 people marked present" in _text(r)
    r = client.post(f"/training/sessions/{s.id}/register/finalise", follow_redirects=True)
    assert "The register is finalised." in _text(r) and "Finalised by Trent Trainer" in _text(r)
    walk_in = db.session.scalar(select(Attendance).where(Attendance.is_walk_in))
    assert client.post(f"/training/attendances/{walk_in.id}/correct",
                       data={"status": "absent", "reason": "x"}).status_code == 403
    sign_in_as(client, coordinator)
    assert "Correct this mark" in _text(client.get(f"/training/sessions/{s.id}/register"))
    r = client.post(f"/training/attendances/{walk_in.id}/correct", data={"status": "absent", "reason": "Left at once"},
                    follow_redirects=True)
    assert "Mark corrected for Walk In" in _text(r) and "Present → Absent (Left at once)" in _text(r)


def test_other_trainers_cannot_take_a_register(client, trainer):
    s = _today(trainer)
    sign_in_as(client, make_user(Role.TRAINER))
    assert client.get(f"/training/sessions/{s.id}/register").status_code == 403
    assert client.post(f"/training/sessions/{s.id}/register/finalise").status_code == 403


def test_printable_register_has_a_signature_column_and_fits_30(client, trainer):
    s = _today(trainer)
    for i in range(3):
        make_booking(s, make_user(name=f"Person {i}"))
    sign_in_as(client, trainer)
    page = _text(client.get(f"/training/sessions/{s.id}/register/print"))
    assert "Signature" in page and page.count("<tr>") == 1 + 12  # header + 3 people + 9 blank lines


def test_dashboard_panel_and_attendance_report(client, coordinator, volunteer, training_session):
    make_booking(training_session, volunteer)
    sign_in_as(client, volunteer)
    page = _text(client.get("/home"))
    assert "Your next sessions" in page and "Bystander intervention" in page
    sign_in_as(client, coordinator)
    assert "No finalised registers yet" in _text(client.get("/training/attendance"))


def test_course_catalogue_and_coordinator_adds_a_course(client, coordinator, volunteer):
    sign_in_as(client, coordinator)
    r = client.post("/training/courses/new", data={"title": "Trauma-informed practice", "duration_minutes": "180",
                                                   "validity_months": "", "is_active": "y"}, follow_redirects=True)
    assert "Trauma-informed practice is saved." in _text(r) and "does not expire" in _text(r)
    r = client.post("/training/courses/new", data={"title": "trauma-informed practice", "duration_minutes": "60"})
    assert "already a course called" in _text(r)
    sign_in_as(client, volunteer)
    assert "Trauma-informed practice" in _text(client.get("/training/courses"))


def test_coordinator_sets_whether_a_course_gives_certificates_and_whether_late_counts(client, coordinator):
    from volunteer_hub.models import Course

    sign_in_as(client, coordinator)
    client.post("/training/courses/new", data={"title": "Radio briefing", "duration_minutes": "30", "is_active": "y",
                                               "gives_certificate": "", "late_counts_as_attended": ""})
    course = db.session.scalar(select(Course).where(Course.title == "Radio briefing"))
    assert course.gives_certificate is False and course.late_counts_as_attended is False
    client.post(f"/training/courses/{course.id}/edit", data={"title": "Radio briefing", "duration_minutes": "30",
                                                             "is_active": "y", "gives_certificate": "y",
                                                             "late_counts_as_attended": ""})
    db.session.refresh(course)
    assert course.gives_certificate is True and course.late_counts_as_attended is False


def _queries(app, client, url) -> int:
    from sqlalchemy import event

    count = [0]

    def counter(*_args):
        count[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count[0]


def test_list_and_register_queries_do_not_grow_with_the_data(app, client, trainer, volunteer):
    s = _today(trainer)
    make_booking(s, make_user(organisation=make_org()))
    make_session(trainers=[trainer])
    sign_in_as(client, trainer)
    few = (_queries(app, client, "/training/sessions"), _queries(app, client, f"/training/sessions/{s.id}/register"))
    for i in range(6):
        make_booking(s, make_user(organisation=make_org()))
        make_booking(make_session(trainers=[trainer], starts_in=dt.timedelta(days=10 + i)))
    many = (_queries(app, client, "/training/sessions"), _queries(app, client, f"/training/sessions/{s.id}/register"))
    assert many == few


def test_the_list_shows_and_sorts_sessions_on_the_autumn_clock_change_night(client, volunteer, trainer, monkeypatch):
    course = make_course("Night-time economy walkabout")
    for time in (dt.time(2, 0), dt.time(0, 45), dt.time(1, 30)):
        starts = clock.local_to_utc(dt.date(2026, 10, 25), time)
        s = make_session(course, trainers=[trainer])
        s.starts_at, s.ends_at = starts, starts + dt.timedelta(hours=1)
        s.booking_opens_at, s.booking_closes_at = starts - dt.timedelta(days=2), starts
        s.cancellation_cutoff_at = starts - dt.timedelta(hours=1)
    db.session.commit()
    sign_in_as(client, volunteer)
    with clock.freeze(dt.datetime(2026, 10, 20, tzinfo=dt.UTC)):  # the week before
        page = _text(client.get("/training/sessions?month=2026-10"))
    assert "3 upcoming sessions" in page
    assert page.index("12:45am to 1:45am") < page.index("1:30am (BST) to 1:30am (GMT)") < page.index("2am to 3am")


def test_jobs_command_runs_the_training_jobs(runner, app):
    result = runner.invoke(args=["jobs", "run"])
    assert "lapse waitlist offers: 0 offers lapsed" in result.output
    assert "training reminders: 0 reminders queued" in result.output


def test_coordinator_moves_a_booking_from_its_own_page_listing_places_left(client, coordinator, training_session,
                                                                           volunteer):
    """The session page links each booking to a page that offers the course's next sessions
    (with the places they have left), instead of repeating that list in every row."""
    booking = make_booking(training_session, volunteer)
    later = make_session(training_session.course, capacity=4, place="Library", starts_in=dt.timedelta(days=14))
    make_booking(later)
    sign_in_as(client, coordinator)
    page = _text(client.get(f"/training/sessions/{training_session.id}"))
    assert "<select" not in page.split("Booked and waiting")[1]
    move_url = f"/training/bookings/{booking.id}/move"
    assert f'href="{move_url}"' in page
    r = client.get(move_url)
    assert r.status_code == 200
    form = _text(r)
    assert "Move Vera Volunteer" in form and "Library" in form and "3 places left" in form
    r = client.post(move_url, data={"session_id": later.id}, follow_redirects=True)
    assert "Vera Volunteer is moved." in _text(r)
    assert db.session.scalar(select(Booking.session_id).where(
        Booking.user_id == volunteer.id, Booking.status == BookingStatus.CONFIRMED)) == later.id


def test_the_move_page_says_when_there_is_no_other_session(client, coordinator, training_session, volunteer):
    booking = make_booking(training_session, volunteer)
    sign_in_as(client, coordinator)
    page = _text(client.get(f"/training/bookings/{booking.id}/move"))
    assert "no other upcoming session of this course" in page and "<select" not in page


def test_staff_see_the_places_and_waitlist_of_the_people_listed(client, coordinator, training_session):
    small = make_session(training_session.course, capacity=2, starts_in=dt.timedelta(days=9))
    make_booking(small)
    make_booking(small, status=BookingStatus.OFFERED)
    make_booking(small, status=BookingStatus.WAITLISTED)
    make_booking(small, status=BookingStatus.CANCELLED)
    sign_in_as(client, coordinator)
    page = _text(client.get(f"/training/sessions/{small.id}"))
    assert "Full · 1 waiting" in page and "Booked and waiting (3)" in page


def test_my_training_writes_nothing_and_offers_to_make_the_calendar_link(client, volunteer):
    sign_in_as(client, volunteer)
    page = _text(client.get("/training/mine"))
    assert "Make my calendar link" in page
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 0  # a GET made nothing
    page = _text(client.post("/training/calendar/reset", data={}, follow_redirects=True))
    assert "Your calendar link is ready" in page and "/training/calendar/" in page


def test_a_next_that_leaves_the_site_is_ignored_after_cancelling(client, volunteer):
    booking = make_booking(make_session(), volunteer)
    sign_in_as(client, volunteer)
    response = client.post(f"/training/bookings/{booking.id}/cancel", data={"next": "/\\evil.example"})
    assert response.headers["Location"].endswith(f"/training/sessions/{booking.session_id}")
