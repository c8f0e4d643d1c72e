"""The register: marks, walk-ins, finalising, corrections and attendance figures."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_org, make_user
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import AttendanceCorrection, AttendanceStatus, OutboxMessage, Role, SessionStatus, User, db
from volunteer_hub.queries import register as register_queries
from volunteer_hub.services import certificates
from volunteer_hub.services import training as svc

P, A, L, E = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY


@pytest.fixture()
def today(app, trainer):
    return make_session(starts_in=dt.timedelta(hours=-1), opens_ago=dt.timedelta(days=5),
                        closes_before=dt.timedelta(hours=1), trainers=[trainer])


@pytest.fixture()
def synced(monkeypatch):
    calls = []
    monkeypatch.setattr(certificates, "sync_certificates_for_session", lambda s, by=None: calls.append((s.id, by.id)))
    return calls


def test_the_register_lists_booked_people_and_walk_ins_by_name_with_organisation(today, trainer):
    org = make_org("Street Pastors")
    make_booking(today, make_user(name="Zed", organisation=org))
    make_booking(today, make_user(name="Amy"))
    svc.add_walk_in(today, by=trainer, name="Bea New", email="bea@example.org")
    rows = register_queries.register_rows(today)
    assert [r.user.name for r in rows] == ["Amy", "Bea New", "Zed"]
    assert rows[2].user.organisation.name == "Street Pastors" and rows[1].booking is None


def test_marks_are_saved_and_changed_until_finalised(today, trainer):
    person = make_booking(today).user
    svc.mark_attendance(today, person, L, by=trainer)
    assert svc.mark_attendance(today, person, P, by=trainer).status is P
    with pytest.raises(NotAllowed, match="not booked on this session. Add them as a walk-in"):
        svc.mark_attendance(today, make_user(), P, by=trainer)


def test_mark_everyone_present_leaves_existing_marks(today, trainer):
    people = [make_booking(today).user for _ in range(3)]
    svc.mark_attendance(today, people[0], A, by=trainer)
    assert svc.mark_everyone_present(today, by=trainer) == 2
    assert [r.status for r in register_queries.register_rows(today)].count(P) == 2


def test_walk_ins_existing_and_new_the_new_one_invited(today, trainer):
    known = make_user(name="Known Person", email="known@example.org")
    svc.add_walk_in(today, by=trainer, email="KNOWN@example.org")
    with pytest.raises(Conflict, match="already on this register"):
        svc.add_walk_in(today, by=trainer, email="known@example.org")
    with pytest.raises(ValidationFailed, match="Enter their name"):
        svc.add_walk_in(today, by=trainer, email="new@example.org")
    attendance = svc.add_walk_in(today, by=trainer, name="New Person", email="new@example.org")
    assert attendance.is_walk_in and attendance.status is P
    new = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert new.has_role(Role.VOLUNTEER) and new.password_hash is None
    invite = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "new@example.org"))
    assert "/auth/password/set/" in invite.body_text
    assert {r.user.id for r in register_queries.register_rows(today)} == {known.id, new.id}


def test_finalising_needs_every_mark_then_locks_and_issues_certificates(today, trainer, synced):
    a, b = make_booking(today).user, make_booking(today).user
    svc.mark_attendance(today, a, P, by=trainer)
    with pytest.raises(ValidationFailed, match=f"Not marked: {b.name}"):
        svc.finalise_register(today, by=trainer)
    svc.mark_attendance(today, b, A, by=trainer)
    svc.finalise_register(today, by=trainer)
    assert today.finalised_by_id == trainer.id and today.finalised_at is not None
    assert today.status is SessionStatus.COMPLETED and synced == [(today.id, trainer.id)]
    with pytest.raises(Conflict, match="finalised. A coordinator can correct"):
        svc.mark_attendance(today, b, P, by=trainer)
    with pytest.raises(Conflict):
        svc.add_walk_in(today, by=trainer, name="Late Comer", email="late@example.org")


def test_a_future_session_cannot_be_finalised(app, trainer):
    s = make_session(trainers=[trainer])
    with pytest.raises(Conflict, match="once the session has started"):
        svc.finalise_register(s, by=trainer)


def test_only_a_coordinator_corrects_a_finalised_mark_with_a_reason_kept_in_history(today, trainer, coordinator, synced):
    person = make_booking(today).user
    attendance = svc.mark_attendance(today, person, A, by=trainer)
    with pytest.raises(Conflict, match="not finalised yet"):
        svc.correct_attendance(attendance, P, "Signed in late", by=coordinator)
    svc.finalise_register(today, by=trainer)
    with pytest.raises(NotAllowed, match="Only a coordinator"):
        svc.correct_attendance(attendance, P, "Signed in late", by=trainer)
    with pytest.raises(ValidationFailed, match="Give a reason"):
        svc.correct_attendance(attendance, P, "  ", by=coordinator)
    svc.correct_attendance(attendance, P, "Signature found on the paper register", by=coordinator)
    (correction,) = db.session.scalars(select(AttendanceCorrection)).all()
    assert (correction.old_status, correction.new_status, correction.corrected_by_id) == (A, P, coordinator.id)
    assert attendance.status is P and synced[-1] == (today.id, coordinator.id) and len(synced) == 2


def test_attendance_rates_per_session_course_and_no_shows(app, trainer):
    course = make_course("Bystander intervention")
    often_absent = make_user(name="Often Absent")
    for marks in ([P, L, A, E], [P, A]):
        s = make_session(course, starts_in=dt.timedelta(days=-3), opens_ago=dt.timedelta(days=9),
                         closes_before=dt.timedelta(0), trainers=[trainer])
        for _i, mark in enumerate(marks):
            person = often_absent if mark is A else make_user()
            make_booking(s, person)
            svc.mark_attendance(s, person, mark, by=trainer)
        svc.finalise_register(s, by=trainer)
    unfinalised = make_session(course, starts_in=dt.timedelta(days=-1), opens_ago=dt.timedelta(days=9),
                               closes_before=dt.timedelta(0), trainers=[trainer])
    svc.mark_attendance(unfinalised, make_booking(unfinalised).user, A, by=trainer)
    per_session, per_course, no_shows = register_queries.attendance_rates()
    assert sorted((r.attended, r.marked, r.percent) for r in per_session) == [(1, 2, 50), (3, 4, 75)]
    assert [(r.label, r.attended, r.marked, r.percent) for r in per_course] == [("Bystander intervention", 4, 6, 67)]
    assert [(u.name, n) for u, n in no_shows] == [("Often Absent", 2)]
