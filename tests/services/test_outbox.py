import datetime as dt

from sqlalchemy import func, select

from tests.factories import make_user
from volunteer_hub.jobs import send_batch as send_pending
from volunteer_hub.models import OutboxMessage, OutboxStatus, db, utcnow
from volunteer_hub.services.outbox import queue_email


def _queue(key="k1", to="a@example.org"):
    user = make_user()
    return queue_email(key=key, recipient=to, subject="Hello", template="confirm_email", user=user,
                       confirm_url="http://x/confirm", hours=72)


def test_the_same_key_is_queued_once(app):
    assert _queue("same") is True
    assert _queue("same") is False
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_email_exists_only_if_its_change_commits(app):
    _queue("rolled-back")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_pending_mail_goes_through_smtp(app, smtp_server):
    _queue(to="reader@example.org")
    db.session.commit()
    assert send_pending() == (1, 0)
    db.session.commit()
    [message] = smtp_server.to("reader@example.org")
    assert message["Subject"] == "Hello"
    row = db.session.scalar(select(OutboxMessage))
    assert row.status is OutboxStatus.SENT and row.sent_at is not None


def test_smtp_down_keeps_the_mail_and_retries_with_back_off(app, smtp_server):
    _queue(to="later@example.org")
    db.session.commit()
    good_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    app.extensions["mail"].port = 1
    assert send_pending() == (0, 1)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage))
    assert row.status is OutboxStatus.PENDING and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > utcnow()
    assert send_pending() == (0, 0)  # not due yet
    app.extensions["mail"].port = good_port
    row.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert send_pending() == (1, 0)
    db.session.commit()
    assert len(smtp_server.to("later@example.org")) == 1
    assert db.session.scalar(select(OutboxMessage)).last_error is None


def test_flask_outbox_send_command(runner, smtp_server):
    _queue(to="cli@example.org")
    db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert "1 sent" in result.output
    assert len(smtp_server.to("cli@example.org")) == 1


def test_mail_is_sent_outside_any_transaction_so_no_write_waits_behind_smtp(app, smtp_server, monkeypatch):
    from volunteer_hub.services import outbox

    _queue(to="quick@example.org")
    db.session.commit()
    seen = []
    real = outbox.transmit

    def watching(message):
        seen.append(db.session().in_transaction())  # the claim is committed before SMTP is touched
        return real(message)

    monkeypatch.setattr(outbox, "transmit", watching)
    assert send_pending() == (1, 0)
    assert seen == [False]
    assert len(smtp_server.to("quick@example.org")) == 1


def test_a_claimed_message_is_not_claimed_again_by_another_sender(app):
    from volunteer_hub.services.outbox import claim_due

    _queue(to="once@example.org")
    db.session.commit()
    first = claim_due()
    db.session.commit()
    assert [m.recipient for m in first] == ["once@example.org"]
    assert claim_due() == []  # leased: a parallel sender skips it
    db.session.commit()
