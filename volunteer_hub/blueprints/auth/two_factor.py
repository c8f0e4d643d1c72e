"""Two-step sign-in pages: the code after the password, setting it up (a QR code for the app, then
the recovery codes, once), and turning it off (volunteers only)."""
import segno
from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from markupsafe import Markup

from volunteer_hub import login
from volunteer_hub.blueprints.auth import bp
from volunteer_hub.blueprints.auth.forms import SignInCodeForm, TwoFactorOffForm, TwoFactorSetupForm
from volunteer_hub.extensions import limiter
from volunteer_hub.services import sign_in as sign_in_service
from volunteer_hub.services import two_factor
from volunteer_hub.unit_of_work import refused_status, unit_of_work

QR_TITLE = "QR code to scan with your authenticator app. If you cannot scan it, type the key shown below it."


def _refused(response) -> bool:
    return response.status_code != 302


def _own_account_key() -> str:
    return f"sign-in-code:{current_user.get_id().split(':', 1)[0]}"


def _code_limits(account_key):
    """Codes are limited per account and per address; only refused codes count."""
    def decorate(view):
        view = limiter.limit(lambda: current_app.config["VH_CODE_LIMIT_PER_ACCOUNT"], methods=["POST"],
                             key_func=account_key, deduct_when=_refused)(view)
        return limiter.limit(lambda: current_app.config["VH_CODE_LIMIT_PER_ADDRESS"], methods=["POST"],
                             key_func=get_remote_address, deduct_when=_refused)(view)
    return decorate


def qr_svg(text: str) -> Markup:
    # segno writes the SVG itself and escapes the title; the text is encoded as modules, not markup.
    svg = segno.make(text, error="m").svg_inline(scale=5, title=QR_TITLE, svgclass="qr-code")
    return Markup(svg)  # nosec B704


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_code_limits(login.pending_account_key)
def sign_in_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    part_way = login.pending()
    if part_way is None:
        flash("Sign in again: the code must follow the password within a few minutes.", "info")
        return redirect(url_for("auth.sign_in"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = sign_in_service.sign_in_with_code(part_way["user"], form.code.data)
        if work.ok and outcome.refusal:
            form.code.errors.append(outcome.refusal)
        elif work.ok:
            login.start_session(outcome.user, part_way["remember"])
            flash(f"Welcome, {outcome.user.display_name}.", "success")
            return redirect(part_way["next"] or url_for("main.dashboard"))
    return render_template("auth/sign_in_code.html", form=form), refused_status(form)


@bp.get("/two-step")
@login_required
def two_factor_status():
    user = current_user._get_current_object()
    return render_template("auth/two_factor.html", user=user, off_form=TwoFactorOffForm(),
                           codes_left=two_factor.recovery_codes_left(user) if user.has_two_factor else 0)


@bp.route("/two-step/set-up", methods=["GET", "POST"])
@login_required
@_code_limits(_own_account_key)
def two_factor_setup():
    user = current_user._get_current_object()
    secret = login.setup_secret(two_factor.new_secret)
    form = TwoFactorSetupForm()
    if not user.has_two_factor:
        del form.current_code
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            codes = two_factor.enable_two_factor(user, secret, form.code.data, getattr(form, "current_code", None) and form.current_code.data)
        if work.ok:
            login.forget_setup_secret()
            return _recovery_codes_page(codes)
    return render_template("auth/two_factor_setup.html", form=form, secret=secret,
                           qr=qr_svg(two_factor.provisioning_uri(user, secret))), refused_status(form)


def _recovery_codes_page(codes: list[str]):
    """The new recovery codes, shown once in the answer to the POST (they are stored hashed, so no
    later page could show them) and kept out of every cache."""
    response = make_response(render_template("auth/two_factor_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/two-step/turn-off")
@login_required
@_code_limits(_own_account_key)
def two_factor_off():
    user = current_user._get_current_object()
    form = TwoFactorOffForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            two_factor.turn_off_two_factor(user, form.code.data)
        if work.ok:
            flash("Two-step sign-in is off. You sign in with your password alone.", "success")
            return redirect(url_for("auth.two_factor_status"))
    return render_template("auth/two_factor.html", user=user, off_form=form,
                           codes_left=two_factor.recovery_codes_left(user)), refused_status(form)
