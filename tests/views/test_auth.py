import re

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, sign_in_as, sign_in_with_code
from volunteer_hub.jobs import send_outbox_job
from volunteer_hub.models import OutboxMessage, Role, User, db


def send_mail():
    send_outbox_job()


def link_in(message_text: str, path_part: str) -> str:
    match = re.search(r"https?://[^\s]*" + re.escape(path_part) + r"[^\s]*", message_text)
    assert match, f"no link with {path_part} in:\n{message_text}"
    return match.group(0).replace("http://localhost", "")


def sign_up(client, email="new.person@example.org", **extra):
    data = {"name": "New Person", "email": email, "password": "a good long password", "agree_privacy": "y"}
    data.update(extra)
    return client.post("/auth/sign-up", data=data)


def test_sign_up_creates_unconfirmed_volunteer_and_emails_a_link_that_confirms(client, smtp_server):
    response = sign_up(client, email="New.Person@Example.org")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user is not None and not user.is_confirmed
    assert user.roles == {Role.VOLUNTEER}
    assert user.privacy_notice_version == "2026-11" and user.privacy_accepted_at is not None
    assert user.password_hash.startswith("$argon2id$")

    send_mail()
    [message] = smtp_server.to("new.person@example.org")
    assert message["Subject"] == "Confirm your email address"
    link = link_in(smtp_server.text(message), "/auth/confirm/")
    assert client.get(link).status_code == 302
    db.session.refresh(user)
    assert user.is_confirmed


def test_sign_up_needs_privacy_agreement_and_shows_errors_by_the_fields(client):
    response = sign_up(client, agree_privacy="", email="not-an-email", password="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # a refused form answers 400, in every area
    assert "There is a problem" in page
    assert "Tick the box to agree to the privacy notice." in page
    assert "Enter an email address like name@example.org." in page
    assert 'value="New Person"' in page  # values kept
    assert db.session.scalar(select(User)) is None


def test_sign_up_rejects_a_short_password_next_to_the_field(client):
    page = sign_up(client, password="short12").get_data(as_text=True)
    assert 'id="password-error"' in page and "at least 10 characters" in page


def test_sign_up_answers_the_same_for_a_known_email_and_creates_nothing(client, smtp_server):
    make_user(email="taken@example.org")
    first = sign_up(client, email="TAKEN@example.org")
    second = sign_up(client, email="fresh@example.org")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalars(select(User).where(User.email == "taken@example.org")).all().__len__() == 1
    send_mail()
    [warning] = smtp_server.to("taken@example.org")
    assert "already have an account" in smtp_server.text(warning)


def test_unconfirmed_person_can_sign_in_and_ask_for_the_link_again(client, smtp_server):
    user = make_user(confirmed=False)
    r = client.post("/auth/sign-in", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
    page = client.get("/home").get_data(as_text=True)
    assert "Please confirm your email address" in page
    assert client.post("/auth/confirm").status_code == 302
    send_mail()
    assert len(smtp_server.to(user.email)) == 1


def test_confirmation_link_expires(client, app):
    user = make_user(confirmed=False)
    from volunteer_hub.services.tokens import make_token

    token = make_token("confirm", {"uid": user.id, "email": user.email})
    app.config["VH_CONFIRM_EMAIL_MAX_AGE"] = -1
    r = client.get(f"/auth/confirm/{token}", follow_redirects=True)
    assert "This link has expired" in r.get_data(as_text=True)
    assert not db.session.get(User, user.id).is_confirmed


def test_sign_in_with_wrong_password_says_so_without_saying_which(client):
    user = make_user()
    page = client.post("/auth/sign-in", data={"email": user.email, "password": "wrong password!"}).get_data(as_text=True)
    assert "The email or password is not right." in page
    page = client.post("/auth/sign-in", data={"email": "nobody@example.org", "password": "wrong password!"}).get_data(as_text=True)
    assert "The email or password is not right." in page


def test_sign_in_is_case_insensitive_on_email(client):
    user = make_user(email="mixed@example.org")
    r = client.post("/auth/sign-in", data={"email": "MiXeD@Example.ORG", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/home"
    assert user.id


def test_deactivated_person_cannot_sign_in(client):
    user = make_user(active=False)
    page = client.post("/auth/sign-in", data={"email": user.email, "password": PASSWORD}).get_data(as_text=True)
    assert "deactivated" in page
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/people", "/people"),
    ("/ok/path?x=1", "/ok/path?x=1"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a path on this site (a 404), not //evil.example
    ("https://evil.example/", "/home"),
    ("http://evil.example", "/home"),
    ("https:evil.example", "/home"),
    ("//evil.example/", "/home"),
    ("/\\evil.example", "/home"),
    ("\\\\evil.example", "/home"),
    ("javascript:alert(1)", "/home"),
    ("\t//evil.example", "/home"),
    ("/\t/evil.example", "/home"),
])
def test_next_after_sign_in_stays_on_this_site(client, target, expected):
    user = make_user(Role.COORDINATOR)
    r = sign_in_with_code(client, user, next_url=target)  # the next address waits through the code step
    assert r.status_code == 302 and r.headers["Location"] == expected


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https:evil.example"])
def test_next_is_refused_for_someone_already_signed_in(client, volunteer, target):
    sign_in_as(client, volunteer)
    assert client.get("/auth/sign-in", query_string={"next": target}).headers["Location"] == "/home"


def test_repeated_failed_sign_ins_for_one_account_are_slowed(client, app):
    user = make_user()
    codes = [client.post("/auth/sign-in", data={"email": user.email, "password": "wrong password!"},
                         environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(7)]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]
    assert "Too many attempts" in client.post("/auth/sign-in", data={"email": user.email, "password": PASSWORD}).get_data(as_text=True)
    # Another account from another address is not affected.
    other = make_user()
    assert client.post("/auth/sign-in", data={"email": other.email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302


def test_failed_sign_ins_from_one_address_are_slowed(client, app):
    app.config["VH_SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per 5 minutes"
    codes = [client.post("/auth/sign-in", data={"email": f"p{i}@example.org", "password": "wrong password!"}).status_code
             for i in range(4)]
    assert codes == [400, 400, 400, 429]


def test_sign_out_is_a_post(client, volunteer):
    sign_in_as(client, volunteer)
    assert client.get("/auth/sign-out").status_code == 405
    assert client.post("/auth/sign-out").status_code == 302
    assert client.get("/home").status_code == 302


def test_password_reset_link_works_once(client, smtp_server):
    user = make_user()
    r = client.post("/auth/password/forgot", data={"email": user.email})
    unknown = client.post("/auth/password/forgot", data={"email": "who@example.org"})
    assert r.status_code == unknown.status_code == 302 and r.headers["Location"] == unknown.headers["Location"]
    send_mail()
    [message] = smtp_server.messages
    link = link_in(smtp_server.text(message), "/auth/password/reset/")
    assert client.post(link, data={"password": "a brand new password"}).status_code == 302
    again = client.post(link, data={"password": "another new password"}, follow_redirects=True)
    assert "already been used" in again.get_data(as_text=True)
    client.post("/auth/sign-out")
    assert client.post("/auth/sign-in", data={"email": user.email, "password": "a brand new password"}).status_code == 302


def test_changing_password_ends_other_sessions(app, volunteer):
    phone, laptop = app.test_client(), app.test_client()
    sign_in_as(phone, volunteer)
    sign_in_as(laptop, volunteer)
    r = laptop.post("/auth/password", data={"current_password": PASSWORD, "password": "my new password 2026"})
    assert r.status_code == 302
    assert laptop.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302  # signed out


def test_change_password_checks_the_current_one(client, volunteer):
    sign_in_as(client, volunteer)
    page = client.post("/auth/password", data={"current_password": "nope nope nope", "password": "my new password 2026"}).get_data(as_text=True)
    assert 'id="current_password-error"' in page


def test_changing_email_waits_for_the_new_address_to_confirm(client, volunteer, smtp_server):
    sign_in_as(client, volunteer)
    r = client.post("/auth/email", data={"email": "Fresh.Address@example.org", "password": PASSWORD})
    assert r.status_code == 302
    assert db.session.get(User, volunteer.id).email == volunteer.email
    send_mail()
    [message] = smtp_server.to("fresh.address@example.org")
    client.get(link_in(smtp_server.text(message), "/auth/email/confirm/"))
    assert db.session.get(User, volunteer.id).email == "fresh.address@example.org"


def test_every_email_is_a_text_and_html_pair(client, smtp_server):
    sign_up(client)
    send_mail()
    [message] = smtp_server.messages
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None
    row = db.session.scalar(select(OutboxMessage))
    assert "<a href=" in row.body_html and "http://localhost/auth/confirm/" in row.body_text


def test_rate_limits_can_live_in_redis_shared_by_workers(_schema, smtp_server):
    """Production keeps limits in Redis so every gunicorn worker counts the same attempts."""
    import uuid

    import redis

    from volunteer_hub import create_app

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (CI starts it; locally: redis-server --daemonize yes)")
    email = f"{uuid.uuid4().hex}@example.org"
    codes = []
    for _worker in range(2):  # two app instances stand for two workers
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=_schema, RATELIMIT_STORAGE_URI=url,
                         VH_SIGN_IN_LIMIT_PER_ACCOUNT="2 per 5 minutes")
        with app.app_context():
            client = app.test_client()
            for _ in range(2):
                codes.append(client.post("/auth/sign-in", data={"email": email, "password": "wrong password!"}).status_code)
            db.session.remove()
            db.engine.dispose()
    assert codes == [400, 400, 429, 429]


def test_the_roles_read_with_the_signed_in_row_follow_a_change_made_in_the_same_request(app):
    """Sign-in reads the roles as one string beside the person's row; granting or removing one
    later in the request must be seen at once (the role rows then speak), not the string."""
    from volunteer_hub.login import _user_for
    from volunteer_hub.services.people import grant_role, remove_role

    person = make_user(Role.VOLUNTEER, Role.TRAINER)
    admin = make_user(Role.ADMIN)
    db.session.commit()
    cookie_id, person_id, version = person.get_id(), person.id, person.session_version
    with app.test_request_context():
        user = _user_for(cookie_id)
        assert user.roles == {Role.VOLUNTEER, Role.TRAINER} and user.has_role(Role.TRAINER)
        assert not user.is_coordinator
        assert grant_role(user, Role.COORDINATOR)
        assert user.is_coordinator
        assert remove_role(user, Role.TRAINER, by=admin)
        assert user.roles == {Role.VOLUNTEER, Role.COORDINATOR}
        db.session.commit()
    db.session.expunge_all()
    assert _user_for(cookie_id).roles == {Role.VOLUNTEER, Role.COORDINATOR}
    assert _user_for(f"{person_id}:{version + 1}") is None  # an ended session
