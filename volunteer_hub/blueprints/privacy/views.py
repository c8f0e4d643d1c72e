"""The privacy notice to accept; erasure and retention: an admin erases a person (after seeing what it will do), answers
requests; a person asks to be erased; a warned person keeps their account; coordinators see who
retention will erase next. The rules are in services/privacy; these views only carry them."""
import tempfile

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from volunteer_hub import audit, clock
from volunteer_hub.blueprints.privacy import bp
from volunteer_hub.blueprints.privacy.forms import DeclineForm, EraseForm
from volunteer_hub.exports import export_limit
from volunteer_hub.forms import ButtonForm, choices
from volunteer_hub.models import ErasureRequest, Holder, Role, db
from volunteer_hub.queries import home as home_queries
from volunteer_hub.security import STAFF, get_person_or_404, role_required
from volunteer_hub.services.equipment import store_names
from volunteer_hub.services.privacy import erasure, notice, retention, subject_access
from volunteer_hub.services.privacy.notice import notice_context
from volunteer_hub.unit_of_work import refused_status, unit_of_work
from volunteer_hub.urls import safe_next


@bp.route("/privacy/accept", methods=["GET", "POST"])
@login_required
def notice_accept():
    """The privacy notice changed since this person last accepted it: read it, accept it, go on."""
    next_url = safe_next(request.args.get("next")) or url_for("main.index")
    if not notice.must_accept(current_user):
        return redirect(next_url)
    form = ButtonForm()
    if form.validate_on_submit():
        with unit_of_work() as work:
            notice.accept(current_user)
        if work.ok:
            flash("Thank you. You have accepted the privacy notice.", "success")
            return redirect(next_url)
    return render_template("privacy/accept.html", form=form, **notice_context())


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def erase(user_id):
    person = get_person_or_404(user_id, current_user)
    if person.is_erased:
        abort(404)
    plan = erasure.erasure_plan(person)
    form = EraseForm()
    form.store_id.choices = choices([("", "Choose a store")] + store_names())
    if form.validate_on_submit():
        store = db.session.get(Holder, form.store_id.data) if form.store_id.data else None
        with unit_of_work(form) as work:
            erasure.erase_person(person, form.reason.data, by=current_user, store=store,
                                 confirmation=form.confirmation.data)
        if work.ok:
            flash(f"Erased. They now appear as {erasure.removed_name(user_id)}.", "success")
            return redirect(url_for("people.person", user_id=user_id))
    return render_template("privacy/erase.html", person=person, plan=plan, form=form), refused_status(form)


def _data_download(person, by_staff: bool):
    """Build the person's zip in a temporary file, record the export, then send the file."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it when the response ends
    try:
        counts = subject_access.write_zip(person, target, current_app.config["VH_PARTNERSHIP_NAME"])
        with unit_of_work():
            audit.record("privacy.exported", person, subject=person, facts={"rows": counts, "by_staff": by_staff})
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return send_file(target, mimetype="application/zip", as_attachment=True,
                     download_name=f"my-data-{person.id}-{clock.today():%Y-%m-%d}.zip", max_age=0)


@bp.post("/privacy/my-data.zip")
@login_required
@export_limit
def my_data():
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _data_download(current_user._get_current_object(), by_staff=False)


@bp.post("/people/<int:user_id>/data.zip")
@role_required(*STAFF)
@export_limit
def person_data(user_id):
    person = get_person_or_404(user_id, current_user)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _data_download(person, by_staff=True)


@bp.post("/privacy/erasure-request")
@login_required
def request_erasure():
    form = ButtonForm()
    if form.validate_on_submit():
        with unit_of_work() as work:
            request = erasure.request_erasure(current_user, current_app.config["VH_ERASURE_REQUEST_DAYS"])
        if work.ok:
            flash(f"Your request is with the admins. They will answer by {request.due_on:%-d %B %Y}.", "success")
    return redirect(url_for("people.profile"))


@bp.get("/privacy/requests")
@role_required(Role.ADMIN)
def requests():
    return render_template("privacy/requests.html", requests=erasure.open_requests(), today=clock.today())


@bp.route("/privacy/requests/<int:request_id>/decline", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def decline(request_id):
    request = db.get_or_404(ErasureRequest, request_id)
    if request.closed_at is not None:
        abort(404)
    person = get_person_or_404(request.user_id, current_user)
    form = DeclineForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            erasure.decline_erasure(request, form.reason.data)
        if work.ok:
            flash(f"Declined. {person.name} has been told why.", "success")
            return redirect(url_for("privacy.requests"))
    return render_template("privacy/decline.html", request=request, person=person, form=form), refused_status(form)


@bp.route("/privacy/keep/<token>", methods=["GET", "POST"])
def keep(token):
    person = retention.person_for_keep_token(token)
    if person is None:
        return render_template("privacy/keep.html", person=None), 404
    form = ButtonForm()
    if form.validate_on_submit():
        with unit_of_work(actor=person) as work:
            retention.keep_account(person)
        if work.ok:
            return render_template("privacy/keep.html", person=person, kept=True)
    return render_template("privacy/keep.html", person=person, form=form, kept=False)


@bp.get("/privacy/retention")
@role_required(*STAFF)
def due():
    return render_template("privacy/due.html", rows=retention.due_soon(current_user),
                           years=current_app.config["VH_RETENTION_YEARS"],
                           warning_days=current_app.config["VH_RETENTION_WARNING_DAYS"])


@bp.app_template_global()
def privacy_erasure_requests():
    """For the admin's home panel: open requests and the nearest deadline."""
    return home_queries.erasure_requests_summary()


@bp.app_template_global()
def privacy_open_erasure_request():
    """For Your details: the person's own open request, if any."""
    return erasure.open_erasure_request(current_user)
