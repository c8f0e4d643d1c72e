"""Booking: book (yourself, or someone, as staff), cancel, answer an offer, move; My training and its calendar feed."""
from typing import NamedTuple

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_hub import models
from volunteer_hub.blueprints.training import bp
from volunteer_hub.blueprints.training.forms import (
    BookingMoveForm,
    BookPersonForm,
)
from volunteer_hub.clock import format_local, time_range
from volunteer_hub.forms import ButtonForm, choices
from volunteer_hub.models import (
    BookingStatus,
    SessionStatus,
    TrainingSession,
    db,
    utcnow,
)
from volunteer_hub.queries import training as training_queries
from volunteer_hub.security import (
    STAFF,
    confirmed_required,
    find_person_by_email,
    get_own_booking_or_404,
    get_session_or_404,
    role_required,
)
from volunteer_hub.services import training as training_service
from volunteer_hub.templating import ordinal
from volunteer_hub.unit_of_work import unit_of_work
from volunteer_hub.urls import external_url, safe_next

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
    with unit_of_work(flash_category="warning") as work:
        booking = training_service.book_session(session, current_user)
    if work.ok and booking.status is BookingStatus.CONFIRMED:
        flash("You are booked. We have emailed you the details and a calendar invitation.", "success")
    elif work.ok:
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
        person = find_person_by_email(form.email.data, current_user)  # nobody, if outside their agencies
    if person is None:
        flash("There is nobody with that email address on the site.", "danger")
        return redirect(url_for("training.session_detail", session_id=session_id))
    with unit_of_work() as work:
        booking = training_service.book_session(session, person, by=current_user)
    if work.ok:
        state = "booked" if booking.status is BookingStatus.CONFIRMED else "put on the waitlist"
        flash(f"{person.name} is {state}.", "success")
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def booking_cancel(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            training_service.cancel_booking(booking, by=current_user)
        if work.ok and booking.is_late_cancellation:
            flash("Cancelled. It is after the cut-off, so the trainers will see it as a late cancellation.", "warning")
        elif work.ok:
            flash("Cancelled.", "success")
    back = url_for("training.session_detail", session_id=booking.session_id)
    return redirect(safe_next(request.form.get("next")) or back)


@bp.get("/bookings/<int:booking_id>/offer")
@login_required
def booking_offer(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)  # an offer past its deadline reads as lapsed
    return render_template("training/offer.html", booking=booking, status=booking.status_at(utcnow()),
                           training_session=booking.session, button=ButtonForm())


@bp.post("/bookings/<int:booking_id>/accept")
@login_required
def booking_accept(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work(flash_category="warning") as work:
            outcome = training_service.accept_offer(booking)
        if work.ok and outcome.lapsed:
            flash("Sorry, this offer has lapsed: the place has gone to the next person.", "warning")
        elif work.ok:
            flash("You are booked. We have emailed you a calendar invitation.", "success")
    return redirect(url_for("training.session_detail", session_id=booking.session_id))


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def booking_decline(booking_id):
    booking = get_own_booking_or_404(booking_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work(flash_category="warning") as work:
            training_service.decline_offer(booking)
        if work.ok:
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
    with unit_of_work() as work:
        new = training_service.move_booking(booking, target, by=current_user)
    if not work.ok:
        return redirect(url_for("training.session_detail", session_id=booking.session_id))
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
    now = utcnow()
    upcoming, past = [], []
    for r in rows:  # latest first
        if r.ends_at > now:
            if r.status in models.ACTIVE:
                state = "cancelled" if r.session_status is SessionStatus.CANCELLED else r.status.value
                upcoming.append((r.starts_at, _MyBooking(
                    r.id, r.session_id, r.course_title, format_local(r.starts_at, "date"), time_range(r.starts_at, r.ends_at),
                    format_local(r.starts_at), r.place or "Online", state, r.cancel_reason,
                    format_local(r.offer_expires_at) if state == "offered" else "",
                    ordinal(r.ahead + 1) if r.ahead is not None else "")))
        elif r.status is BookingStatus.CONFIRMED:
            if r.mark is not None and r.finalised_at is not None:
                attendance = r.mark.label
            elif r.session_status is SessionStatus.CANCELLED:
                attendance = "Session cancelled"
            else:
                attendance = "Not recorded yet"
            past.append(_PastSession(r.course_title, format_local(r.starts_at, "date"), attendance))
    upcoming.sort(key=lambda item: item[0])  # soonest first (a stable sort: at the same time, as listed)
    return [line for _starts, line in upcoming], past


@bp.get("/mine")
@login_required
def my_training():
    rows = training_queries.my_training(current_user)
    token = rows[0].feed_token if rows else training_queries.feed_token(current_user)
    upcoming, past = _my_training_lines(rows)
    feed_url = external_url("training.calendar_feed", token=token) if token else None
    return render_template("training/mine.html", upcoming=upcoming, past=past, feed_url=feed_url, button=ButtonForm())


@bp.post("/calendar/reset")
@login_required
def calendar_reset():
    if ButtonForm().validate_on_submit():
        had_one = training_queries.feed_token(current_user) is not None
        with unit_of_work() as work:
            training_service.reset_calendar_feed(current_user)
        if work.ok and had_one:
            flash("Your calendar link has changed. The old one no longer works: add the new one to your calendar.", "success")
        elif work.ok:
            flash("Your calendar link is ready: add it to your calendar.", "success")
    return redirect(url_for("training.my_training"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token):
    data = training_service.calendar_feed_for_token(token)
    if data is None:
        abort(404)
    return Response(data, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})
