"""Each home page says what to do next: the volunteer's offers, renewals and unconfirmed email;
the trainer's places taken and registers to finalise; the coordinator's to-do counts and the
next four weeks; each panel's empty state says what to do."""
import datetime as dt

from tests.factories import make_user
from tests.factories_certificates import issue
from tests.factories_certificates import make_course as make_cert_course
from tests.factories_equipment import make_asset, make_item, make_place, stock
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub import clock
from volunteer_hub.models import BookingStatus, OutboxMessage, OutboxStatus, Role, db, utcnow
from volunteer_hub.services import equipment
from volunteer_hub.unit_of_work import unit_of_work


def test_a_volunteer_sees_an_offer_with_its_deadline_and_a_renewal_to_book(page):
    person = make_user(confirmed=False)
    page.sign_in(person)
    empty = page.get("/home")
    assert "You have no training booked. Find a session" in empty.text
    assert "Please confirm your email address" in empty.text

    offered = make_session(make_course("Ask for Angela"), starts_in=dt.timedelta(days=3))
    booking = make_booking(offered, person, BookingStatus.OFFERED)
    lapsed = make_booking(make_session(make_course("Drink spiking"), starts_in=dt.timedelta(days=4)), person,
                          BookingStatus.OFFERED)
    lapsed.offer_expires_at = utcnow() - dt.timedelta(minutes=1)
    course = make_cert_course("Bystander intervention", validity_months=12)
    issue(person, course, clock.today() - dt.timedelta(days=340))  # expires within 60 days
    db.session.commit()

    home = page.get("/home")
    offer = home.one(".vh-offer").get_text(" ", strip=True)
    assert "A place is yours if you want it" in offer and clock.format_local(offered.starts_at) in offer
    assert f"Answer by {clock.format_local(booking.offer_expires_at)}" in offer
    assert "Drink spiking" not in home.text  # an offer past its deadline reads as lapsed
    refresher = home.links()["book a refresher of Bystander intervention"]
    assert refresher == f"/training/sessions?course={course.id}"


def test_a_trainer_sees_places_taken_and_the_registers_to_finalise_oldest_first(page):
    trainer = make_user(Role.TRAINER, Role.VOLUNTEER)
    page.sign_in(trainer)
    assert "Nothing to teach yet" in page.get("/home").text
    course = make_course("Trauma-informed practice")
    upcoming = make_session(course, starts_in=dt.timedelta(days=2), capacity=12, trainers=[trainer])
    for _ in range(3):
        make_booking(upcoming, make_user())
    older = make_session(course, starts_in=dt.timedelta(days=-9), opens_ago=dt.timedelta(days=20), trainers=[trainer])
    newer = make_session(course, starts_in=dt.timedelta(days=-2), opens_ago=dt.timedelta(days=20), trainers=[trainer])
    done = make_session(course, starts_in=dt.timedelta(days=-5), opens_ago=dt.timedelta(days=20), trainers=[trainer],
                        finalised_at=utcnow())
    home = page.get("/home")
    assert f"{clock.format_local(upcoming.starts_at)}: 3 of 12 places taken" in home.text
    finalise = [a.get("href") for a in home.select("#registers-to-finalise a")]
    assert finalise == [f"/training/sessions/{older.id}/register", f"/training/sessions/{newer.id}/register"]
    assert f"/training/sessions/{done.id}/register" not in finalise


def test_a_coordinator_sees_what_needs_doing(page):
    coordinator = make_user(Role.COORDINATOR)
    page.sign_in(coordinator)
    calm = page.get("/home")
    assert "Nothing urgent" in calm.text and "No sessions in the next four weeks. Schedule one" in calm.text

    renewing = make_user()
    renewing.dbs_renew_by = clock.today() + dt.timedelta(days=80)
    make_user().dbs_renew_by = clock.today() + dt.timedelta(days=120)  # not yet
    make_user(confirmed=False)
    db.session.add(OutboxMessage(key="stuck", recipient="x@example.org", subject="s", body_text="", body_html="",
                                 status=OutboxStatus.FAILED, attempts=10))
    db.session.commit()
    radio = make_asset("RADIO-1")
    volunteer = make_user()
    with unit_of_work(actor=coordinator):
        loan = equipment.check_out_asset(radio, volunteer, clock.today(), by=coordinator)
    loan.due_on = clock.today() - dt.timedelta(days=1)
    bag = equipment.kit_bag_for(volunteer)
    db.session.commit()
    alarm = make_item("Personal alarm", plural="personal alarms")
    stock(bag, alarm, 10)
    with unit_of_work(actor=volunteer):
        equipment.hand_out_stock(bag, {alarm: 4}, by=volunteer, place=make_place("Market Square"))
    full = make_session(make_course("Ask for Angela"), starts_in=dt.timedelta(days=10), capacity=1, trainers=[])
    make_booking(full, make_user())
    make_booking(full, make_user(), BookingStatus.WAITLISTED)
    make_session(make_course("Too far"), starts_in=dt.timedelta(days=40), trainers=[])

    home = page.get("/home")
    todo = home.text
    assert "1 DBS check to renew in the next 90 days" in todo
    assert "1 radio or other kit overdue" in todo
    assert "1 sign-up not confirmed" in todo
    assert "1 email failing to send" in todo
    assert "Handed out in the last 7 days: 4 items" in todo
    assert "1 of 1 places taken, 1 waiting · full" in todo
    assert "Too far" not in todo


def test_an_admin_in_production_sees_unsafe_settings(app, page):
    page.sign_in(make_user(Role.ADMIN))
    assert "Unsafe setting" not in page.get("/home").text  # development and tests: nothing to say
    app.config["VH_ENV"] = "production"
    assert "Unsafe setting RATELIMIT_STORAGE_URI" in page.get("/home").text
