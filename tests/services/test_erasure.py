"""Erasure keeps the figures: a person with a rich history is erased and every figure that does
not identify them is the same afterwards, while their name, email and phone are nowhere in the
database and every trace of them reads "Removed person #N"."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select

from tests.factories import PASSWORD, make_user
from tests.factories_certificates import issue, mark
from tests.factories_certificates import make_course as make_cert_course
from tests.factories_certificates import make_session as make_past_session
from tests.factories_equipment import assert_ledger_balances, make_asset, make_item, make_place, make_store, stock
from tests.factories_training import make_session
from volunteer_hub import clock
from volunteer_hub.errors import DomainError
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    Booking,
    BookingStatus,
    Certificate,
    HandOutTotal,
    NoticeAcceptance,
    OutboxMessage,
    OutboxStatus,
    Role,
    StockBalance,
    TrainingSession,
    User,
    db,
    utcnow,
)
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.queries import register as register_queries
from volunteer_hub.services import equipment, training
from volunteer_hub.services import people as people_service
from volunteer_hub.services.privacy import erasure
from volunteer_hub.services.training import feeds
from volunteer_hub.unit_of_work import unit_of_work

NAME, EMAIL, PHONE = "Zebedee Quartermaine", "zebedee.q@example.org", "07700 900123"


def figures() -> dict:
    """Every figure of the reports that identifies nobody."""
    db.session.rollback()
    per_session, per_course, _no_shows = register_queries.attendance_rates()
    present = Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE))
    trained = db.session.execute(
        select(TrainingSession.course_id, func.count(func.distinct(Attendance.user_id)))
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .where(present, TrainingSession.finalised_at.is_not(None)).group_by(TrainingSession.course_id)
    ).all()
    revoked = Certificate.revoked_at.is_not(None)
    issued = db.session.execute(select(Certificate.course_id, revoked, func.count())
                                .group_by(Certificate.course_id, revoked)).all()
    stock_by_item = db.session.execute(select(StockBalance.item_id, func.sum(StockBalance.quantity))
                                       .group_by(StockBalance.item_id)).all()
    start, end = dt.date(2000, 1, 1), clock.today()
    return {
        "attendance per session": sorted((r.session.id, r.attended, r.marked) for r in per_session),
        "attendance per course": [(r.label, r.attended, r.marked, r.percent) for r in per_course],
        "trained per course": sorted(trained),
        "certificates per course": sorted(issued),
        "stock per item": sorted(stock_by_item),
        "handed out by month": equipment_queries.handed_out_by_month(start, end),
        "handed out by place": equipment_queries.handed_out_by_place(start, end),
        "hand-out totals": db.session.scalar(select(func.sum(HandOutTotal.quantity))),
        "bookings by status": sorted(db.session.execute(select(Booking.status, func.count()).group_by(Booking.status))
                                     .all(), key=str),
        "late cancellations": db.session.scalar(select(func.count()).where(Booking.is_late_cancellation.is_(True))),
        "emails sent": db.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)),
    }


def texts_containing(needle: str) -> list[str]:
    """table.column for every text column of every table holding `needle` (any case)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            hit = db.session.scalar(select(func.count()).select_from(table)
                                    .where(func.lower(cast(column, Text)).contains(needle.lower())))
            if hit:
                found.append(f"{table.name}.{column.name}")
    return found


@pytest.fixture()
def history(app):
    """Zebedee: trained (a certificate), a no-show, a confirmed place with someone waiting behind,
    a waitlist place, a kit bag that handed out alarms, a loan, vetting, a feed, emails."""
    admin = make_user(Role.ADMIN, name="Ada Admin")
    person = make_user(name=NAME, email=EMAIL)
    person.phone, person.emergency_contact_name = PHONE, "Quartermaine Senior"
    db.session.add(NoticeAcceptance(user_id=person.id, version="2026-11"))
    db.session.commit()
    with unit_of_work(actor=admin):
        people_service.set_dbs(person, dt.date(2025, 1, 10), dt.date(2028, 1, 10))

    course = make_cert_course("Bystander intervention")
    certificate = issue(person, course, clock.today() - dt.timedelta(days=30))
    missed = make_past_session(course, starts_at=utcnow() - dt.timedelta(days=10))
    mark(missed, person, AttendanceStatus.ABSENT)

    full = make_session(course, capacity=1)
    next_in_line = make_user(name="Next In Line")
    waiting_elsewhere = make_session(course, capacity=1, starts_in=dt.timedelta(days=9))
    with unit_of_work(actor=person):
        training.book_session(full, person)
        training.book_session(waiting_elsewhere, make_user())
    with unit_of_work(actor=next_in_line):
        training.book_session(full, next_in_line)
    with unit_of_work(actor=person):
        waitlisted = training.book_session(waiting_elsewhere, person)
    assert waitlisted.status is BookingStatus.WAITLISTED

    alarm, place = make_item("Personal alarm"), make_place("Market Square")
    with unit_of_work(actor=admin):
        bag = equipment.kit_bag_for(person)
    stock(bag, alarm, 10, by=admin)
    with unit_of_work(actor=person):
        equipment.hand_out_stock(bag, {alarm: 3}, by=person, place=place)
    asset = make_asset("SN-ERASE-1")
    with unit_of_work(actor=admin):
        equipment.check_out_asset(asset, person, clock.today() + dt.timedelta(days=14), by=admin)
        token = feeds.calendar_feed_token(person)
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == person.id)).first()
    sent.status, sent.sent_at = OutboxStatus.SENT, utcnow()
    db.session.commit()
    return {"admin": admin, "person": person, "certificate": certificate, "full": full,
            "next_in_line": next_in_line, "store": make_store("Central store"), "asset": asset, "token": token,
            "alarm": alarm, "bag": bag}


def erase(h, reason="Asked to be forgotten (ticket 41)"):
    with unit_of_work(actor=h["admin"]):
        return erasure.erase_person(h["person"], reason, by=h["admin"], store=h["store"])


def test_every_figure_is_the_same_after_erasure(history):
    before = figures()
    assert before["trained per course"] and before["handed out by place"] and before["attendance per course"]
    erase(history)
    after = figures()
    # Two bookings were cancelled (a confirmed place and a waitlist place): the only change is
    # that, and the place passing to the next person, exactly as a cancellation by the person would.
    moved = {"bookings by status"}
    assert {k: v for k, v in after.items() if k not in moved} == {k: v for k, v in before.items() if k not in moved}
    assert_ledger_balances()


def test_the_person_is_nowhere_but_the_counts_still_point_at_them(history):
    person_id = history["person"].id
    erase(history)
    assert texts_containing(NAME) == []
    assert texts_containing("Zebedee") == [] and texts_containing("Quartermaine") == []
    assert texts_containing(EMAIL) == []
    assert texts_containing(PHONE) == []
    person = db.session.get(User, person_id)
    assert person.name == f"Removed person #{person_id}"
    assert (person.phone, person.dbs_checked_on, person.password_hash, person.totp_secret) == (None, None, None, None)
    assert person.is_active is False and person.erased_at is not None
    # Their history still counts, under their id.
    assert db.session.scalar(select(func.count()).where(Attendance.user_id == person_id)) == 2
    assert db.session.scalar(select(func.count()).where(Certificate.user_id == person_id)) == 1
    assert db.session.scalar(select(func.count()).where(NoticeAcceptance.user_id == person_id)) == 0


def test_future_places_are_cancelled_and_the_next_person_is_offered_one(history):
    erase(history)
    db.session.rollback()
    mine = db.session.scalars(select(Booking).where(Booking.user_id == history["person"].id)).all()
    assert {b.status for b in mine} == {BookingStatus.CANCELLED}
    theirs = db.session.scalar(select(Booking).where(Booking.user_id == history["next_in_line"].id))
    assert theirs.status is BookingStatus.OFFERED
    offer = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == history["next_in_line"].id)
                               .order_by(OutboxMessage.id.desc())).first()
    assert "place" in offer.subject.lower()


def test_kit_goes_back_to_the_store_and_nothing_is_lost(history):
    erase(history)
    db.session.rollback()
    store_alarms = db.session.scalar(select(StockBalance.quantity).where(
        StockBalance.holder_id == history["store"].id, StockBalance.item_id == history["alarm"].id))
    bag_alarms = db.session.scalar(select(StockBalance.quantity).where(
        StockBalance.holder_id == history["bag"].id, StockBalance.item_id == history["alarm"].id))
    assert (store_alarms, bag_alarms) == (7, 0)
    assert equipment.open_loan(history["asset"]) is None
    assert_ledger_balances()


def test_an_admin_must_name_a_store_for_kit_still_held(history):
    with pytest.raises(DomainError, match="choose the store"), unit_of_work(actor=history["admin"]):
        erasure.erase_person(history["person"], "Asked", by=history["admin"])
    db.session.rollback()
    assert db.session.get(User, history["person"].id).name == NAME  # nothing half-written


def test_pending_emails_are_dropped_and_sent_ones_keep_only_their_facts(history):
    person_id = history["person"].id
    sent_before = db.session.scalar(select(func.count()).where(OutboxMessage.recipient_id == person_id,
                                                               OutboxMessage.status == OutboxStatus.SENT))
    erase(history)
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == person_id)).all()
    assert [m.status for m in mail] == [OutboxStatus.SENT] * sent_before
    assert all(m.body_text == "" and m.body_html == "" and m.recipient.endswith("@erased.invalid") for m in mail)


def test_the_erasure_is_audited_without_personal_data(history):
    erase(history, reason="Request by email, 3 Dec")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.erased"))
    assert (entry.actor_id, entry.subject_id) == (history["admin"].id, history["person"].id)
    assert entry.changes["reason"] == "Request by email, 3 Dec"
    assert entry.changes["bookings_cancelled"] == 2 and entry.changes["items_returned"] == 7
    assert entry.changes["loans_checked_in"] == 1


def test_erasing_twice_erases_once(history):
    erase(history)
    with pytest.raises(DomainError, match="already been erased"), unit_of_work(actor=history["admin"]):
        erasure.erase_person(history["person"], "Again", by=history["admin"], store=history["store"])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "privacy.erased")) == 1


def test_the_last_admin_and_oneself_cannot_be_erased(app):
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError, match="own account"), unit_of_work(actor=admin):
        erasure.erase_person(admin, "Leaving", by=admin)
    with pytest.raises(DomainError, match="last admin"), unit_of_work():
        erasure.erase_person(admin, "Leaving", by=None)


def test_the_typed_confirmation_must_match(history):
    with pytest.raises(DomainError, match="Type the person's name"), unit_of_work(actor=history["admin"]):
        erasure.erase_person(history["person"], "Asked", by=history["admin"], store=history["store"],
                             confirmation="Someone else")


def test_afterwards_the_account_is_closed_and_the_address_is_free(history, client, smtp_server):
    erase(history)
    response = client.post("/auth/sign-in", data={"email": EMAIL, "password": PASSWORD})
    assert b"not right" in response.data
    client.post("/auth/password/forgot", data={"email": EMAIL})
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == EMAIL)).all()
    assert client.get(f"/training/calendar/{history['token']}.ics").status_code == 404
    verify = client.get(f"/verify/{history['certificate'].verification_code}")
    assert verify.status_code == 410
    assert b"no longer available" in verify.data and NAME.encode() not in verify.data
    client.post("/auth/sign-up", data={"name": "Zeb Again", "email": EMAIL, "password": "a new long passphrase",
                                       "password_again": "a new long passphrase", "agree_privacy": "y"})
    again = db.session.scalar(select(User).where(User.email == EMAIL))
    assert again is not None and again.id != history["person"].id


def test_the_command_erases_and_says_what_it_did(history, runner):
    result = runner.invoke(args=["privacy", "erase", EMAIL, "--reason", "Asked in writing",
                                 "--store", "Central store", "--yes"])
    assert result.exit_code == 0, result.output
    assert "2 future bookings will be cancelled, 7 items" in result.output
    assert f"Erased: now Removed person #{history['person'].id}" in result.output
    again = runner.invoke(args=["privacy", "erase", EMAIL, "--reason", "Again", "--yes"])
    assert again.exit_code != 0 and "No one has the email address" in again.output
    assert runner.invoke(args=["privacy", "erase", "someone@example.org", "--reason", "x", "--yes"]).exit_code == 1


def test_an_erased_record_cannot_be_given_data_again(history):
    erase(history)
    person = db.session.get(User, history["person"].id)
    for change in (lambda: people_service.set_dbs(person, dt.date(2026, 1, 1), None),
                   lambda: people_service.grant_role(person, Role.COORDINATOR),
                   lambda: people_service.reactivate_person(person)):
        with pytest.raises(DomainError, match="has been erased"), unit_of_work(actor=history["admin"]):
            change()


def test_someone_with_a_revoked_certificate_can_be_erased(history):
    from volunteer_hub.services.certificates import revoke_certificate

    with unit_of_work(actor=history["admin"]):
        revoke_certificate(history["certificate"], "Issued to Zebedee Quartermaine by mistake", by=history["admin"])
    erase(history)
    certificate = db.session.get(Certificate, history["certificate"].id)
    assert certificate.revoked_at is not None
    assert NAME not in (certificate.revocation_reason or "")
