"""The trainer's sessions, the register (marks, walk-ins, finalising, corrections) and the attendance figures."""
from typing import NamedTuple

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from volunteer_hub.blueprints.training import bp
from volunteer_hub.blueprints.training.forms import (
    CorrectionForm,
    MarkForm,
    WalkInForm,
)
from volunteer_hub.clock import format_local
from volunteer_hub.forms import ButtonForm
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    Role,
    User,
    db,
    utcnow,
)
from volunteer_hub.queries import home as home_queries
from volunteer_hub.queries import register as register_queries
from volunteer_hub.queries import training as training_queries
from volunteer_hub.security import (
    STAFF,
    can_take_register,
    get_register_session_or_404,
    is_staff,
    role_required,
)
from volunteer_hub.services import training as training_service
from volunteer_hub.unit_of_work import refused_status, unit_of_work


@bp.get("/teaching")
@role_required(Role.TRAINER, *STAFF)
def my_sessions():
    sessions = training_queries.trainer_sessions(current_user)
    counts = training_queries.place_counts(s.id for s in sessions)
    return render_template("training/teaching.html", sessions=sessions, counts=counts, now=utcnow())


@bp.get("/sessions/<int:session_id>/register")
@login_required
def register(session_id):
    return _register_page(session_id, WalkInForm())


_MARKS = [(st.value, st.label) for st in AttendanceStatus]  # the register's buttons and choices


def _register_page(session_id, walk_in_form):
    session = register_queries.register_session(session_id)  # as get_register_session_or_404, in columns
    if session is None:
        abort(404)
    if not can_take_register(current_user, session):
        abort(403)
    lines, late = register_queries.register_lines(session_id)
    return render_template("training/register.html", training_session=session, rows=[_register_row(r) for r in lines],
                           marked=sum(r.status is not None for r in lines), statuses=_MARKS, late=late,
                           walk_in_form=walk_in_form, staff=is_staff(current_user))


class _RegisterRow(NamedTuple):
    """A person on the register, ready to show."""
    user_id: int
    name: str
    organisation: str
    has_booking: bool
    attendance_id: int | None
    status: str | None  # the mark's value ("present"), None if not marked
    mark: str  # the mark's label ("Present"), or "not marked"
    corrections: list[tuple[str, str, str, str]]  # (when, from, to, reason)


def _register_row(r) -> _RegisterRow:
    return _RegisterRow(
        r.user_id, r.name, r.organisation or "", r.has_booking, r.attendance_id,
        r.status.value if r.status else None, r.status.label if r.status else "not marked",
        [(format_local(when), old.label, new.label, reason) for when, old, new, reason in r.corrections or ()])


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/sessions/<int:session_id>/register/<int:user_id>")
@login_required
def register_mark(session_id, user_id):
    session = get_register_session_or_404(session_id, current_user)
    person = db.get_or_404(User, user_id)
    form = MarkForm()
    if not form.validate_on_submit():
        return _mark_refused(session_id, "Choose present, absent, late or left early.")
    with unit_of_work(flash_category=None) as work:
        attendance = training_service.mark_attendance(session, person, AttendanceStatus(form.status.data), by=current_user)
    if not work.ok:
        return _mark_refused(session_id, work.error.message)
    if _wants_json():
        return jsonify(ok=True, status=attendance.status.value, label=attendance.status.label)
    flash(f"{person.name}: {attendance.status.label.lower()}.", "success")
    return redirect(url_for("training.register", session_id=session_id) + f"#person-{person.id}")


def _mark_refused(session_id, message: str):
    if _wants_json():
        return jsonify(ok=False, message=message), 409
    flash(message, "danger")
    return redirect(url_for("training.register", session_id=session_id))


@bp.post("/sessions/<int:session_id>/register/all-present")
@login_required
def register_all_present(session_id):
    session = get_register_session_or_404(session_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            n = training_service.mark_everyone_present(session, by=current_user)
        if work.ok:
            flash(f"{n} people marked present.", "success")
    return redirect(url_for("training.register", session_id=session_id))


@bp.post("/sessions/<int:session_id>/register/walk-in")
@login_required
def register_walk_in(session_id):
    session = get_register_session_or_404(session_id, current_user)
    form = WalkInForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            attendance = training_service.add_walk_in(session, by=current_user, name=form.name.data or "",
                                                      email=form.email.data)
        if work.ok:
            flash(f"{attendance.user.name} is added as a walk-in and marked present.", "success")
            return redirect(url_for("training.register", session_id=session_id))
    return _register_page(session_id, form), refused_status(form)


@bp.get("/sessions/<int:session_id>/register/print")
@login_required
def register_print(session_id):
    session = get_register_session_or_404(session_id, current_user)
    rows = register_queries.register_rows(session)
    blank = max(0, min(30, max(len(rows) + 5, 12)) - len(rows))
    return render_template("training/register_print.html", training_session=session, rows=rows, blank=blank)


@bp.post("/sessions/<int:session_id>/register/finalise")
@login_required
def register_finalise(session_id):
    session = get_register_session_or_404(session_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            training_service.finalise_register(session, by=current_user)
        if work.ok:
            flash("The register is finalised.", "success")
    return redirect(url_for("training.register", session_id=session_id))


@bp.post("/attendances/<int:attendance_id>/correct")
@role_required(*STAFF)
def attendance_correct(attendance_id):
    attendance = db.get_or_404(Attendance, attendance_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        flash("Choose the new mark and give a reason for the correction.", "danger")
    else:
        with unit_of_work() as work:
            training_service.correct_attendance(attendance, AttendanceStatus(form.status.data), form.reason.data,
                                                by=current_user)
        if work.ok:
            flash(f"Mark corrected for {attendance.user.name}.", "success")
    return redirect(url_for("training.register", session_id=attendance.session_id))


@bp.get("/attendance")
@role_required(*STAFF)
def attendance_report():
    per_session, per_course, no_shows = register_queries.attendance_rates(current_user)
    return render_template("training/attendance.html", per_session=per_session, per_course=per_course,
                           no_shows=no_shows)


@bp.app_template_global("training_panel")
def training_panel():
    """Data for the home-page panel: the next bookings (an offer with its deadline) and, for
    trainers, sessions to teach with places taken and registers still to finalise."""
    trainer = current_user.has_role(Role.TRAINER)
    return {"upcoming": home_queries.upcoming_bookings(current_user, 3),
            "teaching": home_queries.sessions_taught(current_user, 3) if trainer else [],
            "to_finalise": home_queries.registers_to_finalise(current_user, 5) if trainer else [],
            "is_trainer": trainer}

