"""Expiry reminders (60/30/7 days, exactly once, even from two runs at once) and the weekly summary."""
import datetime as dt

from sqlalchemy import select

from tests.factories import make_user
from tests.factories_certificates import issue, make_course
from tests.threads import at_once
from volunteer_hub import clock
from volunteer_hub.jobs import send_outbox_job
from volunteer_hub.models import OutboxMessage, Role, db
from volunteer_hub.queries import certificates as certificate_queries
from volunteer_hub.services import certificates as service


def keys():
    return sorted(db.session.scalars(select(OutboxMessage.key)))


def expiring_in(days, person=None, course=None, validity=12):
    """A certificate of `person` whose expiry is `days` from today."""
    today = clock.today()
    course = course or make_course(validity_months=validity)
    expires = today + dt.timedelta(days=days)
    return issue(person or make_user(), course, today - dt.timedelta(days=30), expires_on=expires)


def test_each_threshold_sends_once_and_only_the_one_that_applies(app):
    certificate = expiring_in(45)
    today = clock.today()
    assert service.send_expiry_reminders(today) == 1
    assert service.send_expiry_reminders(today) == 0
    assert keys() == [f"reminder:certificate:{certificate.id}:60d"]
    # Twenty days later it is inside the 30-day window: one more.
    assert service.send_expiry_reminders(today + dt.timedelta(days=20)) == 1
    # First seen with 5 days left (e.g. the job was down): only the 7-day reminder, no backlog.
    late = expiring_in(5)
    service.send_expiry_reminders(today)
    assert [k for k in keys() if f":{late.id}:" in k] == [f"reminder:certificate:{late.id}:7d"]


def test_no_reminder_when_renewed_revoked_expired_or_far_off(app):
    person, course = make_user(), make_course(validity_months=12)
    expiring_in(20, person=person, course=course)
    issue(person, course, clock.today())  # renewed today: good for 12 more months
    revoked = expiring_in(20)
    service.revoke_certificate(revoked, "Issued in error", by=make_user())
    expiring_in(-1)
    expiring_in(90)
    inactive = make_user(active=False)
    expiring_in(10, person=inactive)
    assert service.send_expiry_reminders() == 0


def test_the_reminder_email_links_to_the_next_sessions(app, smtp_server):
    person = make_user(name="Łukasz Nowak", email="lukasz@example.org")
    certificate = expiring_in(30, person=person, course=make_course("Ask for Angela / WAVE", validity_months=12))
    service.send_expiry_reminders()
    db.session.commit()
    send_outbox_job()
    (message,) = smtp_server.messages
    assert message["To"] == "lukasz@example.org"
    assert "Ask for Angela / WAVE certificate expires on" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "in 30 days" in body and certificate.number in body
    assert f"http://localhost/training/sessions?course={certificate.course_id}" in body


def test_two_job_runs_at_once_send_each_reminder_once(app):
    """Two threads, each with its own app context (its own session and connection), as two
    `flask jobs run` processes would be."""
    certificates = [expiring_in(d) for d in (3, 20, 50)]
    db.session.commit()
    results = at_once(app, service.send_expiry_reminders, in_transaction=True)
    assert sum(results) == 3
    assert keys() == sorted(f"reminder:certificate:{c.id}:{t}d" for c, t in zip(certificates, (7, 30, 60)))


def test_coordinators_get_one_summary_a_week(app, smtp_server):
    coordinator = make_user(Role.COORDINATOR, email="cora@example.org")
    make_user(Role.VOLUNTEER)
    soon = expiring_in(10)
    today = clock.today()
    assert service.send_weekly_summary(today) == 1
    assert service.send_weekly_summary(today) == 0
    year, week, _ = (today + dt.timedelta(days=7)).isocalendar()
    assert service.send_weekly_summary(today + dt.timedelta(days=7)) == 1
    db.session.commit()
    send_outbox_job()
    message = smtp_server.messages[0]
    assert message["To"] == "cora@example.org"
    assert soon.user.name in message.get_body(("plain",)).get_content()
    assert f"summary:certificates:{year}-W{week:02d}:{coordinator.id}" in keys()


def test_the_jobs_command_runs_the_reminders(app, runner):
    expiring_in(7)
    result = runner.invoke(args=["jobs", "run"])
    assert "certificate expiry reminders: 1 reminders queued" in result.output
    result = runner.invoke(args=["jobs", "run"])
    assert "certificate expiry reminders: 0 reminders queued" in result.output


def test_two_good_certificates_expiring_the_same_day_make_one_current_and_one_reminder(app):
    """"Current" is decided once (Certificate.is_current): My certificates, the expiring list and
    the reminders agree, even when two certificates of one course tie on their expiry date."""
    person = make_user()
    course = make_course(validity_months=12)
    today = clock.today()
    first = service.issue_certificate(person, course, today - dt.timedelta(days=360))
    second = service.issue_certificate(person, course, today - dt.timedelta(days=360))
    first.expires_on = second.expires_on = today + dt.timedelta(days=20)
    db.session.commit()
    current, history = certificate_queries.certificates_of(person)
    assert [v.certificate.id for v in current] == [second.id] and len(history) == 2
    listed = list(db.session.scalars(certificate_queries.expiring_query(30)))
    assert [c.id for c in listed] == [second.id]
    assert certificate_queries.count_expiring(30, 100) == (1, False)
    assert service.send_expiry_reminders() == 1
