"""Subject access: the zip holds everything about a hand-built person (and nothing of anyone
else's, and no secret); the download is a POST, audited, refused outside a coordinator's
agencies; the command writes the same zip."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from tests.factories import TEST_TOTP_SECRET, make_org, make_user, sign_in_as
from tests.factories_certificates import issue, make_course, make_session, mark
from tests.factories_equipment import make_asset, make_item, make_place, stock
from tests.factories_training import make_booking
from tests.factories_training import make_session as make_future_session
from volunteer_hub import clock
from volunteer_hub.models import (
    AttendanceStatus,
    AuditEntry,
    BookingStatus,
    NoticeAcceptance,
    OutboxMessage,
    OutboxStatus,
    Role,
    db,
)
from volunteer_hub.services import equipment
from volunteer_hub.services import people as people_service
from volunteer_hub.services.privacy import subject_access
from volunteer_hub.unit_of_work import unit_of_work

FILES = {"profile.json", "README.txt"} | {f"{t.name}.{ext}" for t in subject_access.TABLES for ext in ("csv", "json")}


@pytest.fixture()
def sam(app):
    """Sam: a booking and a waitlist place, two marks, a certificate, a hand-out, a loan, an email,
    vetting, two-step sign-in, a notice acceptance. Olly, someone else, has data of his own."""
    org = make_org("Street Pastors")
    admin = make_user(Role.ADMIN)
    sam = make_user(name="Sam Subject", email="sam@example.org", organisation=org, two_factor=True)
    olly = make_user(name="Olly Other", email="olly@example.org")
    sam.phone = "07700 900456"
    db.session.add(NoticeAcceptance(user_id=sam.id, version="2026-11"))
    db.session.commit()
    with unit_of_work(actor=admin):
        people_service.set_dbs(sam, dt.date(2025, 2, 1), dt.date(2028, 2, 1))
    course = make_course("Bystander intervention")
    certificate = issue(sam, course, dt.date(2026, 6, 1))
    mark(make_session(course, starts_at=dt.datetime(2026, 9, 1, 18, tzinfo=dt.UTC)), sam, AttendanceStatus.ABSENT)
    issue(olly, course, dt.date(2026, 6, 1))
    make_booking(make_future_session(course, trainers=[]), sam)
    make_booking(make_future_session(course, starts_in=dt.timedelta(days=9), trainers=[]), sam, BookingStatus.WAITLISTED)
    make_booking(make_future_session(course, trainers=[]), olly)
    alarm = make_item("Personal alarm")
    with unit_of_work(actor=admin):
        bag = equipment.kit_bag_for(sam)
    stock(bag, alarm, 5, by=admin)
    with unit_of_work(actor=sam):
        equipment.hand_out_stock(bag, {alarm: 2}, by=sam, place=make_place("Market Square"))
    with unit_of_work(actor=admin):
        equipment.check_out_asset(make_asset("RADIO-7"), sam, clock.today() + dt.timedelta(days=7), by=admin)
    db.session.add(OutboxMessage(key="sam-1", recipient=sam.email, recipient_id=sam.id, subject="Your booking",
                                 body_text="secret body", body_html="", status=OutboxStatus.SENT))
    db.session.add(OutboxMessage(key="olly-1", recipient=olly.email, recipient_id=olly.id, subject="Olly's email",
                                 body_text="", body_html="", status=OutboxStatus.SENT))
    db.session.commit()
    return {"sam": sam, "olly": olly, "admin": admin, "org": org, "certificate": certificate}


def read_zip(data: bytes) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return json.loads(archive.read("profile.json")), archive


def rows(archive, name: str) -> list[dict]:
    as_csv = list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))
    as_json = json.loads(archive.read(f"{name}.json"))
    assert len(as_csv) == len(as_json)
    return as_json


def test_the_zip_holds_everything_about_the_person_and_nothing_else(sam):
    buffer = io.BytesIO()
    counts = subject_access.write_zip(sam["sam"], buffer, "The Partnership")
    profile, archive = read_zip(buffer.getvalue())
    assert set(archive.namelist()) == FILES
    assert (profile["name"], profile["email"], profile["phone"], profile["organisation"]) == (
        "Sam Subject", "sam@example.org", "07700 900456", "Street Pastors")
    assert (profile["dbs_checked_on"], profile["dbs_renew_by"]) == ("2025-02-01", "2028-02-01")
    assert profile["roles"] == ["volunteer"] and profile["two_step_sign_in_since"]
    assert [a["version"] for a in profile["privacy_notice_acceptances"]] == ["2026-11"]

    assert sorted(b["status"] for b in rows(archive, "bookings")) == ["confirmed", "waitlisted"]
    assert sorted(m["mark"] for m in rows(archive, "attendance")) == ["absent", "present"]
    [certificate] = rows(archive, "certificates")
    assert (certificate["number"], certificate["status"]) == (sam["certificate"].number, "valid")
    movements = rows(archive, "kit_bag_movements")
    assert [(m["kind"], m["quantity"], m["to"], m["from"]) for m in movements] == [
        ("issue", 5, "your kit bag", movements[0]["from"]), ("hand_out", 2, None, "your kit bag")]
    assert movements[1]["place"] == "Market Square" and movements[1]["recorded_by"] == "you"
    [loan] = rows(archive, "loans")
    assert loan["serial"] == "RADIO-7" and loan["returned_at_utc"] is None
    assert [(e["subject"], e["status"]) for e in rows(archive, "emails")] == [("Your booking", "sent")]
    trail = rows(archive, "audit_trail")
    assert "DBS check changed" in {e["action"] for e in trail} and {e["by"] for e in trail} >= {"staff"}
    assert counts["bookings"] == 2

    everything = b"".join(archive.read(n) for n in archive.namelist())
    for absent in (b"Olly", b"olly@example.org", TEST_TOTP_SECRET.encode(), b"secret body", b"argon2"):
        assert absent not in everything
    readme = archive.read("README.txt").decode()
    assert all(f"{t.name}.csv" in readme for t in subject_access.TABLES)


def test_a_volunteer_downloads_their_own_data_with_a_post_and_it_is_audited(app, sam):
    client = app.test_client()
    sign_in_as(client, sam["sam"])
    assert client.get("/privacy/my-data.zip").status_code == 405  # a GET does nothing
    response = client.post("/privacy/my-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    profile, _archive = read_zip(response.data)
    response.close()
    assert profile["account_number"] == sam["sam"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.exported"))
    assert (entry.actor_id, entry.subject_id) == (sam["sam"].id, sam["sam"].id)
    assert entry.changes["rows"]["bookings"] == 2


def test_staff_download_only_the_people_they_may_see(app, sam):
    limited = make_user(Role.COORDINATOR, agencies=[make_org("Another agency")])
    client = app.test_client()
    sign_in_as(client, limited)
    assert client.post(f"/people/{sam['sam'].id}/data.zip").status_code == 404
    sign_in_as(client, make_user(Role.COORDINATOR, agencies=[sam["org"]]))
    response = client.post(f"/people/{sam['sam'].id}/data.zip")
    assert response.status_code == 200
    assert read_zip(response.data)[0]["name"] == "Sam Subject"
    response.close()
    volunteer = app.test_client()
    sign_in_as(volunteer, sam["olly"])
    assert volunteer.post(f"/people/{sam['sam'].id}/data.zip").status_code == 403


def test_the_command_writes_the_zip_and_says_how_long_it_took(sam, runner, tmp_path):
    output = tmp_path / "sam.zip"
    result = runner.invoke(args=["privacy", "export", "sam@example.org", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "bookings: 2 rows" in result.output and "Wrote" in result.output
    assert set(zipfile.ZipFile(output).namelist()) == FILES
    assert runner.invoke(args=["privacy", "export", "nobody@example.org", "--output", str(output)]).exit_code == 1
