
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user

from volunteer_hub import login
from volunteer_hub.blueprints.auth import bp
from volunteer_hub.blueprints.auth.forms import (
    EmailChangeForm,
    PasswordChangeForm,
    PasswordForgotForm,
    PasswordResetForm,
    SignInForm,
    SignUpForm,
)
from volunteer_hub.extensions import limiter
from volunteer_hub.forms import ButtonForm
from volunteer_hub.services import auth as auth_service
from volunteer_hub.services import sign_in as sign_in_service
from volunteer_hub.unit_of_work import refused_status, unit_of_work
from volunteer_hub.urls import safe_next

SIGN_UP_SENT = "Check your email: we have sent a link to confirm your address. It may take a minute to arrive."
RESET_SENT = "If that email has an account, we have sent it a link to reset the password. Check your inbox."


def _failed_sign_in(response) -> bool:
    return response.status_code != 302


def _account_key() -> str:
    return "sign-in:" + auth_service.normalise_email(request.form.get("email", ""))[:254]


def _public_limit() -> str:
    return current_app.config["VH_PUBLIC_FORM_LIMIT"]


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignUpForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            auth_service.sign_up(form.name.data, form.email.data, form.password.data)
        if work.ok:
            flash(SIGN_UP_SENT, "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/sign_up.html", form=form), refused_status(form)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["VH_SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"],
               key_func=get_remote_address, deduct_when=_failed_sign_in)
@limiter.limit(lambda: current_app.config["VH_SIGN_IN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed_sign_in)
def sign_in():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = sign_in_service.sign_in_with_password(form.email.data, form.password.data)
        if work.ok and outcome.refusal:
            form.form_errors.append(outcome.refusal)
        elif work.ok:
            return signed_in_or_code_next(outcome, form.remember.data, next_url)
    return render_template("auth/sign_in.html", form=form), refused_status(form)


def signed_in_or_code_next(outcome, remember: bool, next_url: str | None, welcome: str = "Welcome, {name}."):
    """After a password is accepted: sign in now, or ask for the code (not signed in until then)."""
    if outcome.needs_code:
        login.hold_pending(outcome.user, remember, next_url)
        return redirect(url_for("auth.sign_in_code"))
    login.start_session(outcome.user, remember)
    flash(welcome.format(name=outcome.user.display_name), "success")
    return redirect(next_url or url_for("main.dashboard"))


@bp.post("/sign-out")
def sign_out():
    if ButtonForm().validate_on_submit():
        login.end_session()
        flash("You are signed out.", "info")
    return redirect(url_for("main.index"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            auth_service.sign_out_everywhere(current_user._get_current_object())
        if work.ok:
            login_user(current_user._get_current_object())  # this device stays signed in
            flash("You are signed out on every other device.", "success")
    return redirect(url_for("people.profile"))


@bp.get("/confirm/<token>")
def email_confirm(token):
    with unit_of_work() as work:
        auth_service.confirm_email(token)
    if not work.ok:
        return redirect(url_for("auth.email_unconfirmed") if current_user.is_authenticated else url_for("auth.sign_in"))
    flash("Thank you: your email address is confirmed.", "success")
    return redirect(url_for("main.dashboard") if current_user.is_authenticated else url_for("auth.sign_in"))


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(_public_limit, methods=["POST"])
def email_unconfirmed():
    form = ButtonForm()
    if current_user.is_confirmed:
        return redirect(url_for("main.dashboard"))
    if form.validate_on_submit():
        with unit_of_work():
            auth_service.send_confirmation(current_user)
        flash(f"We have sent a new link to {current_user.email}.", "success")
        return redirect(url_for("auth.email_unconfirmed"))
    return render_template("auth/unconfirmed.html", form=form), refused_status(form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def password_forgot():
    form = PasswordForgotForm()
    if form.validate_on_submit():
        with unit_of_work():
            auth_service.request_password_reset(form.email.data)
        flash(RESET_SENT, "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/password_forgot.html", form=form), refused_status(form)


def _password_from_link(token: str, setting: bool):
    with unit_of_work() as work:  # a check, but it answers as every refusal does
        auth_service.check_reset_token(token, setting=setting)
    if not work.ok:
        return redirect(url_for("auth.password_forgot"))
    form = PasswordResetForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = sign_in_service.sign_in_after_reset(token, form.password.data, setting=setting)
        if work.ok:
            if outcome.needs_code:
                flash("Your password is set. Enter the code from your app to finish signing in.", "success")
            return signed_in_or_code_next(outcome, False, None, "Your password is set. You are signed in.")
    return render_template("auth/password_reset.html", form=form, setting=setting), refused_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token):
    return _password_from_link(token, setting=False)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def password_set(token):
    return _password_from_link(token, setting=True)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password_change():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            auth_service.change_password(current_user, form.current_password.data, form.password.data)
        if work.ok:
            login_user(current_user._get_current_object())  # this device stays signed in
            flash("Your password is changed. You have been signed out on other devices.", "success")
            return redirect(url_for("people.profile"))
    return render_template("auth/password_change.html", form=form), refused_status(form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
def email_change():
    form = EmailChangeForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            auth_service.request_email_change(current_user, form.email.data, form.password.data)
        if work.ok:
            flash(f"We have sent a link to {form.email.data}. Your email changes when you follow it.", "success")
            return redirect(url_for("people.profile"))
    return render_template("auth/email_change.html", form=form), refused_status(form)


@bp.get("/email/confirm/<token>")
def email_change_confirm(token):
    with unit_of_work() as work:
        auth_service.confirm_email_change(token)
    if work.ok:
        flash("Your email address is changed.", "success")
    return redirect(url_for("people.profile") if current_user.is_authenticated else url_for("auth.sign_in"))
