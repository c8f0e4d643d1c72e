"""The impact report's roll-ups (services/report_rollups.py): kept row for row as a full rebuild
would write them, whatever changed and in whichever order, and the report's figures from them
equal to counting the marks and certificates themselves (the definitions, as plain SQL)."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import distinct, func, or_, select, true

from tests.factories import make_org, make_user
from tests.factories_certificates import issue, make_course, make_session, mark
from volunteer_hub import clock
from volunteer_hub.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    Certificate,
    CertificateCoverage,
    CertificateLapse,
    ComplianceSpan,
    OrganisationKind,
    Role,
    SessionStatus,
    SessionTotal,
    TrainedPerson,
    TrainingSession,
    UserRole,
    db,
)
from volunteer_hub.queries.impact import Period, Scope, certificates, compliance, training
from volunteer_hub.services import report_rollups
from volunteer_hub.services.certificates import revoke_certificate
from volunteer_hub.services.training.register import correct_attendance

UTC = dt.UTC
LONDON_DAY = dt.timedelta(days=1)
TABLES = (TrainedPerson, SessionTotal, CertificateCoverage, CertificateLapse, ComplianceSpan)


def _snapshot() -> dict:
    out = {}
    for table in TABLES:
        columns = list(table.__table__.columns)
        out[table.__tablename__] = sorted(tuple(row) for row in db.session.execute(select(*columns)).all())
    return out


def _rebuilt() -> dict:
    report_rollups.rebuild()
    rebuilt = _snapshot()
    db.session.rollback()
    return rebuilt


@pytest.fixture()
def frozen():
    with clock.freeze(dt.datetime(2026, 6, 20, 12, 0, tzinfo=UTC)):
        yield


def _random_history(seed: int, check=lambda step: None):
    """Three courses, ten people in two organisations, thirty sessions across two years (some
    across the clock changes, some cancelled, some with the register still open), random marks,
    certificates from the registers, revocations and corrections after finalising."""
    rng = random.Random(seed)
    coordinator = make_user(Role.COORDINATOR)
    orgs = [make_org("Street Pastors", OrganisationKind.STREET_PASTORS), make_org("The Anchor", OrganisationKind.LICENSED_VENUE)]
    people = [make_user(organisation=orgs[n % 2]) for n in range(10)]
    courses = [make_course(f"Course {n}", validity_months=rng.choice([6, 12, None])) for n in range(3)]
    start = dt.datetime(2024, 7, 1, 18, 0, tzinfo=UTC)
    sessions = []
    for _ in range(30):
        starts_at = start + dt.timedelta(days=rng.randrange(700), minutes=rng.choice([0, 330, 390]))
        s = make_session(rng.choice(courses), starts_at=starts_at, finalised=rng.random() > 0.15)
        s.ends_at = starts_at + dt.timedelta(hours=rng.choice([1, 2, 3]))
        if rng.random() < 0.1:
            s.status = SessionStatus.CANCELLED
        db.session.commit()
        for person in rng.sample(people, rng.randrange(1, 7)):
            mark(s, person, rng.choice(list(AttendanceStatus)))
        sessions.append(s)
    from volunteer_hub.services.certificates import sync_certificates_for_session

    for s in sessions:
        if s.finalised_at is not None and s.status is not SessionStatus.CANCELLED:
            with clock.freeze(s.ends_at + dt.timedelta(hours=1)):
                sync_certificates_for_session(s)
            db.session.commit()
    for certificate in rng.sample(db.session.scalars(select(Certificate)).all(), 4):
        revoke_certificate(certificate, "Issued in error", by=coordinator)
        db.session.commit()
    finalised = db.session.scalars(select(Attendance).join(TrainingSession).where(
        TrainingSession.finalised_at.is_not(None), TrainingSession.status != SessionStatus.CANCELLED)).all()
    for attendance in rng.sample(finalised, 5):
        new = rng.choice([s for s in AttendanceStatus if s is not attendance.status])
        correct_attendance(attendance, new, "Marked wrongly", by=coordinator)
        db.session.commit()
    _change_who_must_hold_what(rng, coordinator, people, courses, orgs, check)
    return people, courses, orgs


def _change_who_must_hold_what(rng, coordinator, people, courses, orgs, check):
    """Requirements by role and by kind of organisation, then the changes that move people in and
    out of them: roles granted and removed, a move between organisations, an organisation's kind
    changed, an account closed and reopened, a requirement added after all that. `check(step)`
    after each."""
    from volunteer_hub.services.certificates.requirements import set_requirements
    from volunteer_hub.services.people import (
        deactivate_person,
        grant_role,
        reactivate_person,
        remove_role,
        update_organisation,
    )

    steps = [
        ("requirements", lambda: set_requirements({("kind", OrganisationKind.LICENSED_VENUE.value, courses[0].id),
                                                   ("kind", OrganisationKind.LICENSED_VENUE.value, courses[1].id),
                                                   ("role", Role.TRAINER.value, courses[2].id)})),
        *[("grant", lambda p=p: grant_role(p, Role.TRAINER)) for p in rng.sample(people, 3)],
        ("grant a row", lambda: db.session.add(UserRole(
            user_id=next(p for p in people[4:] if Role.TRAINER not in p.roles).id, role=Role.TRAINER))),
        ("remove", lambda: remove_role(people[0], Role.TRAINER, by=coordinator)),
        ("move", lambda: setattr(people[1], "organisation", orgs[0] if people[1].organisation is orgs[1] else orgs[1])),
        ("kind", lambda: update_organisation(orgs[0], orgs[0].name, OrganisationKind.LICENSED_VENUE)),
        ("close", lambda: deactivate_person(people[2], by=coordinator)),
        ("close", lambda: deactivate_person(people[3], by=coordinator)),
        ("reopen", lambda: reactivate_person(people[3])),
        ("requirements", lambda: set_requirements({("kind", OrganisationKind.LICENSED_VENUE.value, courses[0].id),
                                                   ("role", Role.TRAINER.value, courses[2].id),
                                                   ("role", Role.COORDINATOR.value, courses[1].id)})),
    ]
    for step, change in steps:
        change()
        db.session.commit()
        check(step)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollups_kept_with_each_change_equal_a_rebuild(app, frozen, seed):
    def check(step):
        assert _snapshot() == _rebuilt(), step

    _random_history(seed, check)
    kept = _snapshot()
    assert kept["trained_people"] and kept["certificate_coverage"] and kept["compliance_spans"]
    assert kept == _rebuilt()


def _compliance_on(day: dt.date, organisation_id=None) -> dict:
    """{organisation id: (people with a requirement, people holding every required course)} on
    `day`, by the definition: open accounts made by then, each course required by their roles or
    their organisation's kind, each held with a certificate valid that day."""
    from volunteer_hub.models import ComplianceRequirement, User

    out: dict = {}
    requirements = db.session.scalars(select(ComplianceRequirement)).all()
    for person in db.session.scalars(select(User).where(User.is_active.is_(True), User.erased_at.is_(None))):
        if clock.local_date(person.created_at) > day or organisation_id not in (None, person.organisation_id):
            continue
        kind = person.organisation.kind if person.organisation else None
        required = {r.course_id for r in requirements if r.role in person.roles or (kind and r.organisation_kind is kind)}
        if not required:
            continue
        held = all(_valid_on(course_id, day, person.id) for course_id in required)
        people, holding = out.get(person.organisation_id, (0, 0))
        out[person.organisation_id] = (people + 1, holding + held)
    return out


@pytest.mark.parametrize("seed", [7, 8])
def test_compliance_equals_the_definition(app, frozen, seed):
    _people, _courses, orgs = _random_history(seed)
    days = (dt.date(2024, 6, 30), dt.date(2025, 3, 30), dt.date(2025, 10, 26), dt.date(2026, 1, 1), dt.date(2026, 6, 20))
    for day in days:
        period = Period(day - dt.timedelta(days=30), day)
        assert {row[0]: tuple(row[1:]) for row in compliance(period, Scope())} == _compliance_on(day)
        assert ({row[0]: tuple(row[1:]) for row in compliance(period, Scope(organisation_id=orgs[1].id))}
                == _compliance_on(day, orgs[1].id))
    assert any(holding for holding in _compliance_on(days[-1]).values())


@pytest.mark.parametrize(("since", "courses", "runs"), [
    # Nothing held: one run, not held, from the sign-up on.
    (dt.date(2026, 1, 1), [[]], [(dt.date(2026, 1, 1), dt.date(9999, 12, 31), False)]),
    # Two courses: held on the days both are; a certificate from before the sign-up counts from it.
    (dt.date(2026, 1, 10),
     [[(dt.date(2025, 1, 1), dt.date(2026, 6, 30))], [(dt.date(2026, 2, 1), dt.date(2026, 3, 31)),
                                                      (dt.date(2026, 4, 2), dt.date(9999, 12, 31))]],
     [(dt.date(2026, 1, 10), dt.date(2026, 1, 31), False), (dt.date(2026, 2, 1), dt.date(2026, 3, 31), True),
      (dt.date(2026, 4, 1), dt.date(2026, 4, 1), False), (dt.date(2026, 4, 2), dt.date(2026, 6, 30), True),
      (dt.date(2026, 7, 1), dt.date(9999, 12, 31), False)]),
    # Held for good from the first day.
    (dt.date(2026, 1, 1), [[(dt.date(2025, 1, 1), dt.date(9999, 12, 31))]],
     [(dt.date(2026, 1, 1), dt.date(9999, 12, 31), True)]),
])
def test_compliance_runs(since, courses, runs):
    assert report_rollups.compliance_runs(since, courses) == runs


def _people_trained(period: Period, scope_user_ids=None) -> int:
    """The definition, counted straight from the registers."""
    s, a = TrainingSession, Attendance
    stmt = (select(func.count(distinct(a.user_id))).join(s, s.id == a.session_id)
            .where(a.status.in_(ATTENDED), s.status != SessionStatus.CANCELLED, s.finalised_at.is_not(None),
                   s.starts_at >= period.starts_at, s.starts_at < period.ends_at))
    if scope_user_ids is not None:
        stmt = stmt.where(a.user_id.in_(scope_user_ids))
    return db.session.scalar(stmt)


def _valid_on(course_id: int, day: dt.date, user_id: int | None = None) -> int:
    """People (or whether this person) held a valid certificate of the course on `day`."""
    c = Certificate
    moment = clock.start_of_day(day + LONDON_DAY)
    return db.session.scalar(select(func.count(distinct(c.user_id))).where(
        c.course_id == course_id, c.issued_on <= day, or_(c.expires_on.is_(None), c.expires_on >= day),
        or_(c.revoked_at.is_(None), c.revoked_at >= moment), or_(c.withdrawn_at.is_(None), c.withdrawn_at >= moment),
        c.user_id == user_id if user_id is not None else true()))


@pytest.mark.parametrize("seed", [4, 5])
def test_people_trained_and_certificates_held_equal_counting_the_rows(app, frozen, seed):
    people, courses, orgs = _random_history(seed)
    # Periods that start mid-month and cross the clock changes, of different lengths.
    for period in (Period(dt.date(2025, 3, 14), dt.date(2025, 10, 29)), Period(dt.date(2025, 6, 20), dt.date(2026, 6, 19)),
                   Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))):
        figures = training(period, Scope())
        assert figures["people"].get(1, 0) == _people_trained(period)
        assert figures["people"].get(0, 0) == _people_trained(period.previous())
        by_month = [_people_trained(Period(max(m, period.start), min(clock.add_months(m, 1) - LONDON_DAY, period.end)))
                    for m in period.months()]
        assert [figures["by_month"].get(n, 0) for n in range(len(by_month))] == by_month
        street = [p.id for p in people if p.organisation_id == orgs[0].id]
        assert training(period, Scope(organisation_id=orgs[0].id))["people"].get(1, 0) == _people_trained(period, street)
        held = {row[0]: row[1:3] for row in certificates(period, Scope())}
        for course in courses:
            assert held.get(course.id, (0, 0)) == (_valid_on(course.id, period.end), _valid_on(course.id, period.previous().end))


def _lapsed(course_id: int, period: Period) -> int:
    """The definition of "lapsed", as the report counted it before the roll-up."""
    from sqlalchemy.orm import aliased

    from volunteer_hub.models.certificates import NEVER

    c, later = Certificate, aliased(Certificate)
    renewed = select(later.id).where(
        later.user_id == c.user_id, later.course_id == c.course_id, later.id != c.id, later.issued_on <= period.end,
        later.revoked_at.is_(None), later.withdrawn_at.is_(None),
        func.coalesce(later.expires_on, NEVER) > c.expires_on).exists()
    return db.session.scalar(select(func.count()).where(
        c.course_id == course_id, c.expires_on >= period.start, c.expires_on <= period.end, c.revoked_at.is_(None),
        c.withdrawn_at.is_(None), ~renewed))


def test_lapsed_certificates_equal_the_definition(app, frozen):
    _people, courses, _orgs = _random_history(6)
    for period in (Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), Period(dt.date(2025, 9, 1), dt.date(2026, 6, 19))):
        lapsed = {row[0]: (row[5], row[6]) for row in certificates(period, Scope())}
        for course in courses:
            assert lapsed.get(course.id, (0, 0)) == (_lapsed(course.id, period), _lapsed(course.id, period.previous()))


def test_marking_an_open_register_costs_no_query_for_the_rollups(app, frozen):
    from sqlalchemy import event

    course = make_course("Bystander intervention")
    s = make_session(course, starts_at=clock.now() - dt.timedelta(hours=2), finalised=False)
    person = make_user()
    assert s.finalised_at is None  # loaded, as the register's page has it
    counted: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        mark(s, person)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert counted and not [q for q in counted if "trained_people" in q or "session_totals" in q or "training_sessions" in q]
    assert db.session.scalar(select(func.count()).select_from(TrainedPerson)) == 0


def test_a_rolled_back_change_leaves_the_rollups_as_they_were(app, frozen):
    person, course = make_user(), make_course("Welfare", validity_months=12)
    certificate = issue(person, course, dt.date(2026, 5, 1))
    before = _snapshot()
    certificate.revoked_at, certificate.revocation_reason = clock.now(), "A mistake"
    db.session.flush()
    db.session.rollback()
    assert _snapshot() == before
    db.session.add(Certificate(user_id=person.id, course_id=course.id, issuer="Elsewhere", number="EXT-1",
                               verification_code="x" * 43, issued_on=dt.date(2026, 6, 1), is_external=True))
    db.session.commit()  # the next commit is not handed the rolled-back change's notes
    assert _snapshot() == _rebuilt()


@pytest.mark.parametrize(("certificates_", "days"), [
    # Overlapping and touching certificates merge; a gap of a day does not.
    ([(dt.date(2025, 1, 1), dt.date(2025, 12, 31), None, None), (dt.date(2025, 6, 1), dt.date(2026, 5, 31), None, None),
      (dt.date(2026, 6, 1), dt.date(2026, 12, 31), None, None), (dt.date(2027, 1, 2), None, None, None)],
     [(dt.date(2025, 1, 1), dt.date(2026, 12, 31)), (dt.date(2027, 1, 2), dt.date(9999, 12, 31))]),
    # Revoked at 23:30 UTC on 31 March 2026, 00:30 BST on 1 April: held until the end of 31 March.
    ([(dt.date(2026, 1, 1), None, dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC), None)],
     [(dt.date(2026, 1, 1), dt.date(2026, 3, 31))]),
    # Withdrawn on the day it was issued: never held.
    ([(dt.date(2026, 1, 1), None, None, dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))], []),
])
def test_coverage_days(certificates_, days):
    assert report_rollups.coverage_days(certificates_) == days


def test_a_session_moved_after_finalising_moves_its_people(app, frozen):
    course, person = make_course("Bystander intervention"), make_user()
    first = make_session(course, starts_at=dt.datetime(2026, 2, 10, 18, 0, tzinfo=UTC))
    second = make_session(course, starts_at=dt.datetime(2026, 3, 10, 18, 0, tzinfo=UTC))
    mark(first, person)
    mark(second, person)
    march = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert training(march, Scope())["people"] == {1: 1, 0: 1}
    first.starts_at, first.ends_at = dt.datetime(2026, 3, 1, 18, 0, tzinfo=UTC), dt.datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    db.session.commit()
    assert training(march, Scope())["people"] == {1: 1}
    assert _snapshot() == _rebuilt()
