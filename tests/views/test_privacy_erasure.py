"""Erasure as the admin and the person see it: the confirmation page says what will happen, a
wrong typed name is refused next to the field, the register shows "Removed person #N"; a person
asks from Your details, the deadline is on the admin's home page, a declined request is emailed."""
import datetime as dt

from sqlalchemy import select

from tests.factories import make_user
from tests.factories_certificates import make_course, make_session, mark
from tests.factories_equipment import make_item, make_store, stock
from volunteer_hub import clock
from volunteer_hub.models import AuditEntry, ErasureRequest, OutboxMessage, Role, User, db
from volunteer_hub.services import equipment


def _admin(page):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    page.sign_in(admin)
    return admin


def test_the_admin_sees_what_erasure_will_do_then_erases(page):
    _admin(page)
    person = make_user(name="Wanda Wipe")
    store, alarm = make_store("Central store"), make_item("Personal alarm")
    bag = equipment.kit_bag_for(person)
    db.session.commit()
    stock(bag, alarm, 4)
    course = make_course("Bystander intervention")
    session = make_session(course)
    mark(session, person)

    confirm = page.get(f"/people/{person.id}/erase")
    assert "4 personal alarms" in confirm.text and "Removed person #" in confirm.text
    assert confirm.one("#store_id")  # kit is held: the form asks where it goes

    refused = page.post(f"/people/{person.id}/erase", {"reason": "Asked", "confirmation": "Wanda",
                                                       "store_id": str(store.id)}, status=400)
    assert "Type the person's name, Wanda Wipe" in refused.field_error("confirmation")
    assert db.session.get(User, person.id).name == "Wanda Wipe"

    done = page.post(f"/people/{person.id}/erase", {"reason": "Asked by phone", "confirmation": "wanda wipe",
                                                    "store_id": str(store.id)}, status=302)
    shown = page.follow(done)
    assert shown.h1.startswith(f"Removed person #{person.id}") and "Erased" in shown.h1
    register = page.get(f"/training/sessions/{session.id}/register")
    assert f"Removed person #{person.id}" in register.text and "Wanda" not in register.text


def test_only_admins_erase(page):
    page.sign_in(make_user(Role.COORDINATOR))
    person = make_user()
    page.client.get("/")  # signed in
    assert page.client.get(f"/people/{person.id}/erase").status_code == 403
    assert page.client.post(f"/people/{person.id}/erase", data={"reason": "x", "confirmation": person.name}
                            ).status_code == 403
    assert db.session.get(User, person.id).erased_at is None


def test_a_person_asks_and_the_admin_sees_the_deadline(app, page):
    volunteer = make_user(name="Rita Request")
    page.sign_in(volunteer)
    details = page.get("/profile")
    assert "Ask to be erased" in details.text
    page.post("/privacy/erasure-request", status=302)
    page.post("/privacy/erasure-request", status=302)  # a double submit starts one clock
    due = clock.today() + dt.timedelta(days=30)
    assert len(db.session.scalars(select(ErasureRequest)).all()) == 1
    assert f"by {clock.format_local(due, 'long')}" in page.get("/profile").text

    page.client.post("/auth/sign-out")
    admin = _admin(page)
    home = page.get("/home")
    assert f"1 erasure request to answer; the first by {clock.format_local(due, 'long')}" in home.text
    listing = page.get("/privacy/requests")
    assert "Rita Request" in listing.text
    request = db.session.scalar(select(ErasureRequest))
    refused = page.post(f"/privacy/requests/{request.id}/decline", {"reason": ""}, status=400)
    assert refused.field_error("reason")
    page.post(f"/privacy/requests/{request.id}/decline", {"reason": "An open safeguarding case"}, status=302)
    db.session.rollback()
    assert db.session.get(ErasureRequest, request.id).outcome == "declined"
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == f"erasure-declined:{request.id}"))
    assert email.recipient_id == volunteer.id and "An open safeguarding case" in email.body_text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.erasure_declined"))
    assert (entry.actor_id, entry.subject_id) == (admin.id, volunteer.id)
    assert "No erasure requests to answer" in page.get("/home").text


def test_an_erased_persons_request_is_closed_with_the_erasure(page):
    _admin(page)
    person = make_user(name="Ernie Asked")
    db.session.add(ErasureRequest(user_id=person.id, due_on=clock.today() + dt.timedelta(days=30)))
    db.session.commit()
    assert "They asked to be erased" in page.get(f"/people/{person.id}/erase").text
    page.post(f"/people/{person.id}/erase", {"reason": "As asked", "confirmation": "Ernie Asked"}, status=302)
    db.session.rollback()
    assert db.session.scalar(select(ErasureRequest.outcome)) == "erased"
    assert page.get(f"/people/{person.id}/erase", status=404)


def test_a_keep_link_that_is_not_valid_says_so(page):
    shown = page.get("/privacy/keep/not-a-token", status=404)
    assert "not valid" in shown.text


def test_coordinators_see_the_due_list(page):
    page.sign_in(make_user(Role.COORDINATOR))
    shown = page.get("/privacy/retention")
    assert "Nobody is due in the next 30 days" in shown.text


def test_a_store_that_is_not_one_is_refused_next_to_the_field(page):
    _admin(page)
    person = make_user(name="Kit Holder")
    bag = equipment.kit_bag_for(person)
    db.session.commit()
    stock(bag, make_item("Drink cover"), 2)
    for bad in ("abc", str(bag.id), "99999999"):
        refused = page.post(f"/people/{person.id}/erase", {"reason": "Asked", "confirmation": "Kit Holder",
                                                           "store_id": bad}, status=400)
        assert refused.field_error("store_id")
    refused = page.post(f"/people/{person.id}/erase", {"reason": "", "confirmation": "Kit Holder"}, status=400)
    assert refused.field_error("reason") and refused.field_error("store_id") == ""
    db.session.rollback()
    assert db.session.get(User, person.id).erased_at is None
