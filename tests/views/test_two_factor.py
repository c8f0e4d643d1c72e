"""Two-step sign-in: the code step, setting it up, who must, resets, sessions and the audit trail."""
import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_user, sign_in_as, sign_in_with_code, totp_code
from volunteer_hub.clock import freeze, now
from volunteer_hub.models import AuditEntry, RecoveryCode, Role, User, db
from volunteer_hub.services import two_factor
from volunteer_hub.unit_of_work import unit_of_work


def entries(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def password_step(client, user, password=PASSWORD, **kwargs):
    return client.post("/auth/sign-in", data={"email": user.email, "password": password}, **kwargs)


def recovery_codes_for(user) -> list[str]:
    with unit_of_work(actor=user):
        codes = two_factor._new_recovery_codes(user)
    return codes


# --- the code step ------------------------------------------------------------------------------
def test_a_person_with_two_steps_is_not_signed_in_until_the_code(page, client):
    user = make_user(Role.COORDINATOR)
    r = password_step(client, user)
    assert r.headers["Location"] == "/auth/sign-in/code"
    assert client.get("/home").status_code == 302  # not signed in yet
    p = page.get("/auth/sign-in/code")
    field = p.one("input[name=code]")
    assert field["type"] == "text" and field["autocomplete"] == "one-time-code" and field["inputmode"] == "numeric"
    assert p.one("label[for=code]").get_text(strip=True) == "Code"
    r = client.post("/auth/sign-in/code", data={"code": totp_code(user)})
    assert r.status_code == 302 and r.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200


def test_a_wrong_code_says_so_next_to_the_field_and_in_the_summary(page, client):
    user = make_user(Role.ADMIN)
    password_step(client, user)
    p = page.post("/auth/sign-in/code", data={"code": "000000"}, status=400)
    assert "That code is not right" in p.field_error("code")
    assert any("That code is not right" in e for e in p.error_summary)
    assert client.get("/home").status_code == 302


def test_a_code_cannot_be_used_twice(client, app):
    user = make_user(Role.COORDINATOR)
    code = totp_code(user)
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": code}).status_code == 302
    other = app.test_client()
    password_step(other, user)
    r = other.post("/auth/sign-in/code", data={"code": code})
    assert r.status_code == 400 and "used already" in r.get_data(as_text=True)


def test_a_code_from_the_step_before_is_refused_once_a_later_one_was_used(client):
    user = make_user(Role.COORDINATOR)
    totp = pyotp.TOTP(TEST_TOTP_SECRET)
    step = totp.timecode(now())
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": totp.generate_otp(step)}).status_code == 302
    client.post("/auth/sign-out")
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": totp.generate_otp(step - 1)}).status_code == 400


def test_a_code_too_far_from_now_is_refused(client):
    user = make_user(Role.COORDINATOR)
    totp = pyotp.TOTP(TEST_TOTP_SECRET)
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": totp.generate_otp(totp.timecode(now()) + 3)}).status_code == 400


def test_a_recovery_code_signs_in_once(client, app):
    user = make_user(Role.COORDINATOR)
    codes = recovery_codes_for(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c.replace(" ", "")) == 12 for c in codes)
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert not set(stored) & {c.replace(" ", "") for c in codes}  # stored hashed
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": codes[3]}).status_code == 302
    again = app.test_client()
    password_step(again, user)
    assert again.post("/auth/sign-in/code", data={"code": codes[3]}).status_code == 400
    assert two_factor.recovery_codes_left(user) == 9
    assert entries("auth.signed_in")[0].changes == {"method": "recovery_code"}


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client):
    r = client.get("/auth/sign-in/code")
    assert r.status_code == 302 and r.headers["Location"] == "/auth/sign-in"


def test_the_part_way_sign_in_lapses_after_a_few_minutes(client):
    user = make_user(Role.COORDINATOR)
    password_step(client, user)
    with freeze(now() + dt.timedelta(minutes=11)):
        r = client.post("/auth/sign-in/code", data={"code": totp_code(user)})
    assert r.headers["Location"] == "/auth/sign-in"


def test_wrong_codes_are_limited_per_account(client, app):
    app.config["VH_CODE_LIMIT_PER_ACCOUNT"] = "3 per 5 minutes"
    user = make_user(Role.COORDINATOR)
    password_step(client, user)
    codes = [client.post("/auth/sign-in/code", data={"code": "000000"}, environ_base={"REMOTE_ADDR": f"10.1.0.{i}"}).status_code
             for i in range(4)]
    assert codes == [400, 400, 400, 429]
    # A new session (signing in with the password again) is still the same account.
    fresh = app.test_client()
    password_step(fresh, user, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert fresh.post("/auth/sign-in/code", data={"code": totp_code(user)},
                      environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 429
    # Another account is not affected.
    other = make_user(Role.COORDINATOR)
    password_step(fresh, other, environ_base={"REMOTE_ADDR": "10.1.1.2"})
    assert fresh.post("/auth/sign-in/code", data={"code": totp_code(other)},
                      environ_base={"REMOTE_ADDR": "10.1.1.2"}).status_code == 302


def test_wrong_codes_are_limited_per_address(app):
    app.config["VH_CODE_LIMIT_PER_ADDRESS"] = "2 per 5 minutes"
    codes = []
    for _ in range(3):
        client = app.test_client()
        user = make_user(Role.COORDINATOR)
        password_step(client, user)
        codes.append(client.post("/auth/sign-in/code", data={"code": "000000"}).status_code)
    assert codes == [400, 400, 429]


# --- who must set it up -------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_staff_without_it_are_sent_to_set_it_up_before_any_other_page(client, role):
    user = make_user(role, two_factor=False)
    r = sign_in_with_code(client, user)
    assert r.status_code == 302  # signed in with the password alone...
    for url in ("/home", "/people", "/auth/two-step", "/training/sessions", f"/people/{user.id}"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"] == "/auth/two-step/set-up", url
    assert client.get("/auth/two-step/set-up").status_code == 200
    assert client.get("/healthz").status_code == 200
    static = client.get("/static/css/app.css")
    static.close()
    assert static.status_code == 200
    assert client.post("/auth/sign-out").status_code == 302


def test_a_volunteer_may_leave_it_off_and_set_it_up_from_your_details(page, client):
    user = make_user(Role.VOLUNTEER)
    sign_in_as(client, user)
    p = page.get("/profile")
    assert "Set up two-step sign-in" in p.links()
    p = page.get("/auth/two-step/set-up")
    secret = p.one("#totp-secret")["data-secret"]
    assert p.one("svg.qr-code title").get_text().startswith("QR code")
    assert "".join(p.one("#totp-secret").get_text().split()) == secret
    r = client.post("/auth/two-step/set-up", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    shown = page._read(r, 200, "set-up").texts(".recovery-codes li")
    assert len(shown) == 10
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.has_two_factor and fresh.totp_secret == secret
    [entry] = entries("auth.two_factor_enabled")
    assert (entry.actor_id, entry.subject_id, entry.object_id) == (user.id, user.id, user.id)
    assert entry.changes == {"again": False}
    assert secret not in str(entry.changes) and user.email not in str(entry.changes)


def test_a_wrong_set_up_code_turns_nothing_on(page, client):
    user = make_user(Role.COORDINATOR, two_factor=False)
    sign_in_as(client, user)
    page.get("/auth/two-step/set-up")
    p = page.post("/auth/two-step/set-up", data={"code": "123456"}, status=400)
    assert "That code is not right" in p.field_error("code")
    assert not db.session.get(User, user.id).has_two_factor
    assert entries("auth.two_factor_enabled") == []


def test_setting_it_up_again_needs_a_current_or_recovery_code(page, client):
    user = make_user(Role.COORDINATOR)
    codes = recovery_codes_for(user)
    sign_in_as(client, user)
    p = page.get("/auth/two-step/set-up")
    secret = p.one("#totp-secret")["data-secret"]
    new_code = pyotp.TOTP(secret).now()
    p = page.post("/auth/two-step/set-up", data={"code": new_code, "current_code": "999999999999"}, status=400)
    assert p.field_error("current_code")
    r = client.post("/auth/two-step/set-up", data={"code": new_code, "current_code": codes[0]})
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret
    assert two_factor.recovery_codes_left(user) == 10  # ten new ones
    assert entries("auth.two_factor_enabled")[-1].changes == {"again": True}


def test_a_volunteer_turns_it_off_with_a_code_but_staff_cannot(page, client, app):
    volunteer = make_user(Role.VOLUNTEER, two_factor=True)
    sign_in_as(client, volunteer)
    assert page.post("/auth/two-step/turn-off", data={"code": "000000"}, status=400).field_error("code")
    assert client.post("/auth/two-step/turn-off", data={"code": totp_code(volunteer)}).status_code == 302
    assert not db.session.get(User, volunteer.id).has_two_factor
    staff = make_user(Role.COORDINATOR)
    other = app.test_client()
    sign_in_as(other, staff)
    r = other.post("/auth/two-step/turn-off", data={"code": totp_code(staff)})
    assert r.status_code == 400 and "must keep two-step sign-in on" in r.get_data(as_text=True)
    assert db.session.get(User, staff.id).has_two_factor


# --- an admin's reset -----------------------------------------------------------------------------
def test_an_admin_resets_someone_elses_second_factor_which_ends_their_sessions(app, admin, page):
    person = make_user(Role.COORDINATOR)
    recovery_codes_for(person)
    theirs = app.test_client()
    sign_in_as(theirs, person)
    assert theirs.get("/home").status_code == 200
    page.sign_in(admin)
    p = page.get(f"/people/{person.id}")
    assert p.form(f"/people/{person.id}/two-step/reset")
    r = page.post(f"/people/{person.id}/two-step/reset", status=302)
    assert r.location == f"/people/{person.id}"
    db.session.expire_all()
    fresh = db.session.get(User, person.id)
    assert not fresh.has_two_factor and fresh.totp_secret is None
    assert two_factor.recovery_codes_left(fresh) == 0
    assert theirs.get("/home").status_code == 302  # signed out
    [entry] = entries("auth.two_factor_reset")
    assert (entry.actor_id, entry.subject_id, entry.object_type, entry.object_id) == (admin.id, person.id, "users", person.id)
    # At their next sign-in they must set it up again.
    r = sign_in_with_code(theirs, fresh)
    assert theirs.get("/home").headers["Location"] == "/auth/two-step/set-up"


def test_nobody_resets_their_own_and_only_admins_reset(app, admin, coordinator, page):
    page.sign_in(admin)
    assert not page.get(f"/people/{admin.id}").select(f"form[action='/people/{admin.id}/two-step/reset']")
    page.post(f"/people/{admin.id}/two-step/reset", status=302)
    assert db.session.get(User, admin.id).has_two_factor
    other = app.test_client()
    sign_in_as(other, coordinator)
    assert other.post(f"/people/{admin.id}/two-step/reset").status_code == 403
    assert entries("auth.two_factor_reset") == []


# --- sessions -------------------------------------------------------------------------------------
def test_signing_out_everywhere_ends_other_sessions_and_is_audited(app, volunteer):
    phone, laptop = app.test_client(), app.test_client()
    sign_in_as(phone, volunteer)
    sign_in_as(laptop, volunteer)
    assert laptop.post("/auth/sign-out-everywhere").status_code == 302
    assert laptop.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302
    [entry] = entries("auth.signed_out_everywhere")
    assert (entry.actor_id, entry.subject_id) == (volunteer.id, volunteer.id)


def test_a_staff_session_ends_after_a_working_day(client, app):
    user = make_user(Role.COORDINATOR)
    start = now()
    with freeze(start):
        sign_in_with_code(client, user)
    with freeze(start + dt.timedelta(hours=9, minutes=59)):
        assert client.get("/home").status_code == 200
    with freeze(start + dt.timedelta(hours=10, minutes=1)):
        r = client.get("/home")
        assert r.status_code == 302 and r.headers["Location"].startswith("/auth/sign-in")


def test_staff_get_no_remember_me_cookie_but_volunteers_do(app):
    staff, volunteer = make_user(Role.ADMIN), make_user(Role.VOLUNTEER)
    staff_client, volunteer_client = app.test_client(), app.test_client()
    staff_client.post("/auth/sign-in", data={"email": staff.email, "password": PASSWORD, "remember": "y"})
    staff_client.post("/auth/sign-in/code", data={"code": totp_code(staff)})
    assert staff_client.get_cookie("remember_token") is None
    volunteer_client.post("/auth/sign-in", data={"email": volunteer.email, "password": PASSWORD, "remember": "y"})
    assert volunteer_client.get_cookie("remember_token") is not None
    with freeze(now() + dt.timedelta(days=3)):
        assert volunteer_client.get("/home").status_code == 200


def test_a_password_reset_link_does_not_skip_the_code(client, smtp_server):
    from tests.views.test_auth import link_in, send_mail

    user = make_user(Role.COORDINATOR)
    client.post("/auth/password/forgot", data={"email": user.email})
    send_mail()
    link = link_in(smtp_server.text(smtp_server.messages[-1]), "/auth/password/reset/")
    r = client.post(link, data={"password": "a brand new password"})
    assert r.headers["Location"] == "/auth/sign-in/code"
    assert client.get("/home").status_code == 302
    assert client.post("/auth/sign-in/code", data={"code": totp_code(user)}).status_code == 302
    assert client.get("/home").status_code == 200


# --- the audit trail ------------------------------------------------------------------------------
def test_staff_sign_ins_are_audited_and_volunteers_are_not(client, app):
    staff, volunteer = make_user(Role.COORDINATOR), make_user(Role.VOLUNTEER)
    sign_in_with_code(client, staff)
    sign_in_with_code(app.test_client(), volunteer)
    [entry] = entries("auth.signed_in")
    assert (entry.actor_id, entry.subject_id, entry.object_id) == (staff.id, staff.id, staff.id)
    assert entry.changes == {"method": "code"} and entry.address == "127.0.0.1"


def test_failed_sign_ins_are_audited_by_id_never_by_email(client):
    user = make_user(Role.COORDINATOR)
    password_step(client, user, password="wrong password!")
    client.post("/auth/sign-in", data={"email": "nobody@example.org", "password": "wrong password!"})
    password_step(client, user)
    client.post("/auth/sign-in/code", data={"code": "000000"})
    known, unknown, code = entries("auth.sign_in_failed")
    assert (known.subject_id, known.actor_id, known.changes) == (user.id, None, {"reason": "password"})
    assert (unknown.subject_id, unknown.object_id, unknown.changes) == (None, None, {"reason": "password"})
    assert (code.subject_id, code.changes) == (user.id, {"reason": "code"})
    for entry in (known, unknown, code):
        assert "example.org" not in str(entry.changes)
    assert entries("auth.signed_in") == []
