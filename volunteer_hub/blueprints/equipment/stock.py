"""The kit bag and handing out (volunteers); stock, holders, deliveries, issuing, write-offs and stocktakes (staff)."""

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from volunteer_hub import clock
from volunteer_hub.blueprints.equipment import bp
from volunteer_hub.blueprints.equipment import forms as f
from volunteer_hub.blueprints.equipment.helpers import done, item_choices, store_choices
from volunteer_hub.blueprints.main.views import add_dashboard_panel
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.forms import choices
from volunteer_hub.models import Organisation, TimeBand, db
from volunteer_hub.pagination import requested_page
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.queries import home as home_queries
from volunteer_hub.queries import pickers
from volunteer_hub.security import (
    STAFF,
    get_holder_or_404,
    get_item_or_404,
    get_person_or_404,
    role_required,
)
from volunteer_hub.services import equipment as svc
from volunteer_hub.services.equipment import store_names
from volunteer_hub.templating import format_local
from volunteer_hub.unit_of_work import refused_status, unit_of_work
from volunteer_hub.urls import INTEGER_MAX

add_dashboard_panel(30, "equipment/_panel.html")


@bp.app_template_global()
def equipment_kit_bag_summary():
    """For the dashboard panel: what is in my kit bag and what I have on loan."""
    return home_queries.kit_bag_summary(current_user)


# --- volunteers: my kit bag and handing out -----------------------------------------------------
@bp.get("/equipment/kit-bag")
@login_required
def kit_bag():
    bag, balances = svc.kit_bag_with_balances(current_user)
    return render_template("equipment/kit_bag.html", bag=bag, balances=balances,
                           loans=svc.loans_for(current_user), today=clock.today())


def current_time_band() -> TimeBand:
    """The time band of now, in London (the hand-out forms start there)."""
    hour = clock.to_local(clock.now()).hour
    if hour < 3:
        return TimeBand.NIGHT
    if hour < 6:
        return TimeBand.EARLY_MORNING
    if hour < 18:
        return TimeBand.DAY
    return TimeBand.EVENING if hour < 21 else TimeBand.LATE_EVENING


def _hand_out(holder, balances, back_url):
    """The quick hand-out form for a kit bag or a venue (volunteers for their bag, staff for any)."""
    items = [b.item for b in balances if not b.item.is_returnable]
    form = f.hand_out_form(items)
    form.place_id.choices = choices([("", "Choose a place")] + [(pid, name) for pid, name in svc.place_names()])
    if request.method == "GET":
        form.occurred_on.data = clock.today()
        form.time_band.data = current_time_band().value
        last_place = svc.last_hand_out_place(current_user)
        form.place_id.data = last_place.id if last_place else None
    if form.validate_on_submit():
        quantities = {item: getattr(form, f"qty_{item.id}").data or 0 for item in items}
        with unit_of_work(form) as work:
            outcome = svc.hand_out_stock(  # place_id is one of the choices
                holder, quantities, by=current_user, place_id=form.place_id.data or None, place_text=form.place_text.data,
                occurred_on=form.occurred_on.data, time_band=TimeBand(form.time_band.data),
                event_name=form.event_name.data, idempotency_key=form.idempotency_key.data)
        if work.ok:
            done(outcome, "Recorded: " + ", ".join(m.item.count(m.quantity) for m in outcome.movements)
                 + " handed out. Thank you!")
            return redirect(request.path)
    when = ("today" if form.occurred_on.data == clock.today() else format_local(form.occurred_on.data)) \
        if form.occurred_on.data else "today"
    if form.time_band.data in {t.value for t in TimeBand}:
        when += ", " + TimeBand(form.time_band.data).label.lower()
    return render_template("equipment/hand_out.html", form=form, holder=holder, balances=balances, items=items,
                           back_url=back_url, when=when), refused_status(form)


@bp.route("/equipment/kit-bag/hand-out", methods=["GET", "POST"])
@login_required
def hand_out():
    bag, balances = svc.kit_bag_with_balances(current_user)
    if bag is None:
        flash("Your kit bag is empty: a coordinator issues stock to it before you can hand any out.", "info")
        return redirect(url_for("equipment.kit_bag"))
    return _hand_out(bag, balances, url_for("equipment.kit_bag"))


@bp.route("/equipment/holders/<int:holder_id>/hand-out", methods=["GET", "POST"])
@role_required(*STAFF)
def holder_hand_out(holder_id):
    holder = get_holder_or_404(holder_id, current_user)
    return _hand_out(holder, svc.balances_for(holder), url_for("equipment.holder", holder_id=holder.id))


# --- coordinators: stock ---------------------------------------------------------------------
@bp.get("/equipment/stock")
@role_required(*STAFF)
def stock():
    by = "item" if request.args.get("by") == "item" else "holder"
    page = None
    if by == "item":
        data = equipment_queries.stock_by_item(current_user)
    else:  # a page of holders at a time: there may be thousands of kit bags
        page, data = equipment_queries.stock_by_holder_page(requested_page(), current_app.config["VH_PAGE_SIZE"],
                                                            current_user)
    return render_template("equipment/stock.html", by=by, data=data, page=page, low=svc.low_stock_summary(),
                           stores=svc.store_names(), store_form=f.StoreForm())


@bp.post("/equipment/stores")
@role_required(*STAFF)
def store_create():
    form = f.StoreForm()
    if form.validate_on_submit():
        with unit_of_work() as work:
            store = svc.create_store(form.name.data)
        if work.ok:
            flash(f"{store.name} added.", "success")
    else:
        flash("Enter the store's name.", "danger")
    return redirect(url_for("equipment.stock"))


@bp.get("/equipment/holders/<int:holder_id>")
@role_required(*STAFF)
def holder(holder_id):
    holder = get_holder_or_404(holder_id, current_user)
    recent = db.session.scalars(equipment_queries.movements_query(equipment_queries.MovementFilter(holder_id=holder.id), current_user).limit(10))
    return render_template("equipment/holder.html", holder=holder, balances=svc.balances_for(holder), recent=recent)


@bp.get("/equipment/kit-bags/<int:user_id>")
@role_required(*STAFF)
def person_kit_bag(user_id):
    person = get_person_or_404(user_id, current_user)
    bag = svc.find_kit_bag(person)
    if bag is None:
        flash(f"{person.name} has not been issued any stock yet.", "info")
        return redirect(url_for("equipment.issue"))
    return redirect(url_for("equipment.holder", holder_id=bag.id))


@bp.get("/equipment/low-stock")
@role_required(*STAFF)
def low_stock():
    return render_template("equipment/low_stock.html", low=svc.low_stock_balances())


@bp.route("/equipment/receive", methods=["GET", "POST"])
@role_required(*STAFF)
def receive():
    form = f.ReceiveForm()
    form.store_id.choices = store_choices()
    form.item_id.choices = item_choices()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = svc.receive_stock(
                get_holder_or_404(form.store_id.data, current_user), get_item_or_404(form.item_id.data), form.quantity.data,
                by=current_user, supplier=form.supplier.data, batch=form.batch.data, use_by=form.use_by.data,
                reason=form.reason.data, idempotency_key=form.idempotency_key.data)
        if work.ok:
            m = outcome.movements[0]
            done(outcome, f"Received {m.item.count(m.quantity)} into {m.to_holder.display_name}.")
            return redirect(url_for("equipment.holder", holder_id=m.to_holder_id))
    return render_template("equipment/form.html", form=form, title="Receive a delivery", submit="Record delivery"), \
        refused_status(form)


def _issue_form() -> f.IssueForm:
    """The issue form. "From" lists the stores, and the one kit bag or venue the page was opened for
    (a return); volunteers come from the picker, not a list of everyone. Its "Find" button sends
    the form back by GET, so the values come from the address then."""
    finding = request.method == "GET" and "find" in request.args
    form = f.IssueForm(formdata=request.args if finding else None) if request.method == "GET" else f.IssueForm()
    stores = store_names()
    sources = list(stores)
    chosen = request.args.get("from", type=int) or form.from_holder_id.data
    if chosen and 0 < chosen <= INTEGER_MAX and chosen not in {i for i, _ in stores}:
        holder = get_holder_or_404(chosen, current_user)
        sources.append((holder.id, holder.display_name))
    form.from_holder_id.choices = choices(sources)
    form.item_id.choices = item_choices()
    form.to_store_id.choices = choices([("", "No store")] + stores)
    if request.method == "GET" and request.args.get("from", type=int):
        form.from_holder_id.data = request.args.get("from", type=int)
    return form


def _picker(form: f.IssueForm) -> dict:
    """What the two pickers show: the ticked people and venues, and the matches for what was typed."""
    values = request.args if request.method == "GET" else request.form
    typed, venue_typed = values.get("people_q", ""), values.get("venues_q", "")
    return {"search_value": typed, "ticked": pickers.people_named(current_user, form.volunteer_ids.data),
            "matches": pickers.people_matching(current_user, typed),
            "venue_search": venue_typed, "venues_ticked": pickers.venues_named(form.organisation_ids.data),
            "venue_matches": pickers.venues_matching(venue_typed)}


def _open_venue(organisation_id: int) -> Organisation:
    """A ticked venue, refused next to the field if it has closed (or never was) since the form
    was filled in: the picker offers only open ones."""
    venue = db.session.get(Organisation, organisation_id)
    if venue is None or venue.retired_at is not None:
        raise ValidationFailed("A venue you ticked has closed or no longer exists, so it is no longer ticked: "
                               "check the venues and issue again.",
                               "organisation_ids")
    return venue


def _recipients(form: f.IssueForm) -> list:
    recipients = [svc.kit_bag_for(get_person_or_404(uid, current_user)) for uid in form.volunteer_ids.data or []]
    recipients += [svc.holder_for_organisation(_open_venue(oid)) for oid in form.organisation_ids.data or []]
    if form.to_store_id.data:
        recipients.append(get_holder_or_404(form.to_store_id.data, current_user))
    return recipients


@bp.get("/equipment/venues/suggest")
@role_required(*STAFF)
def venue_suggest():
    """The issue form's venue suggestions as you type: at most 20 open venues and organisations
    whose name contains `q`, as JSON ({"matches": [{"id", "label"}], "more": bool})."""
    found = pickers.venues_matching(request.args.get("q", "")[:100])
    return jsonify(matches=[{"id": i, "label": name} for i, name in found[:pickers.PICK_LIMIT]],
                   more=len(found) > pickers.PICK_LIMIT)


@bp.route("/equipment/issue", methods=["GET", "POST"])
@role_required(*STAFF)
def issue():
    form = _issue_form()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = svc.issue_stock(get_holder_or_404(form.from_holder_id.data, current_user), get_item_or_404(form.item_id.data),
                                      _recipients(form), form.quantity.data, by=current_user, reason=form.reason.data,
                                      idempotency_key=form.idempotency_key.data)
        if work.ok:
            m = outcome.movements[0]
            done(outcome, f"Issued {m.item.count(m.quantity)} to each of {len(outcome.movements)} "
                 f"({', '.join(x.to_holder.display_name for x in outcome.movements)}).")
            return redirect(url_for("equipment.holder", holder_id=m.from_holder_id))
    return render_template("equipment/issue.html", form=form, picker=_picker(form)), refused_status(form)


@bp.route("/equipment/holders/<int:holder_id>/write-off", methods=["GET", "POST"])
@role_required(*STAFF)
def write_off(holder_id):
    holder = get_holder_or_404(holder_id, current_user)
    form = f.WriteOffForm()
    form.item_id.choices = choices((b.item.id, f"{b.item.name} ({b.quantity} held)") for b in svc.balances_for(holder))
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = svc.write_off_stock(holder, get_item_or_404(form.item_id.data), form.quantity.data,
                                          form.reason.data, by=current_user, idempotency_key=form.idempotency_key.data)
        if work.ok:
            m = outcome.movements[0]
            done(outcome, f"Wrote off {m.item.count(m.quantity)} from {holder.display_name}.")
            return redirect(url_for("equipment.holder", holder_id=holder.id))
    return render_template("equipment/form.html", form=form, title=f"Write off from {holder.display_name}",
                           submit="Write off", back_url=url_for("equipment.holder", holder_id=holder.id)), refused_status(form)


@bp.route("/equipment/holders/<int:holder_id>/stocktake", methods=["GET", "POST"])
@role_required(*STAFF)
def stocktake(holder_id):
    holder = get_holder_or_404(holder_id, current_user)
    held = {b.item_id: b.quantity for b in svc.balances_for(holder, only_held=False)}
    items = [i for i in svc.list_items() if i.id in held or holder.is_store]
    form = f.stocktake_form(items, held)
    if form.validate_on_submit():
        counts = {item: getattr(form, f"count_{item.id}").data for item in items}
        with unit_of_work(form) as work:
            outcome = svc.take_stock(holder, counts, form.reason.data, by=current_user,
                                     idempotency_key=form.idempotency_key.data)
        if work.ok:
            changes = ", ".join(f"{'+' if m.to_holder_id else '−'}{m.item.count(m.quantity)}" for m in outcome.movements)
            done(outcome, f"Stocktake recorded: {changes}." if changes else "Stocktake recorded: the counts match.")
            return redirect(url_for("equipment.holder", holder_id=holder.id))
    return render_template("equipment/form.html", form=form, title=f"Stocktake: {holder.display_name}",
                           submit="Record the count", back_url=url_for("equipment.holder", holder_id=holder.id),
                           intro="Enter what you counted. Each difference from the books is recorded as an adjustment."), \
        refused_status(form)


