"""Booking rules: every refusal reason, the waitlist, offers, capacity changes, cancellations."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub import clock
from volunteer_hub.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from volunteer_hub.jobs import lapse_offers_job
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Booking,
    BookingStatus,
    OutboxMessage,
    Role,
    SessionStatus,
    db,
    utcnow,
)
from volunteer_hub.queries import register as register_queries
from volunteer_hub.queries import training as training_queries
from volunteer_hub.services import training as svc


def _emails(to=None):
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    rows = db.session.scalars(stmt).all()
    return [m for m in rows if to is None or m.recipient == to]


def test_a_confirmed_volunteer_books_in_one_step_and_gets_an_invitation(training_session, volunteer):
    booking = svc.book_session(training_session, volunteer)
    assert booking.status is BookingStatus.CONFIRMED and booking.queue_number == 1
    (email,) = _emails(volunteer.email)
    assert email.subject.startswith("Booked: Bystander intervention")
    assert email.attachments[0]["filename"] == "invite.ics"
    assert "METHOD:REQUEST" in email.attachments[0]["data"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (dict(status=SessionStatus.CANCELLED), "This session has been cancelled."),
        (dict(starts_in=dt.timedelta(hours=-1)), "already started or finished"),
        (dict(opens_ago=dt.timedelta(days=-2)), "Booking for this session opens on"),
        (dict(starts_in=dt.timedelta(days=1), closes_before=dt.timedelta(days=2), opens_ago=dt.timedelta(days=5)),
         "Booking for this session has closed."),
    ],
    ids=["cancelled", "past", "not-yet-open", "closed"],
)
def test_refusals_about_the_session(app, volunteer, setup, message):
    values = dict(setup)
    status = values.pop("status", None)
    if values.get("starts_in", dt.timedelta(0)) < dt.timedelta(0):
        values.update(opens_ago=dt.timedelta(days=3), closes_before=dt.timedelta(hours=-2))
    s = make_session(**values)
    if status:
        s.status = status
        db.session.commit()
    with pytest.raises(Conflict, match=message):
        svc.book_session(s, volunteer)
    assert db.session.scalars(select(Booking)).all() == []


def test_already_booked_and_already_waiting_are_refused(training_session, volunteer):
    svc.book_session(training_session, volunteer)
    with pytest.raises(Conflict, match="You are already booked"):
        svc.book_session(training_session, volunteer)
    full = make_session(capacity=1, starts_in=dt.timedelta(days=20))
    make_booking(full)
    svc.book_session(full, volunteer)
    with pytest.raises(Conflict, match="already on the waitlist"):
        svc.book_session(full, volunteer)


def test_the_database_refuses_a_second_active_booking(training_session, volunteer):
    make_booking(training_session, volunteer)
    db.session.add(Booking(session_id=training_session.id, user_id=volunteer.id, status=BookingStatus.WAITLISTED,
                           queue_number=99))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.commit()
    db.session.rollback()


def test_prerequisite_is_checked_against_current_certificates(app, volunteer, trainer):
    from volunteer_hub.services.certificates import sync_certificates_for_session

    basic = make_course("Bystander intervention")
    advanced = make_course("Trauma-informed practice", prerequisite=basic)
    s = make_session(advanced)
    with pytest.raises(NotAllowed, match="You need to complete Bystander intervention"):
        svc.book_session(s, volunteer)
    past = make_session(basic, starts_in=dt.timedelta(days=-10), opens_ago=dt.timedelta(days=20),
                        closes_before=dt.timedelta(0))
    db.session.add(Attendance(session_id=past.id, user_id=volunteer.id, status=AttendanceStatus.ABSENT))
    past.finalised_at = utcnow()
    sync_certificates_for_session(past)
    db.session.commit()
    assert not svc.has_completed_prerequisite(volunteer, advanced)  # absent: no certificate
    db.session.scalar(select(Attendance)).status = AttendanceStatus.LATE
    sync_certificates_for_session(past)
    db.session.commit()
    assert svc.book_session(s, volunteer).status is BookingStatus.CONFIRMED


def test_an_expired_or_revoked_prerequisite_certificate_does_not_count(app, volunteer):
    from volunteer_hub.models import Certificate
    from volunteer_hub.services.certificates import revoke_certificate, sync_certificates_for_session

    basic = make_course("Bystander intervention")
    basic.validity_months = 12
    advanced = make_course("Trauma-informed practice", prerequisite=basic)
    past = make_session(basic, starts_in=dt.timedelta(days=-10), opens_ago=dt.timedelta(days=20),
                        closes_before=dt.timedelta(0))
    db.session.add(Attendance(session_id=past.id, user_id=volunteer.id, status=AttendanceStatus.PRESENT))
    past.finalised_at = utcnow()
    sync_certificates_for_session(past)
    db.session.commit()
    assert svc.has_completed_prerequisite(volunteer, advanced)
    certificate = db.session.scalar(select(Certificate))
    certificate.expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    assert not svc.has_completed_prerequisite(volunteer, advanced)
    certificate.expires_on = None
    db.session.commit()
    assert svc.has_completed_prerequisite(volunteer, advanced)
    revoke_certificate(certificate, "Issued to the wrong person", by=volunteer)
    db.session.commit()
    assert not svc.has_completed_prerequisite(volunteer, advanced)


def test_a_prerequisite_without_certificates_is_checked_by_attendance(app, volunteer):
    basic = make_course("Briefing")
    basic.gives_certificate = False
    advanced = make_course("Patrol practice", prerequisite=basic)
    past = make_session(basic, starts_in=dt.timedelta(days=-10), opens_ago=dt.timedelta(days=20),
                        closes_before=dt.timedelta(0))
    db.session.add(Attendance(session_id=past.id, user_id=volunteer.id, status=AttendanceStatus.PRESENT))
    past.finalised_at = utcnow()
    db.session.commit()
    assert svc.has_completed_prerequisite(volunteer, advanced)


def test_an_overlapping_booking_is_refused_and_named(app, volunteer):
    first = make_session(make_course("Ask for Angela"), starts_in=dt.timedelta(days=5), hours=3)
    second = make_session(starts_in=dt.timedelta(days=5, hours=2))
    svc.book_session(first, volunteer)
    with pytest.raises(Conflict, match="overlaps another of your bookings: Ask for Angela on"):
        svc.book_session(second, volunteer)


def test_an_unconfirmed_person_cannot_book(training_session):
    person = make_user(confirmed=False)
    with pytest.raises(NotAllowed, match="Confirm your email"):
        svc.book_session(training_session, person)


def test_a_full_session_puts_people_on_the_waitlist_in_order(app):
    s = make_session(capacity=2)
    people = [make_user() for _ in range(5)]
    bookings = [svc.book_session(s, p) for p in people]
    assert [b.status for b in bookings] == [BookingStatus.CONFIRMED] * 2 + [BookingStatus.WAITLISTED] * 3
    assert [training_queries.waitlist_position(b) for b in bookings[2:]] == [1, 2, 3]
    assert "(3rd in line)" in _emails(people[4].email)[0].body_text


def test_waitlist_positions_of_many_bookings_match_each_ones_position(app):
    full, other = make_session(capacity=1), make_session(capacity=1, starts_in=dt.timedelta(days=9))
    people = [make_user() for _ in range(4)]
    bookings = [svc.book_session(full, p) for p in people] + [svc.book_session(other, p) for p in people[:2]]
    svc.cancel_booking(bookings[1], by=people[1])  # the first in line leaves: the others move up
    db.session.commit()
    positions = training_queries.waitlist_positions(bookings)
    assert positions == {b.id: training_queries.waitlist_position(b) for b in bookings}
    assert [positions[b.id] for b in bookings] == [None, None, 1, 2, None, 1]
    assert training_queries.waitlist_positions([]) == {}


def test_a_cancellation_offers_the_place_to_the_first_in_line(app):
    s = make_session(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    booking_a = svc.book_session(s, a)
    booking_b = svc.book_session(s, b)
    svc.book_session(s, c)
    svc.cancel_booking(booking_a, by=a)
    assert booking_b.status is BookingStatus.OFFERED
    assert booking_b.offer_expires_at == pytest.approx(utcnow() + dt.timedelta(hours=24), abs=dt.timedelta(seconds=5))
    offer = _emails(b.email)[-1]
    assert offer.subject.startswith("A place for you") and f"/training/bookings/{booking_b.id}/offer" in offer.body_text
    cancelled = _emails(a.email)[-1]
    assert "METHOD:CANCEL" in cancelled.attachments[0]["data"]


def test_the_offer_deadline_is_configurable_and_never_after_booking_closes(app):
    app.config["VH_OFFER_HOURS"] = 6
    s = make_session(capacity=1, starts_in=dt.timedelta(days=10))
    first, second = svc.book_session(s, make_user()), svc.book_session(s, make_user())
    svc.cancel_booking(first, by=first.user)
    assert second.offer_expires_at == pytest.approx(utcnow() + dt.timedelta(hours=6), abs=dt.timedelta(seconds=5))
    soon = make_session(capacity=1, starts_in=dt.timedelta(hours=5), closes_before=dt.timedelta(hours=2))
    first, second = svc.book_session(soon, make_user()), svc.book_session(soon, make_user())
    svc.cancel_booking(first, by=first.user)
    assert second.offer_expires_at == soon.booking_closes_at


def test_accepting_confirms_with_an_invitation_and_declining_passes_it_on(app):
    s = make_session(capacity=1)
    bookings = [svc.book_session(s, make_user()) for _ in range(3)]
    svc.cancel_booking(bookings[0], by=bookings[0].user)
    svc.decline_offer(bookings[1])
    assert bookings[1].status is BookingStatus.DECLINED and bookings[2].status is BookingStatus.OFFERED
    svc.accept_offer(bookings[2])
    assert bookings[2].status is BookingStatus.CONFIRMED
    assert "METHOD:REQUEST" in _emails(bookings[2].user.email)[-1].attachments[0]["data"]
    with pytest.raises(Conflict, match="already accepted"):
        svc.accept_offer(bookings[2])


def test_a_lapsed_offer_passes_to_the_next_person(app):
    s = make_session(capacity=1)
    bookings = [svc.book_session(s, make_user()) for _ in range(3)]
    svc.cancel_booking(bookings[0], by=bookings[0].user)
    bookings[1].offer_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    outcome = svc.accept_offer(bookings[1])  # a refusal that leaves a trace: the lapse is written, not raised
    assert outcome.lapsed and outcome.booking is bookings[1]
    assert bookings[1].status is BookingStatus.LAPSED and bookings[2].status is BookingStatus.OFFERED
    assert _emails(bookings[1].user.email)[-1].subject.startswith("Offer lapsed")


def test_the_lapse_job_handles_expired_offers(app):
    s = make_session(capacity=1)
    bookings = [svc.book_session(s, make_user()) for _ in range(3)]
    svc.cancel_booking(bookings[0], by=bookings[0].user)
    bookings[1].offer_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    assert lapse_offers_job() == "1 offers lapsed in 1 sessions"
    assert bookings[2].status is BookingStatus.OFFERED
    assert lapse_offers_job() == "0 offers lapsed in 0 sessions"


def test_lowering_capacity_below_the_places_taken_is_refused(app):
    s = make_session(capacity=3)
    for _ in range(3):
        svc.book_session(s, make_user())
    with pytest.raises(ValidationFailed, match="3 places are booked or offered, so the capacity cannot go below 3"):
        svc.change_capacity(s, 2)


def test_raising_capacity_offers_the_new_places_in_order(app):
    s = make_session(capacity=1)
    bookings = [svc.book_session(s, make_user()) for _ in range(4)]
    offered = svc.change_capacity(s, 3)
    assert offered == bookings[1:3]
    assert bookings[3].status is BookingStatus.WAITLISTED and training_queries.waitlist_position(bookings[3]) == 3


def test_a_cancellation_after_the_cut_off_is_taken_but_marked_late(app):
    s = make_session(starts_in=dt.timedelta(hours=10), cutoff_before=dt.timedelta(hours=24))
    booking = svc.book_session(s, make_user())
    svc.cancel_booking(booking, by=booking.user)
    assert booking.status is BookingStatus.CANCELLED and booking.is_late_cancellation
    assert register_queries.late_cancellations(s) == [booking]
    early = svc.book_session(make_session(starts_in=dt.timedelta(days=5)), make_user())
    svc.cancel_booking(early, by=early.user)
    assert not early.is_late_cancellation
    with pytest.raises(Conflict, match="already cancelled"):
        svc.cancel_booking(early, by=early.user)


def test_a_coordinator_books_in_and_moves_someone_to_another_session(app, coordinator, volunteer):
    course = make_course()
    here = make_session(course, starts_in=dt.timedelta(days=3))
    there = make_session(course, starts_in=dt.timedelta(days=9))
    elsewhere = make_session(starts_in=dt.timedelta(days=12))
    booking = svc.book_session(here, volunteer, by=coordinator)
    assert booking.booked_by_id == coordinator.id
    with pytest.raises(ValidationFailed, match="same course"):
        svc.move_booking(booking, elsewhere, by=coordinator)
    moved = svc.move_booking(booking, there, by=coordinator)
    assert booking.status is BookingStatus.CANCELLED and moved.status is BookingStatus.CONFIRMED
    assert moved.session_id == there.id


def test_cancelling_a_session_tells_everyone_booked_or_waiting(app, coordinator):
    s = make_session(capacity=1)
    booked, waiting = svc.book_session(s, make_user()), svc.book_session(s, make_user())
    with pytest.raises(ValidationFailed, match="Say why"):
        svc.cancel_session(s, "", by=coordinator)
    assert svc.cancel_session(s, "Trainer ill", by=coordinator) == 2
    assert booked.status is BookingStatus.CANCELLED and waiting.status is BookingStatus.CANCELLED
    to_booked = _emails(booked.user.email)[-1]
    assert to_booked.subject.startswith("Cancelled:") and "Trainer ill" in to_booked.body_text
    assert "METHOD:CANCEL" in to_booked.attachments[0]["data"]
    assert _emails(waiting.user.email)[-1].attachments == []


def test_editing_time_or_place_emails_people_and_copy_keeps_local_times(app, coordinator, trainer):
    course = make_course()
    values = svc.SessionValues(course=course, starts_at=clock.local_to_utc(dt.date(2027, 6, 1), dt.time(18)),
                               ends_at=clock.local_to_utc(dt.date(2027, 6, 1), dt.time(20)), place="Town Hall",
                               online_url=None, capacity=5, trainers=[trainer])
    s = svc.create_session(values)
    booking = svc.book_session(s, make_user())
    values.place = "Library"
    svc.update_session(s, values)
    changed = _emails(booking.user.email)[-1]
    assert changed.subject.startswith("Changed:") and "Library" in changed.body_text
    copy = svc.copy_session(s, dt.date(2027, 1, 12))  # winter: same 6pm local, different UTC hour
    assert clock.to_local(copy.starts_at).hour == 18 and copy.starts_at.hour == 18
    assert s.starts_at.hour == 17 and copy.place == "Library" and copy.trainers == [trainer]


def test_session_values_are_checked(app, trainer, volunteer):
    course = make_course()
    start = utcnow() + dt.timedelta(days=3)
    base = dict(course=course, starts_at=start, ends_at=start + dt.timedelta(hours=2), place="Hall",
                online_url=None, capacity=5, trainers=[trainer])
    for change, message in [
        (dict(ends_at=start), "must end after it starts"),
        (dict(ends_at=start + dt.timedelta(hours=49)), "within 48 hours"),
        (dict(place=None), r"place \(address\) or an online link"),
        (dict(trainers=[]), "at least one trainer"),
        (dict(trainers=[volunteer]), "is not a trainer"),
        (dict(booking_closes_at=start + dt.timedelta(hours=1)), "close by the time the session starts"),
        (dict(reminder_hours="soon"), "whole numbers of hours"),
    ]:
        with pytest.raises(DomainError, match=message):
            svc.create_session(svc.SessionValues(**{**base, **change}))


def test_course_titles_are_unique_and_not_their_own_prerequisite(app):
    course = svc.save_course(None, title="Bystander intervention", duration_minutes=90)
    with pytest.raises(Conflict, match="already a course called"):
        svc.save_course(None, title="bystander intervention")
    with pytest.raises(ValidationFailed, match="its own prerequisite"):
        svc.save_course(course, title=course.title, prerequisite_id=course.id)


def test_trainers_only_teach_what_they_are_given(app):
    trainer = make_user(Role.TRAINER)
    s = make_session(trainers=[trainer])
    assert training_queries.trainer_sessions(trainer) == [s] and training_queries.is_trainer_of(trainer, s)


def test_an_overdue_offer_reads_as_lapsed_and_the_next_booking_makes_it_so(app):
    s = make_session(capacity=1)
    bookings = [svc.book_session(s, make_user()) for _ in range(2)]
    svc.cancel_booking(bookings[0], by=bookings[0].user)
    late = bookings[1]
    late.offer_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    assert late.offer_lapsed(utcnow()) and late.status_at(utcnow()) is BookingStatus.LAPSED
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.offer_lapsed(utcnow()))) == 1
    newcomer = svc.book_session(s, make_user())  # the write that locks the session settles the lapse first
    assert late.status is BookingStatus.LAPSED and newcomer.status is BookingStatus.CONFIRMED
