"""Each sensitive action leaves one entry, written by its service in the change's transaction:
who, from where, which object, about whom, and the before/after of what changed. A refused
change leaves none."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_org, make_user
from tests.factories_certificates import issue
from tests.factories_certificates import make_course as make_cert_course
from tests.factories_equipment import make_item, make_store, stock
from tests.factories_training import make_booking, make_session
from volunteer_hub import clock
from volunteer_hub.errors import DomainError
from volunteer_hub.models import Attendance, AttendanceStatus, AuditEntry, Role, db
from volunteer_hub.services import certificates, equipment, training
from volunteer_hub.services import people as people_service
from volunteer_hub.unit_of_work import unit_of_work


@pytest.fixture()
def acting(app, admin):
    """Run a service as `admin` from 198.51.100.4, as a POST would; returns the new entries."""
    def run(call):
        db.session.commit()
        result = None
        last = db.session.scalar(select(db.func.max(AuditEntry.id))) or 0
        with app.test_request_context("/", method="POST", environ_base={"REMOTE_ADDR": "198.51.100.4"}):
            with unit_of_work(actor=admin) as work:
                result = call()
        db.session.rollback()
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)))
        return entries, work, result
    return run


def _one(entries, action):
    [entry] = [e for e in entries if e.action == action]
    return entry


def test_role_changes_name_the_role_and_the_person(acting, admin):
    person = make_user(Role.VOLUNTEER)
    entries, _, _ = acting(lambda: people_service.grant_role(person, Role.COORDINATOR))
    entry = _one(entries, "person.role_granted")
    assert (entry.actor_id, entry.subject_id, entry.address) == (admin.id, person.id, "198.51.100.4")
    assert (entry.object_type, entry.object_id, entry.changes) == ("users", person.id, {"role": "coordinator"})
    entries, _, _ = acting(lambda: people_service.remove_role(person, Role.COORDINATOR, by=admin))
    assert _one(entries, "person.role_removed").changes == {"role": "coordinator"}
    entries, _, _ = acting(lambda: people_service.grant_role(person, Role.VOLUNTEER))
    assert entries == []  # nothing changed, nothing recorded


def test_deactivation_and_reactivation(acting, admin):
    person = make_user(Role.VOLUNTEER)
    entries, _, _ = acting(lambda: people_service.deactivate_person(person, by=admin))
    assert _one(entries, "person.deactivated").changes == {"is_active": [True, False]}
    entries, _, _ = acting(lambda: people_service.reactivate_person(person))
    assert _one(entries, "person.reactivated").changes == {"is_active": [False, True]}


def test_an_organisation_change_keeps_both_ids_and_no_names(acting):
    old, new = make_org("Police"), make_org("Council")
    person = make_user(Role.VOLUNTEER, organisation=old)
    entries, _, _ = acting(lambda: people_service.update_profile(person, name=person.name, organisation_id=new.id))
    entry = _one(entries, "person.organisation")
    assert entry.changes == {"organisation_id": [old.id, new.id]} and entry.subject_id == person.id
    entries, _, _ = acting(lambda: people_service.update_profile(person, name=person.name, phone="07700 900111"))
    assert entries == []  # a phone number is not a sensitive change


def test_vetting_before_and_after_and_a_refusal_leaves_no_trace(acting):
    person = make_user(Role.VOLUNTEER)
    person.dbs_checked_on = dt.date(2026, 1, 5)
    entries, _, _ = acting(lambda: people_service.set_dbs(person, dt.date(2026, 1, 5), dt.date(2029, 1, 5)))
    assert _one(entries, "person.vetting").changes == {"dbs_renew_by": [None, "2029-01-05"]}
    entries, work, _ = acting(lambda: people_service.set_dbs(person, dt.date(2026, 3, 1), dt.date(2025, 1, 1)))
    assert entries == [] and isinstance(work.error, DomainError)
    assert db.session.get(type(person), person.id).dbs_checked_on == dt.date(2026, 1, 5)


def test_an_import_records_its_counts(acting, admin):
    make_user(email="known@example.org")
    report = people_service.check_import(b"name,email\nNew One,new1@example.org\nKnown,known@example.org\n")
    entries, _, _ = acting(lambda: people_service.import_people(report, by=admin))
    assert _one(entries, "people.imported").changes == {"rows": 2, "created": 1, "already_had_an_account": 1}


def test_finalising_and_correcting_a_register(acting, admin):
    session = make_session(starts_in=dt.timedelta(hours=-1), closes_before=dt.timedelta(hours=1))
    person = make_user(Role.VOLUNTEER)
    make_booking(session, person)
    entries, _, _ = acting(lambda: training.mark_attendance(session, person, AttendanceStatus.PRESENT, by=admin))
    assert entries == []  # marks before finalising are the register itself, not a correction
    entries, _, _ = acting(lambda: training.finalise_register(session, by=admin))
    entry = _one(entries, "register.finalised")
    assert (entry.object_type, entry.object_id) == ("training_sessions", session.id)
    assert entry.changes["status"] == ["scheduled", "completed"] and entry.changes["certificates_issued"] == 1
    attendance = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id))
    entries, _, correction = acting(lambda: training.correct_attendance(
        attendance, AttendanceStatus.ABSENT, "Left before the start, Jo Bloggs confirmed", by=admin))
    entry = _one(entries, "attendance.corrected")
    assert entry.subject_id == person.id and entry.object_id == attendance.id
    assert entry.changes == {"status": ["present", "absent"], "correction_id": correction.id}
    assert "Bloggs" not in str(entry.changes)  # the free-text reason stays in the correction row


def test_revoking_and_recording_external_certificates(acting, admin):
    person = make_user(Role.VOLUNTEER)
    certificate = issue(person, make_cert_course(), clock.today() - dt.timedelta(days=3))
    entries, _, _ = acting(lambda: certificates.revoke_certificate(certificate, "Issued in error", by=admin))
    entry = _one(entries, "certificate.revoked")
    assert (entry.object_type, entry.object_id, entry.subject_id) == ("certificates", certificate.id, person.id)
    assert entry.changes["revoked_at"][0] is None and entry.changes["revoked_at"][1]
    entries, _, external = acting(lambda: certificates.record_external_certificate(
        person, course=None, title="First aid at work", issuer="St John", issued_on=dt.date(2026, 5, 1),
        expires_on=dt.date(2029, 5, 1), evidence_note=None, by=admin))
    entry = _one(entries, "certificate.external")
    assert (entry.object_id, entry.subject_id) == (external.id, person.id)
    assert entry.changes == {"course_id": [None, None], "issued_on": [None, "2026-05-01"],
                             "expires_on": [None, "2029-05-01"]}


def test_write_offs_stocktakes_and_reversals(acting, admin):
    store, alarm = make_store(), make_item("Personal alarm")
    stock(store, alarm, 10)
    entries, _, outcome = acting(lambda: equipment.write_off_stock(store, alarm, 2, "Damaged", by=admin))
    entry = _one(entries, "stock.written_off")
    assert (entry.object_type, entry.object_id, entry.subject_id) == ("holders", store.id, None)
    assert entry.changes["items"] == [[alarm.id, -2]]
    entries, _, _ = acting(lambda: equipment.take_stock(store, {alarm: 9}, "Monthly count", by=admin))
    assert _one(entries, "stock.stocktake").changes["items"] == [[alarm.id, 1]]
    movement = outcome.movements[0]
    entries, _, _ = acting(lambda: equipment.reverse_movement(db.session.merge(movement), "Found it", by=admin))
    entry = _one(entries, "stock.reversed")
    assert (entry.object_type, entry.object_id) == ("stock_movements", movement.id)
    assert entry.changes["items"] == [[alarm.id, 2]]


def test_a_kit_bag_write_off_is_about_its_volunteer(acting, admin):
    store, alarm, person = make_store(), make_item(), make_user(Role.VOLUNTEER)
    bag = equipment.kit_bag_for(person)
    stock(store, alarm, 3)
    entries, _, _ = acting(lambda: equipment.issue_stock(store, alarm, [bag], 2, by=admin))
    assert entries == []  # issuing is the everyday ledger, not an audited action
    entries, _, _ = acting(lambda: equipment.write_off_stock(bag, alarm, 1, "Lost on patrol", by=admin))
    assert _one(entries, "stock.written_off").subject_id == person.id
