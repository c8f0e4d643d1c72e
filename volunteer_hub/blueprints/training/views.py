import datetime as dt
from typing import NamedTuple

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
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from volunteer_hub import clock, models
from volunteer_hub.blueprints.training import bp, display
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
from volunteer_hub.errors import DomainError
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
from volunteer_hub.queries import register as register_queries
from volunteer_hub.queries import training as training_queries
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
def _filter_form() -> tuple[SessionFilterForm, training_queries.SessionFilter]:
    form = SessionFilterForm(request.args)
    form.course.choices = choices([("", "Any course")] + training_queries.course_choices())
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
    return form, training_queries.SessionFilter(course_id=form.course.data, month=month, place=form.place.data or "")


class _SessionListPage(Pagination):
    """A page of the session list (rows, not entities), numbered as `db.paginate` numbers pages."""

    def _query_items(self):
        rows, self._total = training_queries.upcoming_sessions(
            self._query_args["filter"], current_user, self.per_page, (self.page - 1) * self.per_page)
        return rows

    def _query_count(self):
        return self._total


class _SessionCard(NamedTuple):
    """A session of the list, ready to show."""
    id: int
    title: str
    date: str
    times: str
    place: str
    badge_class: str
    badge: str
    mine: str  # the viewer's booking, in words ("" if none)


_MINE_LABELS = {BookingStatus.CONFIRMED: "✓ You are booked", BookingStatus.OFFERED: "A place is offered to you",
                BookingStatus.WAITLISTED: "You are on the waitlist"}


def _session_cards(rows) -> list[_SessionCard]:
    cards, tz = [], display.local_zone()
    for r in rows:
        date, times = display.when(r.starts_at, r.ends_at, tz)
        cards.append(_SessionCard(r.id, r.course_title, date, times, r.place or "Online",
                                  *display.places_badge(r.status, r.capacity, r.held, r.waiting),
                                  _MINE_LABELS.get(r.my_status, "")))
    return cards


@bp.get("/sessions")
@login_required
def session_list():
    form, f = _filter_form()
    page = _SessionListPage(page=requested_page(), per_page=current_app.config["VH_PAGE_SIZE"], max_per_page=None,
                            error_out=False, filter=f)
    page.items = _session_cards(page.items)
    return render_template("training/sessions.html", form=form, page=page, places=training_queries.known_places())


def _session_form(session=None) -> SessionEditForm:
    form = SessionEditForm(obj=session)
    courses = training_service.list_courses(include_retired=False)
    if session is not None and session.course not in courses:
        courses.append(session.course)
    form.course_id.choices = choices((c.id, c.title) for c in courses)
    trainers = db.session.scalars(select(User).where(User.is_active).order_by(User.name)).all()
    form.trainer_ids.choices = choices((u.id, u.name) for u in trainers if u.has_role(Role.TRAINER))
    if session is not None and request.method == "GET":
        start, end = clock.to_local(session.starts_at), clock.to_local(session.ends_at)
        form.date.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.trainer_ids.data = [t.id for t in session.trainers]
        form.booking_opens.data = clock.to_local(session.booking_opens_at).replace(tzinfo=None)
        form.booking_closes.data = clock.to_local(session.booking_closes_at).replace(tzinfo=None)
        form.cancellation_cutoff.data = clock.to_local(session.cancellation_cutoff_at).replace(tzinfo=None)
    return form


def _local(value: dt.datetime | None, field: str) -> dt.datetime | None:
    return clock.local_to_utc(value.date(), value.time(), field) if value else None


def _session_values(form: SessionEditForm) -> training_service.SessionValues:
    starts_at = clock.local_to_utc(form.date.data, form.start_time.data, "start_time")
    end_day = form.date.data + dt.timedelta(days=1 if form.end_time.data <= form.start_time.data else 0)
    ends_at = clock.local_to_utc(end_day, form.end_time.data, "end_time")
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
        _lapse_offers(session)


def _lapse_offers(session) -> None:
    db.session.commit()  # end the read; lapsing writes, under the session's lock
    with immediate_transactions():
        training_service.lapse_offers(session)
        db.session.commit()


class _BookingLine(NamedTuple):
    """A row of the session page's list of bookings, ready to show."""
    id: int
    name: str
    organisation: str
    status: str  # "Booked", "Waiting, 2nd in line", ...
    is_confirmed: bool


def _booking_lines(rows) -> list[_BookingLine]:
    lines, position = [], 0
    for b in rows:
        if b.status is BookingStatus.CONFIRMED:
            status = "Booked"
        else:
            position += 1  # offers and waiting both hold a place in the queue
            status = (f"{ordinal(position)} in line, offered until {format_local(b.offer_expires_at)}"
                      if b.status is BookingStatus.OFFERED else f"Waiting, {ordinal(position)} in line")
        lines.append(_BookingLine(b.id, b.name, b.organisation or "", status, b.status is BookingStatus.CONFIRMED))
    return lines


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id):
    page = training_queries.session_page(session_id, current_user)
    if page is None:
        abort(404)
    if page.has_expired_offers:  # settled before showing it, so nothing waits for the scheduler
        _lapse_offers(db.session.get(TrainingSession, session_id))
        page = training_queries.session_page(session_id, current_user)
    staff = is_staff(current_user)
    ctx = {}
    if staff:
        bookings, late = training_queries.session_booking_rows(session_id)
        ctx.update(bookings=_booking_lines(bookings), late=late, book_form=BookPersonForm(), copy_form=SessionCopyForm(),
                   cancel_form=SessionCancelForm())
    s = page.session
    badge_class, badge = display.places_badge(s.status, s.capacity, page.held, page.waiting)
    ctx.update(training_session=s, trainer_names=", ".join(t.name for t in page.trainers), badge_class=badge_class, badge=badge,
               held=page.held, waiting=page.waiting, booking=page.booking, position=page.position,
               can_register=can_take_register(current_user, page), staff=staff, now=utcnow())
    return render_template("training/session.html", **ctx)


MOVE_CHOICES = 20  # the next sessions of the course a booking can be moved to


def _move_choices(session):
    others = db.session.scalars(select(TrainingSession).where(
        TrainingSession.course_id == session.course_id, TrainingSession.id != session.id,
        TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.starts_at > utcnow())
        .order_by(TrainingSession.starts_at).limit(MOVE_CHOICES)).all()
    counts = training_queries.place_counts(s.id for s in others)
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
        position = training_queries.waitlist_position(booking)
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


class _MyBooking(NamedTuple):
    """A booking coming up on My training, ready to show."""
    id: int
    session_id: int
    title: str
    date: str
    times: str
    starts: str  # date and time, for the buttons' hidden text
    place: str
    state: str  # "cancelled" (the session), "confirmed", "offered" or "waitlisted"
    cancel_reason: str | None
    offered_until: str
    position: str  # "2nd"


class _PastSession(NamedTuple):
    title: str
    date: str
    attendance: str


def _my_training_lines(rows) -> tuple[list[_MyBooking], list[_PastSession]]:
    now, tz = utcnow(), display.local_zone()
    upcoming, past = [], []
    for r in rows:  # latest first
        if r.ends_at > now:
            if r.status in models.ACTIVE:
                start, end = r.starts_at.astimezone(tz), r.ends_at.astimezone(tz)
                state = "cancelled" if r.session_status is SessionStatus.CANCELLED else r.status.value
                upcoming.append((r.starts_at, _MyBooking(
                    r.id, r.session_id, r.course_title, display.date(start), display.local_time_range(start, end),
                    display.date_time(start), r.place or "Online", state, r.cancel_reason,
                    display.date_time(r.offer_expires_at.astimezone(tz)) if state == "offered" else "",
                    ordinal(r.ahead + 1) if r.ahead is not None else "")))
        elif r.status is BookingStatus.CONFIRMED:
            if r.mark is not None and r.finalised_at is not None:
                attendance = r.mark.label
            elif r.session_status is SessionStatus.CANCELLED:
                attendance = "Session cancelled"
            else:
                attendance = "Not recorded yet"
            past.append(_PastSession(r.course_title, display.date(r.starts_at.astimezone(tz)), attendance))
    upcoming.sort(key=lambda item: item[0])  # soonest first (a stable sort: at the same time, as listed)
    return [line for _starts, line in upcoming], past


@bp.get("/mine")
@login_required
def my_training():
    rows = training_queries.my_training(current_user)
    if rows:  # each row carries the calendar link's token
        token = rows[0].feed_token
    else:
        feed = db.session.get(CalendarFeed, current_user.id)
        token = feed.token if feed else None
    if token is None:  # the calendar link is made on the first visit (only then commit: it expires current_user)
        token = training_service.calendar_feed_token(current_user)
        db.session.commit()
    upcoming, past = _my_training_lines(rows)
    return render_template("training/mine.html", upcoming=upcoming, past=past,
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
    return _register_page(session_id, form), 400


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
    per_session, per_course, no_shows = register_queries.attendance_rates()
    return render_template("training/attendance.html", per_session=per_session, per_course=per_course,
                           no_shows=no_shows)


@bp.app_template_global("training_panel")
def training_panel():
    """Data for the home-page panel: the next booking and, for trainers, sessions to teach."""
    teaching = home_service.sessions_taught(current_user, 3) if current_user.has_role(Role.TRAINER) else []
    return {"next": home_service.next_booking(current_user), "teaching": teaching}


bp.add_app_template_filter(display.time_range, "time_range")
