"""Patrols: the rota (list, new shifts, a shift's page), joining and leaving, the lead's page on the
night, the volunteer's page on the night (kit bag, hand-outs, tallies, home safe) and the figures."""
import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_hub import clock
from volunteer_hub.blueprints.equipment.chart import bar_chart
from volunteer_hub.blueprints.equipment.forms import hand_out_form
from volunteer_hub.blueprints.equipment.stock import current_time_band
from volunteer_hub.blueprints.patrols import bp
from volunteer_hub.blueprints.patrols.forms import CancelShiftForm, ShiftForm
from volunteer_hub.forms import choices
from volunteer_hub.models import Item, TallyKind, TimeBand, db, utcnow
from volunteer_hub.pagination import requested_page
from volunteer_hub.queries import impact_report, pickers
from volunteer_hub.queries import patrols as q
from volunteer_hub.queries.impact import DEFINITIONS, Period, Scope
from volunteer_hub.security import STAFF, get_patrol_member_or_404, get_person_or_404, is_staff, role_required
from volunteer_hub.services import equipment as equipment_service
from volunteer_hub.services import patrols as svc
from volunteer_hub.services import training as training_service
from volunteer_hub.services.patrols.gating import members_not_qualified
from volunteer_hub.services.patrols.jobs import short_message
from volunteer_hub.services.patrols.night import reconciliation
from volunteer_hub.unit_of_work import refused_status, unit_of_work

COUNT_IN_BEFORE_END = dt.timedelta(hours=1)  # the count-in opens then (before: behind "Finishing early?")


def _shift_or_404(shift_id: int):
    shift = q.get_shift(shift_id)
    if shift is None:
        abort(404)
    return shift


def _member_or_404(shift):
    """The viewer's own place on the shift (the night page acts on it), or 404."""
    member = q.my_membership(shift, current_user)
    if member is None:
        abort(404)
    return member


@bp.get("/patrols")
@login_required
def shift_list():
    page = q.upcoming_shifts(current_user, requested_page(), current_app.config["VH_PAGE_SIZE"])
    return render_template("patrols/list.html", page=page, mine=q.my_patrols(current_user), staff=is_staff(current_user))


def _shift_form() -> ShiftForm:
    finding = request.method == "GET" and "find" in request.args
    form = ShiftForm(formdata=request.args) if finding else ShiftForm()
    form.course_ids.choices = choices((c.id, c.title) for c in training_service.list_courses(include_retired=False))
    return form


def _shift_values(form: ShiftForm) -> dict:
    lead_ids = form.lead_id.data or []
    courses = [c for c in training_service.list_courses(include_retired=True) if c.id in set(form.course_ids.data or [])]
    return dict(title=form.title.data, area=form.area.data, meeting_point=form.meeting_point.data,
                start_time=form.start_time.data, end_time=form.end_time.data, min_people=form.min_people.data,
                max_people=form.max_people.data, courses=courses, needs_dbs=form.needs_dbs.data,
                lead=get_person_or_404(lead_ids[0], current_user) if lead_ids else None, notes=form.notes.data,
                by=current_user)


@bp.route("/patrols/new", methods=["GET", "POST"])
@role_required(*STAFF)
def shift_new():
    form = _shift_form()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            if form.repeat.data:
                made = svc.create_weekly_pattern(first_day=form.date.data, weekdays=set(form.weekdays.data or []),
                                                 weeks=form.weeks.data or 8, **_shift_values(form))
            else:
                made = [svc.create_shift(day=form.date.data, **_shift_values(form))]
        if work.ok:
            flash(f"{len(made)} {'shift' if len(made) == 1 else 'shifts'} added to the rota.", "success")
            return redirect(url_for("patrols.shift", shift_id=made[0].id))
    typed = request.args.get("lead_q", "") if request.method == "GET" else ""
    picker = {"search_value": typed, "ticked": pickers.people_named(current_user, form.lead_id.data or []),
              "matches": pickers.people_matching(current_user, typed)}
    return render_template("patrols/new.html", form=form, picker=picker), refused_status(form)


def _manage(shift) -> dict:
    """What staff see under a shift: its people (of their agencies), flags, the too-few decision, its figures."""
    members, joined = q.members_of(shift, current_user), q.joined_count(shift)
    return dict(members=members, joined=joined, flags=members_not_qualified(shift, members),
                short=short_message(shift, joined), deadline=svc.decision_deadline(shift), cancel_form=CancelShiftForm(),
                hand_outs=q.hand_outs(shift) if shift.is_started else [],
                tallies=q.tallies(shift) if shift.is_started else [])


@bp.get("/patrols/<int:shift_id>")
@login_required
def shift(shift_id):
    shift = _shift_or_404(shift_id)
    member = q.my_membership(shift, current_user)
    staff = is_staff(current_user)
    return render_template(
        "patrols/shift.html", shift=shift, member=member, staff=staff, now=utcnow(),
        reasons=[] if member else svc.reasons_cannot_join(current_user, shift), length_note=svc.length_note(shift),
        night_opens=shift.starts_at - svc.night.OPENS_BEFORE,
        can_lead=svc.can_lead(current_user, shift), **(_manage(shift) if staff else {}))


@bp.post("/patrols/<int:shift_id>/join")
@login_required
def join(shift_id):
    shift = _shift_or_404(shift_id)
    with unit_of_work() as work:
        svc.join_shift(shift, current_user)
    if work.ok:
        flash("You are on this shift. It is in your calendar feed; we will remind you the day before.", "success")
    return redirect(url_for("patrols.shift", shift_id=shift.id))


@bp.post("/patrols/<int:shift_id>/leave")
@login_required
def leave(shift_id):
    member = _member_or_404(_shift_or_404(shift_id))
    with unit_of_work() as work:
        svc.leave_shift(member, by=current_user)
    if work.ok:
        flash("You have left this shift.", "success")
    return redirect(url_for("patrols.shift", shift_id=shift_id))


@bp.post("/patrols/<int:shift_id>/confirm")
@role_required(*STAFF)
def confirm(shift_id):
    shift = _shift_or_404(shift_id)
    with unit_of_work() as work:
        svc.confirm_shift(shift, by=current_user)
    if work.ok:
        flash("Confirmed: the shift runs with the people on it.", "success")
    return redirect(url_for("patrols.shift", shift_id=shift.id))


@bp.post("/patrols/<int:shift_id>/cancel")
@role_required(*STAFF)
def cancel(shift_id):
    shift = _shift_or_404(shift_id)
    form = CancelShiftForm()
    if form.validate_on_submit():
        with unit_of_work() as work:
            svc.cancel_shift(shift, form.reason.data, by=current_user, for_too_few=form.too_few.data)
        if work.ok:
            flash("The shift is cancelled and everyone on it has been told.", "success")
    else:
        flash("Say why the shift is cancelled.", "danger")
    return redirect(url_for("patrols.shift", shift_id=shift.id))


# --- the lead, on the night --------------------------------------------------------------------------
def _lead_shift_or_403(shift_id: int):
    shift = _shift_or_404(shift_id)
    if not svc.can_lead(current_user, shift):
        abort(403)
    return shift


@bp.route("/patrols/<int:shift_id>/lead", methods=["GET", "POST"])
@login_required
def lead(shift_id):
    shift = _lead_shift_or_403(shift_id)
    if request.method == "POST":
        came = {int(v) for v in request.form.getlist("came") if v.isdigit()}
        with unit_of_work() as work:
            svc.start_shift(shift, came, by=current_user)
        if work.ok:
            flash("Register taken: the shift has started.", "success")
        return redirect(url_for("patrols.lead", shift_id=shift.id))
    first, second = svc.home_safe_minutes()
    return render_template("patrols/lead.html", shift=shift, members=q.members_of(shift, current_user), now=utcnow(),
                           phones=svc.lead_sees_phones(current_user, shift), first=first, second=second,
                           first_at=shift.ends_at + dt.timedelta(minutes=first), tallies=q.tallies(shift))


@bp.post("/patrols/<int:shift_id>/members/<int:member_id>/check-out")
@login_required
def check_out_member(shift_id, member_id):
    member = get_patrol_member_or_404(member_id, shift_id, current_user)
    with unit_of_work() as work:
        svc.check_out(member, by=current_user)
    if work.ok:
        flash(f"{member.user.name} is checked out: home safe.", "success")
    return redirect(request.form.get("back") == "night" and url_for("patrols.night", shift_id=shift_id)
                    or url_for("patrols.lead", shift_id=shift_id))


# --- the volunteer, on the night ---------------------------------------------------------------------
def _kit(member):
    """The items in the person's kit bag (consumables, as the hand-out form lists them) and balances."""
    bag, held = equipment_service.kit_bag_with_balances(member.user)
    return [h for h in held if not h.item.is_returnable]


def _hand_out_form(held):
    """The equipment hand-out form for the items in the bag, starting where the hand-out page starts:
    now's time band and the last place this person handed out at."""
    form = hand_out_form([h.item for h in held])
    form.place_id.choices = choices([("", "Choose a place")] + list(equipment_service.place_names()))
    if request.method == "GET":
        form.time_band.data = current_time_band().value
        last_place = equipment_service.last_hand_out_place(current_user)
        form.place_id.data = last_place.id if last_place else None
    return form


def _night_page(shift, member, held, form):
    form.occurred_on.data = clock.local_date(shift.starts_at)  # a hidden field: the service uses the shift's
    return render_template("patrols/night.html", shift=shift, member=member, held=held, form=form,
                           counted=q.counted_phases(member), rows=reconciliation(member), tallies=q.tallies(shift),
                           now=utcnow(), opens=shift.starts_at - svc.night.OPENS_BEFORE,
                           count_in_from=shift.ends_at - COUNT_IN_BEFORE_END)


@bp.get("/patrols/<int:shift_id>/night")
@login_required
def night(shift_id):
    shift = _shift_or_404(shift_id)
    member = _member_or_404(shift)
    held = _kit(member)
    return _night_page(shift, member, held, _hand_out_form(held))


def _counts(items_and_defaults) -> dict:
    """{item: the count typed} for (item, figure shown) pairs: blank keeps the figure shown; anything
    but a whole number is -1, which the service refuses by its item's name."""
    counts = {}
    for item, shown in items_and_defaults:
        raw = request.form.get(f"count_{item.id}", "").strip()
        counts[item] = int(raw) if raw.isdigit() else (shown if raw == "" else -1)
    return counts


def _counts_in(member) -> dict:
    """At the end, every item counted out is counted in (it may have run out: 0)."""
    rows = reconciliation(member)
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_([r.item_id for r in rows])))}
    return _counts((items[r.item_id], r.expected) for r in rows)


@bp.post("/patrols/<int:shift_id>/night/count/<phase>")
@login_required
def count(shift_id, phase):
    member = _member_or_404(_shift_or_404(shift_id))
    if phase not in ("out", "in"):
        abort(404)
    counts = _counts((h.item, h.quantity) for h in _kit(member)) if phase == "out" else _counts_in(member)
    count_fn = svc.count_kit_out if phase == "out" else svc.count_kit_in
    with unit_of_work() as work:
        count_fn(member, counts, request.form.get("reason", ""), by=current_user)
    if work.ok:
        flash("Kit bag counted out: have a safe night." if phase == "out" else "Kit bag counted back in.", "success")
    return redirect(url_for("patrols.night", shift_id=shift_id) + ("#kit-in" if phase == "in" else "#hand-out"))


@bp.post("/patrols/<int:shift_id>/night/hand-out")
@login_required
def night_hand_out(shift_id):
    shift = _shift_or_404(shift_id)
    member = _member_or_404(shift)
    held = _kit(member)
    form = _hand_out_form(held)
    if form.validate_on_submit():
        quantities = {h.item: (getattr(form, f"qty_{h.item.id}").data or 0) for h in held}
        with unit_of_work(form) as work:
            outcome = svc.hand_out_on_patrol(
                member, quantities, by=current_user, place_id=form.place_id.data or None,
                place_text=form.place_text.data, time_band=TimeBand(form.time_band.data),
                idempotency_key=form.idempotency_key.data)
        if work.ok:
            flash("Recorded: " + ", ".join(m.item.count(m.quantity) for m in outcome.movements) + " handed out.",
                  "success")
            return redirect(url_for("patrols.night", shift_id=shift_id) + "#hand-out")
    return _night_page(shift, member, held, form), refused_status(form)  # the message by its field


@bp.post("/patrols/<int:shift_id>/night/tally")
@login_required
def tally(shift_id):
    shift = _shift_or_404(shift_id)
    _member_or_404(shift)
    try:
        kind, change = TallyKind(request.form.get("kind", "")), -1 if request.form.get("change") == "-1" else 1
    except ValueError:
        abort(404)  # no such kind of interaction
    with unit_of_work() as work:
        total = svc.tally(shift, kind, by=current_user, change=change)
    if work.ok:
        flash(f"{kind.label}: {total} tonight.", "success")
    return redirect(url_for("patrols.night", shift_id=shift_id) + "#tallies")


@bp.post("/patrols/<int:shift_id>/night/home-safe")
@login_required
def home_safe(shift_id):
    member = _member_or_404(_shift_or_404(shift_id))
    with unit_of_work():  # the page says it ("You are checked out: home safe"), or the refusal is flashed
        svc.check_out(member, by=current_user)
    return redirect(url_for("patrols.night", shift_id=shift_id))


# --- figures --------------------------------------------------------------------------------------
@bp.get("/patrols/figures")
@role_required(*STAFF)
def figures():
    """The impact report's "On patrol" section for any period (default: the last 12 months)."""
    today = clock.today()
    try:
        start = dt.date.fromisoformat(request.args["start"]) if request.args.get("start") else today - dt.timedelta(days=364)
        end = dt.date.fromisoformat(request.args["end"]) if request.args.get("end") else today
    except ValueError:
        start, end = today - dt.timedelta(days=364), today
    period = Period(min(start, end), max(start, end))
    section = impact_report.patrols_section(period, Scope())
    return render_template("patrols/figures.html", section=section, period=period,
                           chart=_interactions_chart(section.tables[0]), definitions=DEFINITIONS)


def _interactions_chart(table):
    return bar_chart([(row[0], [row[1]]) for row in table.rows], ["Interactions"], label_width=300, label_chars=30)
