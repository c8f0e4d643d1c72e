"""Issuing from the register, re-finalising, expiry arithmetic, renewal, revocation, external
certificates and looking them up."""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.factories import make_user
from tests.factories_certificates import issue, make_course, make_session, mark
from volunteer_hub import clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import AttendanceStatus, Certificate, CertificateStatus, SessionStatus, db
from volunteer_hub.queries import certificates as certificate_queries
from volunteer_hub.services import certificates as service

P, A, L, E = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY


def certificates(user=None):
    stmt = select(Certificate).order_by(Certificate.id)
    if user is not None:
        stmt = stmt.where(Certificate.user_id == user.id)
    return list(db.session.scalars(stmt))


# --- expiry arithmetic -------------------------------------------------------------------------
@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # leap year
    (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
    (dt.date(2028, 2, 29), 48, dt.date(2032, 2, 29)),
    (dt.date(2026, 3, 31), 24, dt.date(2028, 3, 31)),
    (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
    (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
    (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
])
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert clock.add_months(day, months) == expected


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)), st.integers(1, 120))
def test_add_months_lands_in_the_right_month_never_later_in_it(day, months):
    result = clock.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day


# --- issuing on finalise -------------------------------------------------------------------------
def test_finalising_issues_to_present_and_late_only(app):
    course = make_course("Bystander intervention", validity_months=24)
    session = make_session(course, starts_at=dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC))
    present, late, absent, left = (make_user() for _ in range(4))
    mark(session, present, P), mark(session, late, L), mark(session, absent, A), mark(session, left, E)

    result = service.sync_certificates_for_session(session)
    db.session.commit()

    assert {c.user_id for c in result.issued} == {present.id, late.id}
    certificate = certificates(present)[0]
    assert certificate.issued_on == dt.date(2026, 3, 31)
    assert certificate.expires_on == dt.date(2028, 3, 31)
    assert certificate.number == f"VH-2026-{certificate.id:06d}"
    assert len(certificate.verification_code) >= 22
    assert certificate.verification_code != certificates(late)[0].verification_code
    assert certificates(absent) == [] and certificates(left) == []


def test_late_does_not_count_when_the_course_says_so(app):
    course = make_course(late_counts_as_attended=False)
    session = make_session(course)
    late = make_user()
    mark(session, late, L)
    assert service.sync_certificates_for_session(session).issued == []


def test_no_certificate_for_a_course_without_one_or_an_unfinalised_register(app):
    person = make_user()
    no_cert = make_session(make_course(gives_certificate=False))
    mark(no_cert, person)
    unfinalised = make_session(make_course(), finalised=False)
    mark(unfinalised, person)
    assert not service.sync_certificates_for_session(no_cert).changed
    assert not service.sync_certificates_for_session(unfinalised).changed
    assert certificates() == []


def test_issue_date_is_the_session_date_in_london(app):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    session = make_session(make_course(validity_months=12), starts_at=dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC))
    mark(session, make_user())
    (certificate,) = service.sync_certificates_for_session(session).issued
    assert certificate.issued_on == dt.date(2026, 7, 1)
    assert certificate.expires_on == dt.date(2027, 7, 1)


def test_a_course_that_never_expires_gives_no_expiry(app):
    session = make_session(make_course(validity_months=None))
    mark(session, make_user())
    (certificate,) = service.sync_certificates_for_session(session).issued
    assert certificate.expires_on is None
    assert certificate_queries.status_of(certificate) is CertificateStatus.VALID


# --- re-finalising -----------------------------------------------------------------------------
def test_refinalising_changes_nothing_and_corrections_change_exactly_what_differs(app):
    course = make_course()
    session = make_session(course)
    stays, removed, added = make_user(), make_user(), make_user()
    mark(session, stays, P), mark(session, removed, P), mark(session, added, A)
    service.sync_certificates_for_session(session)
    db.session.commit()
    first = {c.user_id: c.id for c in certificates()}

    again = service.sync_certificates_for_session(session)
    assert not again.changed
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2

    # A coordinator corrects two marks.
    mark(session, removed, A)
    mark(session, added, L)
    result = service.sync_certificates_for_session(session)
    db.session.commit()
    assert [c.user_id for c in result.withdrawn] == [removed.id]
    assert [c.user_id for c in result.issued] == [added.id]
    assert certificates(stays)[0].id == first[stays.id]
    assert certificate_queries.status_of(certificates(removed)[0]) is CertificateStatus.WITHDRAWN

    # Corrected back: the same certificate returns, never a second one for that attendance.
    mark(session, removed, P)
    result = service.sync_certificates_for_session(session)
    db.session.commit()
    assert [c.id for c in result.reinstated] == [first[removed.id]]
    assert len(certificates(removed)) == 1
    assert certificate_queries.status_of(certificates(removed)[0]) is CertificateStatus.VALID


def test_the_database_refuses_a_second_certificate_for_one_attendance(app):
    session = make_session(make_course())
    person = make_user()
    mark(session, person)
    (certificate,) = service.sync_certificates_for_session(session).issued
    db.session.commit()
    db.session.add(Certificate(user_id=person.id, course_id=certificate.course_id, issuer="x", number="VH-X",
                               verification_code="other-code", issued_on=certificate.issued_on,
                               attendance_id=certificate.attendance_id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_cancelled_session_withdraws_its_certificates(app):
    session = make_session(make_course())
    mark(session, make_user())
    service.sync_certificates_for_session(session)
    session.status = SessionStatus.CANCELLED
    assert len(service.sync_certificates_for_session(session).withdrawn) == 1


# --- renewal, current, history -----------------------------------------------------------------
def test_a_renewal_becomes_the_current_certificate_and_the_history_keeps_both(app):
    person, course = make_user(), make_course(validity_months=12)
    today = clock.today()
    old = issue(person, course, today - dt.timedelta(days=400))
    new = issue(person, course, today - dt.timedelta(days=10))
    current, history = certificate_queries.certificates_of(person)
    assert [v.certificate.id for v in current] == [new.id]
    assert [v.certificate.id for v in history] == [new.id, old.id]
    assert history[1].status is CertificateStatus.EXPIRED
    assert certificate_queries.has_current_certificate(person, course)


def test_the_home_panel_lists_the_same_current_certificates_in_the_same_order(app):
    person, coordinator = make_user(), make_user()
    today = clock.today()
    renewed, lapsed = make_course("Bystander intervention", validity_months=12), make_course("Ask for Angela", 12)
    soon, revoked = make_course("Trauma-informed practice", validity_months=12), make_course("Welfare")
    issue(person, renewed, today - dt.timedelta(days=400))
    issue(person, renewed, today - dt.timedelta(days=10))
    issue(person, lapsed, today - dt.timedelta(days=500))
    issue(person, soon, today - dt.timedelta(days=350))
    service.revoke_certificate(issue(person, revoked, today), "Wrong person", by=coordinator)
    for title in ("first aid", "First Aid"):  # the same title from elsewhere, in any case: one current
        service.record_external_certificate(person, course=None, title=title, issuer="Red Cross", issued_on=today,
                                            expires_on=None, evidence_note=None, by=coordinator)
    current, _history = certificate_queries.certificates_of(person)
    panel = certificate_queries.current_certificates(person)
    assert [(c.title, c.status) for c in panel] == [(v.certificate.display_title, v.status) for v in current]
    assert [c.status for c in panel][:2] == [CertificateStatus.EXPIRED, CertificateStatus.EXPIRING]
    assert len(panel) == 5 and certificate_queries.current_certificates(make_user()) == []


def test_has_current_certificate_respects_dates_revocation_and_withdrawal(app):
    person, course = make_user(), make_course(validity_months=12)
    certificate = issue(person, course, dt.date(2026, 1, 31))
    assert certificate.expires_on == dt.date(2027, 1, 31)
    assert certificate_queries.has_current_certificate(person, course, at=dt.date(2027, 1, 31))
    assert not certificate_queries.has_current_certificate(person, course, at=dt.date(2027, 2, 1))
    assert not certificate_queries.has_current_certificate(person, course, at=dt.date(2026, 1, 30))
    # A datetime is read as its London date: 00:30 BST on 1 June is still 31 May in UTC.
    assert certificate_queries.has_current_certificate(person, course, at=dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC))
    assert not certificate_queries.has_current_certificate(make_user(), course, at=dt.date(2026, 6, 1))
    service.revoke_certificate(certificate, "Issued in error", by=make_user())
    assert not certificate_queries.has_current_certificate(person, course, at=dt.date(2026, 6, 1))


# --- revocation ----------------------------------------------------------------------------------
def test_revocation_needs_a_reason_and_happens_once(app):
    person = make_user()
    certificate = issue(person, make_course(), clock.today())
    coordinator = make_user()
    with pytest.raises(ValidationFailed) as error:
        service.revoke_certificate(certificate, "  ", by=coordinator)
    assert error.value.field == "reason"
    service.revoke_certificate(certificate, "Attendance was recorded for the wrong person", by=coordinator)
    db.session.commit()
    assert certificate_queries.status_of(certificate) is CertificateStatus.REVOKED
    assert certificate.revoked_by_id == coordinator.id
    with pytest.raises(Conflict):
        service.revoke_certificate(certificate, "again", by=coordinator)
    current, history = certificate_queries.certificates_of(person)
    assert current[0].status is CertificateStatus.REVOKED and len(history) == 1


# --- external certificates ----------------------------------------------------------------------
def test_an_external_certificate_counts_and_takes_the_course_validity(app):
    person, coordinator, course = make_user(), make_user(), make_course(validity_months=24)
    certificate = service.record_external_certificate(
        person, course=course, title=None, issuer="St John Ambulance", issued_on=dt.date(2026, 2, 1),
        expires_on=None, evidence_note="Original seen", by=coordinator)
    assert certificate.number.startswith("EXT-2026-")
    assert certificate.expires_on == dt.date(2028, 2, 1)
    assert certificate.is_external and certificate.recorded_by_id == coordinator.id
    assert certificate_queries.has_current_certificate(person, course, at=dt.date(2027, 1, 1))


@pytest.mark.parametrize("values, field", [
    (dict(course=None, title=""), "title"),
    (dict(issuer=" "), "issuer"),
    (dict(issued_on=dt.date.today() + dt.timedelta(days=5)), "issued_on"),
    (dict(expires_on=dt.date(2025, 1, 1)), "expires_on"),
])
def test_an_external_certificate_is_checked(app, values, field):
    base = dict(course=None, title="Emergency first aid at work", issuer="Red Cross", issued_on=dt.date(2026, 2, 1),
                expires_on=None, evidence_note=None, by=make_user())
    with pytest.raises(ValidationFailed) as error:
        service.record_external_certificate(make_user(), **{**base, **values})
    assert error.value.field == field


# --- looking up for verification -------------------------------------------------------------------
def test_a_certificate_is_found_by_code_or_number_in_any_case(app):
    certificate = issue(make_user(), make_course(), clock.today())
    assert certificate_queries.find_certificate_for_verification(certificate.verification_code) == certificate
    assert certificate_queries.find_certificate_for_verification(certificate.number.lower()) == certificate
    assert certificate_queries.find_certificate_for_verification(f" {certificate.number} ") == certificate
    assert certificate_queries.find_certificate_for_verification("VH-2026-999999") is None
    assert certificate_queries.find_certificate_for_verification("") is None
    assert certificate_queries.find_certificate_for_verification("x" * 500) is None
