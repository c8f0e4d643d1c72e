import datetime as dt

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_hub.blueprints.training import bp
from volunteer_hub.blueprints.training.forms import (
    BookingMoveForm,
    BookPersonForm,
    CorrectionForm,
    CourseEditForm,
    MarkForm,
    SessionCancelForm,
    SessionCopyForm,
    SessionEditForm,
    SessionFilterForm,
    WalkInForm,
)
from volunteer_hub.forms import ButtonForm, choices, show_domain_error
from volunteer_hub.models import (
    Attendance,
    AttendanceStatus,
    BookingStatus,
    CalendarFeed,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    db,
    immediate_transactions,
    utcnow,
)
from volunteer_hub.pagination import requested_page
from volunteer_hub.security import (
    STAFF,
    can_take_register,
    confirmed_required,
    get_course_or_404,
    get_own_booking_or_404,
    get_register_session_or_404,
    get_session_or_404,
    is_staff,
    role_required,
)
from volunteer_hub.services import home as home_service
from volunteer_hub.services import training as training_service
from volunteer_hub.services.errors import DomainError
from volunteer_hub.templating import format_local, ordinal
from volunteer_hub.urls import external_url


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


# --- courses -------------------------------------------------------------------------------
@bp.get("/courses")
@login_required
def course_list():
    courses = training_service.list_courses(include_retired=is_staff(current_user))
    return render_template("training/courses.html", courses=courses)


def _course_form(course=None) -> CourseEditForm:
    form = CourseEditForm(obj=course)
    others = [c for c in training_service.list_courses() if course is None or c.id != course.id]
    form.prerequisite_id.choices = choices([("", "None")] + [(c.id, c.title) for c in others])
    return form


@bp.route("/courses/new", methods=["GET", "POST"], defaults={"course_id": None})
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def course_edit(course_id):
    course = get_course_or_404(course_id) if course_id else None
    form = _course_form(course)
    if form.validate_on_submit():
        try:
            course = training_service.save_course(course, **{f: getattr(form, f).data for f in training_service.COURSE_FIELDS})
        except DomainError as error:
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(f"{course.title} is saved.", "success")
            return redirect(url_for("training.course_list"))
    return render_template("training/course_edit.html", form=form, course=course)


# --- sessions ------------------------------------------------------------------------------
def _filter_form() -> tuple[SessionFilterForm, training_service.SessionFilter]:
    form = SessionFilterForm(request.args)
    form.course.choices = choices([("", "Any course")] + training_service.course_choices())
    if not form.validate():
        for name in ("course", "month", "place"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
    month = None
    if form.month.data:
        try:
            month = dt.datetime.strptime(form.month.data, "%Y-%m").date()
        except ValueError:
            form.month.data = None
    return form, training_service.SessionFilter(course_id=form.course.data, month=month, place=form.place.data or "")


@bp.get("/sessions")
@login_required
def session_list():
    form, f = _filter_form()
    page = db.paginate(training_service.upcoming_sessions_query(f), page=requested_page(), per_page=current_app.config["VH_PAGE_SIZE"],
                       error_out=False, count=False)
    page.total = training_service.count_upcoming_sessions(f)
    counts, mine = training_service.place_counts((s.id for s in page.items), current_user)
    return render_template("training/sessions.html", form=form, page=page, counts=counts, mine=mine,
                           places=training_service.known_places())


def _session_form(session=None) -> SessionEditForm:
    form = SessionEditForm(obj=session)
    courses = training_service.list_courses(include_retired=False)
    if session is not None and session.course not in courses:
        courses.append(session.course)
    form.course_id.choices = choices((c.id, c.title) for c in courses)
    trainers = db.session.scalars(select(User).where(User.is_active).order_by(User.name)).all()
    form.trainer_ids.choices = choices((u.id, u.name) for u in trainers if u.has_role(Role.TRAINER))
    if session is not None and request.method == "GET":
        start, end = training_service.utc_to_local(session.starts_at), training_service.utc_to_local(session.ends_at)
        form.date.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.trainer_ids.data = [t.id for t in session.trainers]
        form.booking_opens.data = training_service.utc_to_local(session.booking_opens_at).replace(tzinfo=None)
        form.booking_closes.data = training_service.utc_to_local(session.booking_closes_at).replace(tzinfo=None)
        form.cancellation_cutoff.data = training_service.utc_to_local(session.cancellation_cutoff_at).replace(tzinfo=None)
    return form


def _local(value: dt.datetime | None, field: str) -> dt.datetime | None:
    return training_service.local_to_utc(value.date(), value.time(), field) if value else None


def _session_values(form: SessionEditForm) -> training_service.SessionValues:
    starts_at = training_service.local_to_utc(form.date.data, form.start_time.data, "start_time")
    end_day = form.date.data + dt.timedelta(days=1 if form.end_time.data <= form.start_time.data else 0)
    ends_at = training_service.local_to_utc(end_day, form.end_time.data, "end_time")
    trainers = db.session.scalars(select(User).where(User.id.in_(form.trainer_ids.data or []))).all()
    return training_service.SessionValues(
        course=get_course_or_404(form.course_id.data), starts_at=starts_at, ends_at=ends_at, place=form.place.data,
        online_url=form.online_url.data, capacity=form.capacity.data, trainers=list(trainers),
        booking_opens_at=_local(form.booking_opens.data, "booking_opens"),
        booking_closes_at=_local(form.booking_closes.data, "booking_closes"),
        cancellation_cutoff_at=_local(form.cancellation_cutoff.data, "cancellation_cutoff"),
        notes=form.notes.data or "", reminder_hours=form.reminder_hours.data,
    )


@bp.route("/sessions/new", methods=["GET", "POST"], defaults={"session_id": None})
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def session_edit(session_id):
    session = get_session_or_404(session_id) if session_id else None
    form = _session_form(session)
    if form.validate_on_submit():
        try:
            values = _session_values(form)
            if session is None:
                session = training_service.create_session(values)
            else:
                training_service.update_session(session, values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash("The session is saved.", "success")
            return redirect(url_for("training.session_detail", session_id=session.id))
    return render_template("training/session_edit.html", form=form, training_session=session), (
        400 if form.errors or form.form_errors else 200)


@bp.post("/sessions/<int:session_id>/copy")
@role_required(*STAFF)
def session_copy(session_id):
    source = get_session_or_404(session_id)
    form = SessionCopyForm()
    if not form.validate_on_submit():
        flash("Enter the date for the copy.", "danger")
        return redirect(url_for("training.session_detail", session_id=source.id))
    try:
        copy = training_service.copy_session(source, form.new_date.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("training.session_detail", session_id=source.id))
    db.session.commit()
    flash("Copied. Check the details of the new session.", "success")
    return redirect(url_for("training.session_edit", session_id=copy.id))


@bp.post("/sessions/<int:session_id>/cancel")
@role_required(*STAFF)
def session_cancel(session_id):
    session = get_session_or_404(session_id)
    form = SessionCancelForm()
    if not form.validate_on_submit():
        flash("Say why the session is cancelled.", "danger")
        return redirect(url_for("training.session_detail", session_id=session.id))
    try:
        told = training_service.cancel_session(session, form.reason.data, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(f"The session is cancelled; {told} people have been emailed.", "success")
    return redirect(url_for("training.session_detail", session_id=session.id))


def _lapse_overdue_offers(session) -> None:
    """Looking at a session settles its overdue offers, so nothing waits for the scheduler."""
    if training_service.has_expired_offers(session):
        db.session.commit()  # end the read; lapsing writes, under the session's lock
        with immediate_transactions():
            training_service.lapse_offers(session)
            db.session.commit()


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id):
    session = get_session_or_404(session_id)
    _lapse_overdue_offers(session)
    staff = is_staff(current_user)
    ctx = {}
    if staff:
        bookings, late = training_service.bookings_and_late_cancellations(session)
        booking = next((b for b in bookings if b.user_id == current_user.id), None)  # staff see every booking
        held = sum(b.status in training_service.HOLDING for b in bookings)  # counted from the list they see
        waiting = sum(b.status is BookingStatus.WAITLISTED for b in bookings)
        ctx.update(bookings=bookings, late=late, book_form=BookPersonForm(), copy_form=SessionCopyForm(),
                   cancel_form=SessionCancelForm())
    else:
        held, waiting = training_service.place_counts([session.id])[session.id]
        booking = training_service.active_booking(session, current_user)
    ctx.update(training_session=session, held=held, waiting=waiting, booking=booking,
               position=training_service.waitlist_position(booking) if booking else None,
               button=ButtonForm(), can_register=can_take_register(current_user, session), staff=staff, now=utcnow())
    return render_template("training/session.html", **ctx)


MOVE_CHOICES = 20  # the next sessions of the course a booking can be moved to


def _move_choices(session):
    others = db.session.scalars(select(TrainingSession).where(
        TrainingSession.course_id == session.course_id, TrainingSession.id != session.id,
        TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.starts_at > utcnow())
        .order_by(TrainingSession.starts_at).limit(MOVE_CHOICES)).all()
    counts = training_service.place_counts(s.id for s in others)
    return [(s.id, f"{format_local(s.starts_at)} · {s.place or 'Online'} · {_places_left(s, *counts[s.id])}")
            for s in others]


def _places_left(session, held, waiting) -> str:
    left = session.capacity - held
    if left <= 0:
        return f"full, {waiting} waiting"
    return f"{left} place left" if left == 1 else f"{left} places left"


@bp.post("/sessions/<int:session_id>/book")
@confirmed_required
def session_book(session_id):
    session = db.get_or_404(TrainingSession, session_id)  # booking needs neither its trainers nor (often) its course
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        booking = training_service.book_session(session, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("training.session_detail", session_id=session_id))
    db.session.commit()
    if booking.status is BookingStatus.CONFIRMED:
        flash("You are booked. We have emailed you the details and a calendar invitation.", "success")
    else:
        position = training_service.waitlist_position(booking)
        flash(f"The session is full: you are on the waitlist, {ordinal(position or 0)} in line. "
              "We will email you if a place comes up.", "info")
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.post("/sessions/<int:session_id>/book-person")
@role_required(*STAFF)
def session_book_person(session_id):
    session = get_session_or_404(session_id)
    form = BookPersonForm()
    person = None
    if form.validate_on_submit():
        person = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
    if person is None:
        flash("There is nobody with that email address on the site.", "danger")
        return redirect(url_for("training.session_detail", session_id=session_id))
    try:
        booking = training_service.book_session(session, person, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        state = "booked" if booking.status is BookingStatus.CONFIRMED else "put on the waitlist"
        flash(f"{person.name} is {state}.", "success")
    return redirect(url_for("training.session_detail", session_id=session_id))


# --- bookings ------------------------------------------------------------------------------
@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def booking_cancel(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    if ButtonForm().validate_on_submit():
        try:
            training_service.cancel_booking(booking, by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            if booking.is_late_cancellation:
                flash("Cancelled. It is after the cut-off, so the trainers will see it as a late cancellation.", "warning")
            else:
                flash("Cancelled.", "success")
    return redirect(_back(url_for("training.session_detail", session_id=booking.session_id)))


@bp.get("/bookings/<int:booking_id>/offer")
@login_required
def booking_offer(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    _lapse_overdue_offers(booking.session)
    return render_template("training/offer.html", booking=booking, training_session=booking.session, button=ButtonForm())


@bp.post("/bookings/<int:booking_id>/accept")
@login_required
def booking_accept(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    if ButtonForm().validate_on_submit():
        try:
            training_service.accept_offer(booking)
        except DomainError as error:
            db.session.commit()  # a lapse found on the way is kept
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash("You are booked. We have emailed you a calendar invitation.", "success")
    return redirect(url_for("training.session_detail", session_id=booking.session_id))


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def booking_decline(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    if ButtonForm().validate_on_submit():
        try:
            training_service.decline_offer(booking)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash("Thank you: the place has gone to the next person.", "success")
    return redirect(url_for("training.session_detail", session_id=booking.session_id))


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@role_required(*STAFF)
def booking_move(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    form = BookingMoveForm()
    form.session_id.choices = choices(_move_choices(booking.session))
    if request.method == "GET":
        return render_template("training/move.html", booking=booking, training_session=booking.session, form=form)
    if not form.validate_on_submit():
        flash("Choose a session to move them to.", "danger")
        return redirect(url_for("training.session_detail", session_id=booking.session_id))
    target = get_session_or_404(form.session_id.data)
    try:
        new = training_service.move_booking(booking, target, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("training.session_detail", session_id=booking.session_id))
    db.session.commit()
    flash(f"{new.user.name} is moved.", "success")
    return redirect(url_for("training.session_detail", session_id=target.id))


@bp.get("/mine")
@login_required
def my_training():
    # The calendar link is made on the first visit. Commit only then, and before loading the
    # page's data: a commit expires every loaded object, and each booking would be read again.
    feed = db.session.get(CalendarFeed, current_user.id)  # kept: the session holds loaded rows weakly
    if feed is None:
        token = training_service.calendar_feed_token(current_user)
        db.session.commit()
    else:
        token = feed.token
    bookings = training_service.my_bookings(current_user)
    now = utcnow()
    upcoming = [b for b in bookings if b.is_active and b.session.ends_at > now]
    upcoming.sort(key=lambda b: b.session.starts_at)
    past = [b for b in bookings if b.status is BookingStatus.CONFIRMED and b.session.ends_at <= now]
    positions = training_service.waitlist_positions(upcoming)
    return render_template("training/mine.html", upcoming=upcoming, past=past, positions=positions,
                           marks=training_service.my_attendance(current_user), button=ButtonForm(),
                           feed_url=external_url("training.calendar_feed", token=token))


@bp.post("/calendar/reset")
@login_required
def calendar_reset():
    if ButtonForm().validate_on_submit():
        training_service.reset_calendar_feed(current_user)
        db.session.commit()
        flash("Your calendar link has changed. The old one no longer works: add the new one to your calendar.", "success")
    return redirect(url_for("training.my_training"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token):
    data = training_service.calendar_feed_for_token(token)
    if data is None:
        abort(404)
    return Response(data, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


# --- the trainer's sessions and register ---------------------------------------------------
@bp.get("/teaching")
@role_required(Role.TRAINER, *STAFF)
def my_sessions():
    sessions = training_service.trainer_sessions(current_user)
    counts = training_service.place_counts(s.id for s in sessions)
    return render_template("training/teaching.html", sessions=sessions, counts=counts, now=utcnow())


@bp.get("/sessions/<int:session_id>/register")
@login_required
def register(session_id):
    return _register_page(get_register_session_or_404(session_id, current_user), WalkInForm())


def _register_page(session, walk_in_form):
    rows, late = training_service.register_and_late_cancellations(session)
    return render_template("training/register.html", training_session=session, rows=rows,
                           statuses=list(AttendanceStatus), late=late, walk_in_form=walk_in_form,
                           staff=is_staff(current_user))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/sessions/<int:session_id>/register/<int:user_id>")
@login_required
def register_mark(session_id, user_id):
    session = get_register_session_or_404(session_id, current_user)
    person = db.get_or_404(User, user_id)
    form = MarkForm()
    if not form.validate_on_submit():
        message = "Choose present, absent, late or left early."
    else:
        try:
            attendance = training_service.mark_attendance(session, person, AttendanceStatus(form.status.data), by=current_user)
        except DomainError as error:
            db.session.rollback()
            message = error.message
        else:
            db.session.commit()
            if _wants_json():
                return jsonify(ok=True, status=attendance.status.value, label=attendance.status.label)
            flash(f"{person.name}: {attendance.status.label.lower()}.", "success")
            return redirect(url_for("training.register", session_id=session_id) + f"#person-{person.id}")
    if _wants_json():
        return jsonify(ok=False, message=message), 409
    flash(message, "danger")
    return redirect(url_for("training.register", session_id=session_id))


@bp.post("/sessions/<int:session_id>/register/all-present")
@login_required
def register_all_present(session_id):
    session = get_register_session_or_404(session_id, current_user)
    if ButtonForm().validate_on_submit():
        try:
            n = training_service.mark_everyone_present(session, by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(f"{n} people marked present.", "success")
    return redirect(url_for("training.register", session_id=session_id))


@bp.post("/sessions/<int:session_id>/register/walk-in")
@login_required
def register_walk_in(session_id):
    session = get_register_session_or_404(session_id, current_user)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            attendance = training_service.add_walk_in(session, by=current_user, name=form.name.data or "",
                                                      email=form.email.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(f"{attendance.user.name} is added as a walk-in and marked present.", "success")
            return redirect(url_for("training.register", session_id=session_id))
    return _register_page(session, form), 400


@bp.get("/sessions/<int:session_id>/register/print")
@login_required
def register_print(session_id):
    session = get_register_session_or_404(session_id, current_user)
    rows = training_service.register_rows(session)
    blank = max(0, min(30, max(len(rows) + 5, 12)) - len(rows))
    return render_template("training/register_print.html", training_session=session, rows=rows, blank=blank)


@bp.post("/sessions/<int:session_id>/register/finalise")
@login_required
def register_finalise(session_id):
    session = get_register_session_or_404(session_id, current_user)
    if ButtonForm().validate_on_submit():
        try:
            training_service.finalise_register(session, by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
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
        try:
            training_service.correct_attendance(attendance, AttendanceStatus(form.status.data), form.reason.data,
                                                by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(f"Mark corrected for {attendance.user.name}.", "success")
    return redirect(url_for("training.register", session_id=attendance.session_id))


@bp.get("/attendance")
@role_required(*STAFF)
def attendance_report():
    per_session, per_course, no_shows = training_service.attendance_rates()
    return render_template("training/attendance.html", per_session=per_session, per_course=per_course,
                           no_shows=no_shows)


@bp.app_template_global("training_panel")
def training_panel():
    """Data for the home-page panel: the next booking and, for trainers, sessions to teach."""
    teaching = home_service.sessions_taught(current_user, 3) if current_user.has_role(Role.TRAINER) else []
    return {"next": home_service.next_booking(current_user), "teaching": teaching}


@bp.app_template_filter("time_range")
def time_range(starts_at, ends_at) -> str:
    """"6pm to 8:30pm"; across a clock change both ends say which time: "1:30am (BST) to 1:30am (GMT)"."""
    start, end = training_service.utc_to_local(starts_at), training_service.utc_to_local(ends_at)
    first, last = format_local(starts_at, "time"), format_local(ends_at, "time")
    if start.utcoffset() != end.utcoffset():
        first, last = f"{first} ({start.tzname()})", f"{last} ({end.tzname()})"
    if start.date() != end.date():
        last += " on " + format_local(ends_at, "date")
    return f"{first} to {last}"
