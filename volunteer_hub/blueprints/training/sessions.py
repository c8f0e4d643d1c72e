"""Sessions: the list, the session page (it never writes), and staff's forms to add, change, copy and cancel."""
import datetime as dt
from typing import NamedTuple

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from volunteer_hub import clock
from volunteer_hub.blueprints.training import bp
from volunteer_hub.blueprints.training.forms import (
    BookPersonForm,
    SessionCancelForm,
    SessionCopyForm,
    SessionEditForm,
    SessionFilterForm,
)
from volunteer_hub.clock import format_local, time_range
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.forms import choices
from volunteer_hub.models import (
    BookingStatus,
    Role,
    SessionStatus,
    User,
    UserRole,
    db,
    utcnow,
)
from volunteer_hub.pagination import requested_page
from volunteer_hub.queries import pickers
from volunteer_hub.queries import training as training_queries
from volunteer_hub.security import (
    STAFF,
    can_take_register,
    get_course_or_404,
    get_session_or_404,
    is_staff,
    role_required,
)
from volunteer_hub.services import training as training_service
from volunteer_hub.templating import ordinal
from volunteer_hub.unit_of_work import refused_status, unit_of_work


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


def places_badge(status: SessionStatus, capacity: int, held: int, waiting: int) -> tuple[str, str]:
    """(the badge's class, its text): places left, full with how many waiting, or cancelled."""
    if status is SessionStatus.CANCELLED:
        return "text-bg-danger", "Cancelled"
    if held >= capacity:
        return "vh-badge-full", f"Full · {waiting} waiting"
    left = capacity - held
    return "vh-badge-places", f"{left} {'place' if left == 1 else 'places'} left"


def _session_cards(rows) -> list[_SessionCard]:
    cards = []
    for r in rows:
        date, times = format_local(r.starts_at, "date"), time_range(r.starts_at, r.ends_at)
        cards.append(_SessionCard(r.id, r.course_title, date, times, r.place or "Online",
                                  *places_badge(r.status, r.capacity, r.held, r.waiting),
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
    """The session form; its trainers' picker "Find" button sends it back by GET with every value."""
    finding = request.method == "GET" and "find" in request.args
    form = SessionEditForm(formdata=request.args, obj=session) if finding else SessionEditForm(obj=session)
    courses = training_service.list_courses(include_retired=False)
    if session is not None and session.course not in courses:
        courses.append(session.course)
    form.course_id.choices = choices((c.id, c.title) for c in courses)
    if session is not None and request.method == "GET" and not finding:
        start, end = clock.to_local(session.starts_at), clock.to_local(session.ends_at)
        form.date.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.trainer_ids.data = [t.id for t in session.trainers]
        form.booking_opens.data = clock.to_local(session.booking_opens_at).replace(tzinfo=None)
        form.booking_closes.data = clock.to_local(session.booking_closes_at).replace(tzinfo=None)
        form.cancellation_cutoff.data = clock.to_local(session.cancellation_cutoff_at).replace(tzinfo=None)
    return form


def _trainer_picker(form: SessionEditForm) -> dict:
    """The trainers ticked, and up to 20 trainers matching what was typed (all, by name, at first)."""
    typed = request.args.get("trainers_q", "") if request.method == "GET" else ""
    return {"search_value": typed, "ticked": pickers.people_named(current_user, form.trainer_ids.data, role=Role.TRAINER),
            "matches": pickers.people_matching(current_user, typed, role=Role.TRAINER)}


def _local(value: dt.datetime | None, field: str) -> dt.datetime | None:
    return clock.local_to_utc(value.date(), value.time(), field) if value else None


def _session_values(form: SessionEditForm) -> training_service.SessionValues:
    starts_at = clock.local_to_utc(form.date.data, form.start_time.data, "start_time")
    end_day = form.date.data + dt.timedelta(days=1 if form.end_time.data <= form.start_time.data else 0)
    ends_at = clock.local_to_utc(end_day, form.end_time.data, "end_time")
    ids = set(form.trainer_ids.data or [])
    trainers = db.session.scalars(select(User).where(
        User.id.in_(ids), User.is_active.is_(True),
        User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.TRAINER)))).all()
    if len(trainers) != len(ids):
        raise ValidationFailed("Choose trainers from the list: someone ticked is not an active trainer.", "trainer_ids")
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
        with unit_of_work(form) as work:
            values = _session_values(form)
            if session is None:
                session = training_service.create_session(values)
            else:
                training_service.update_session(session, values)
        if work.ok:
            flash("The session is saved.", "success")
            return redirect(url_for("training.session_detail", session_id=session.id))
    return render_template("training/session_edit.html", form=form, training_session=session,
                           picker=_trainer_picker(form)), refused_status(form)


@bp.post("/sessions/<int:session_id>/copy")
@role_required(*STAFF)
def session_copy(session_id):
    source = get_session_or_404(session_id)
    form = SessionCopyForm()
    if not form.validate_on_submit():
        flash("Enter the date for the copy.", "danger")
        return redirect(url_for("training.session_detail", session_id=source.id))
    with unit_of_work() as work:
        copy = training_service.copy_session(source, form.new_date.data)
    if not work.ok:
        return redirect(url_for("training.session_detail", session_id=source.id))
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
    with unit_of_work() as work:
        told = training_service.cancel_session(session, form.reason.data, by=current_user)
    if work.ok:
        flash(f"The session is cancelled; {told} people have been emailed.", "success")
    return redirect(url_for("training.session_detail", session_id=session.id))


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


def _staff_context(session_id) -> dict:
    bookings, late = training_queries.session_booking_rows(session_id)
    return dict(bookings=_booking_lines(bookings), late=late, book_form=BookPersonForm(), copy_form=SessionCopyForm(),
                cancel_form=SessionCancelForm())


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id):
    page = training_queries.session_page(session_id, current_user)  # offers past their deadline read as lapsed
    if page is None:
        abort(404)
    staff = is_staff(current_user)
    ctx = _staff_context(session_id) if staff else {}
    s = page.session
    badge_class, badge = places_badge(s.status, s.capacity, page.held, page.waiting)
    ctx.update(training_session=s, trainer_names=", ".join(t.name for t in page.trainers), badge_class=badge_class, badge=badge,
               held=page.held, waiting=page.waiting, booking=page.booking, position=page.position,
               can_register=can_take_register(current_user, page), staff=staff, now=utcnow())
    return render_template("training/session.html", **ctx)
