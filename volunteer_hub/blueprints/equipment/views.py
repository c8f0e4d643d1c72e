import datetime as dt
from collections import defaultdict

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from volunteer_hub import clock
from volunteer_hub.blueprints.equipment import bp
from volunteer_hub.blueprints.equipment import forms as f
from volunteer_hub.blueprints.equipment.chart import bar_chart
from volunteer_hub.blueprints.main.views import add_dashboard_panel
from volunteer_hub.csvfiles import csv_response
from volunteer_hub.errors import DomainError
from volunteer_hub.forms import ButtonForm, choices, show_domain_error
from volunteer_hub.models import Holder, ItemKind, MovementKind, PlaceKind, TimeBand, db
from volunteer_hub.pagination import requested_page
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.security import (
    STAFF,
    get_asset_or_404,
    get_holder_or_404,
    get_item_or_404,
    get_movement_or_404,
    get_organisation_or_404,
    get_person_or_404,
    get_place_or_404,
    role_required,
)
from volunteer_hub.services import equipment as svc
from volunteer_hub.services import home as home_service
from volunteer_hub.services import people as people_service
from volunteer_hub.templating import format_local

add_dashboard_panel(30, "equipment/_panel.html")


@bp.app_context_processor
def _kit_bag_summary():
    def equipment_kit_bag_summary():
        """For the dashboard panel: what is in my kit bag and what I have on loan."""
        return home_service.kit_bag_summary(current_user)

    return {"equipment_kit_bag_summary": equipment_kit_bag_summary}


def _done(outcome, message: str) -> None:
    """Commit and say what happened; a repeated submit says so and records nothing new."""
    db.session.commit()
    if outcome.duplicate:
        message = "That form had already been sent, so it was recorded once. " + message
    flash(message, "success")


def _failed(form, error: DomainError) -> None:
    db.session.rollback()
    show_domain_error(form, error)


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


def _volunteer_choices():
    people = db.session.scalars(people_service.directory_query(people_service.DirectoryFilter(active=True)))
    return [(u.id, f"{u.name} ({u.organisation.name})" if u.organisation else u.name) for u in people]


def _item_choices(kind=ItemKind.CONSUMABLE):
    return choices((i.id, i.name) for i in svc.list_items(kind=kind))


def _store_choices():
    return choices((s.id, s.name) for s in svc.list_stores())


# --- volunteers: my kit bag and handing out -----------------------------------------------------
@bp.get("/equipment/kit-bag")
@login_required
def kit_bag():
    bag, balances = svc.kit_bag_with_balances(current_user)
    return render_template("equipment/kit_bag.html", bag=bag, balances=balances,
                           loans=svc.loans_for(current_user), today=clock.today())


def _current_time_band() -> TimeBand:
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
        form.time_band.data = _current_time_band().value
        last_place = svc.last_hand_out_place(current_user)
        form.place_id.data = last_place.id if last_place else None
    if form.validate_on_submit():
        quantities = {item: getattr(form, f"qty_{item.id}").data or 0 for item in items}
        try:
            outcome = svc.hand_out_stock(  # place_id is one of the choices
                holder, quantities, by=current_user, place_id=form.place_id.data or None, place_text=form.place_text.data,
                occurred_on=form.occurred_on.data, time_band=TimeBand(form.time_band.data),
                event_name=form.event_name.data, idempotency_key=form.idempotency_key.data)
        except svc.InsufficientStock as error:
            error.field = f"qty_{error.item_id}"
            if holder.user_id == current_user.id:
                error.message = f"Your kit bag holds {error.item.count(error.held)}; you asked for {error.asked}."
            _failed(form, error)
        except DomainError as error:
            _failed(form, error)
        else:
            _done(outcome, "Recorded: " + ", ".join(m.item.count(m.quantity) for m in outcome.movements)
                  + " handed out. Thank you!")
            return redirect(request.path)
    when = ("today" if form.occurred_on.data == clock.today() else format_local(form.occurred_on.data)) \
        if form.occurred_on.data else "today"
    if form.time_band.data in {t.value for t in TimeBand}:
        when += ", " + TimeBand(form.time_band.data).label.lower()
    return render_template("equipment/hand_out.html", form=form, holder=holder, balances=balances, items=items,
                           back_url=back_url, when=when), _status(form)


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
    holder = get_holder_or_404(holder_id)
    return _hand_out(holder, svc.balances_for(holder), url_for("equipment.holder", holder_id=holder.id))


# --- coordinators: stock ---------------------------------------------------------------------
def _holder_url_prefix() -> str:
    """The holder page's address without the id, for pages that link many holders: one url_for
    per page instead of one per link (each costs about as much as a small query's Python)."""
    return url_for("equipment.holder", holder_id=0).removesuffix("0")


@bp.get("/equipment/stock")
@role_required(*STAFF)
def stock():
    by = "item" if request.args.get("by") == "item" else "holder"
    page = None
    if by == "item":
        data = equipment_queries.stock_by_item()
    else:  # a page of holders at a time: there may be thousands of kit bags
        page, data = equipment_queries.stock_by_holder_page(requested_page(),
                                              current_app.config["VH_PAGE_SIZE"])
    return render_template("equipment/stock.html", by=by, data=data, page=page, low=svc.low_stock_summary(),
                           stores=svc.store_names(), store_form=f.StoreForm(), holder_url=_holder_url_prefix())


@bp.post("/equipment/stores")
@role_required(*STAFF)
def store_create():
    form = f.StoreForm()
    if form.validate_on_submit():
        try:
            store = svc.create_store(form.name.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(f"{store.name} added.", "success")
    else:
        flash("Enter the store's name.", "danger")
    return redirect(url_for("equipment.stock"))


@bp.get("/equipment/holders/<int:holder_id>")
@role_required(*STAFF)
def holder(holder_id):
    holder = get_holder_or_404(holder_id)
    recent = db.session.scalars(equipment_queries.movements_query(equipment_queries.MovementFilter(holder_id=holder.id)).limit(10))
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
    form.store_id.choices = _store_choices()
    form.item_id.choices = _item_choices()
    if form.validate_on_submit():
        try:
            outcome = svc.receive_stock(
                get_holder_or_404(form.store_id.data), get_item_or_404(form.item_id.data), form.quantity.data,
                by=current_user, supplier=form.supplier.data, batch=form.batch.data, use_by=form.use_by.data,
                reason=form.reason.data, idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            _failed(form, error)
        else:
            m = outcome.movements[0]
            _done(outcome, f"Received {m.item.count(m.quantity)} into {m.to_holder.display_name}.")
            return redirect(url_for("equipment.holder", holder_id=m.to_holder_id))
    return render_template("equipment/form.html", form=form, title="Receive a delivery", submit="Record delivery"), \
        _status(form)


@bp.route("/equipment/issue", methods=["GET", "POST"])
@role_required(*STAFF)
def issue():
    form = f.IssueForm()
    holders = [h for h, _ in equipment_queries.stock_by_holder()]
    stores = svc.list_stores()
    form.from_holder_id.choices = choices(
        [(s.id, s.name) for s in stores] + [(h.id, h.display_name) for h in holders if not h.is_store])
    form.item_id.choices = _item_choices()
    form.volunteer_ids.choices = choices(_volunteer_choices())
    form.organisation_ids.choices = choices((o.id, o.name) for o in people_service.list_organisations())
    form.to_store_id.choices = choices([("", "No store")] + [(s.id, s.name) for s in stores])
    if request.method == "GET" and request.args.get("from", type=int):
        form.from_holder_id.data = request.args.get("from", type=int)
    if form.validate_on_submit():
        recipients = [svc.kit_bag_for(get_person_or_404(uid, current_user)) for uid in form.volunteer_ids.data or []]
        recipients += [svc.holder_for_organisation(get_organisation_or_404(oid)) for oid in form.organisation_ids.data or []]
        if form.to_store_id.data:
            recipients.append(get_holder_or_404(form.to_store_id.data))
        try:
            outcome = svc.issue_stock(get_holder_or_404(form.from_holder_id.data), get_item_or_404(form.item_id.data),
                                      recipients, form.quantity.data, by=current_user, reason=form.reason.data,
                                      idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            _failed(form, error)
        else:
            m = outcome.movements[0]
            _done(outcome, f"Issued {m.item.count(m.quantity)} to each of {len(outcome.movements)} "
                  f"({', '.join(x.to_holder.display_name for x in outcome.movements)}).")
            return redirect(url_for("equipment.holder", holder_id=m.from_holder_id))
    return render_template("equipment/issue.html", form=form), _status(form)


@bp.route("/equipment/holders/<int:holder_id>/write-off", methods=["GET", "POST"])
@role_required(*STAFF)
def write_off(holder_id):
    holder = get_holder_or_404(holder_id)
    form = f.WriteOffForm()
    form.item_id.choices = choices((b.item.id, f"{b.item.name} ({b.quantity} held)") for b in svc.balances_for(holder))
    if form.validate_on_submit():
        try:
            outcome = svc.write_off_stock(holder, get_item_or_404(form.item_id.data), form.quantity.data,
                                          form.reason.data, by=current_user, idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            _failed(form, error)
        else:
            m = outcome.movements[0]
            _done(outcome, f"Wrote off {m.item.count(m.quantity)} from {holder.display_name}.")
            return redirect(url_for("equipment.holder", holder_id=holder.id))
    return render_template("equipment/form.html", form=form, title=f"Write off from {holder.display_name}",
                           submit="Write off", back_url=url_for("equipment.holder", holder_id=holder.id)), _status(form)


@bp.route("/equipment/holders/<int:holder_id>/stocktake", methods=["GET", "POST"])
@role_required(*STAFF)
def stocktake(holder_id):
    holder = get_holder_or_404(holder_id)
    held = {b.item_id: b.quantity for b in svc.balances_for(holder, only_held=False)}
    items = [i for i in svc.list_items() if i.id in held or holder.is_store]
    form = f.stocktake_form(items, held)
    if form.validate_on_submit():
        counts = {item: getattr(form, f"count_{item.id}").data for item in items}
        try:
            outcome = svc.take_stock(holder, counts, form.reason.data, by=current_user,
                                     idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            _failed(form, error)
        else:
            changes = ", ".join(f"{'+' if m.to_holder_id else '−'}{m.item.count(m.quantity)}" for m in outcome.movements)
            _done(outcome, f"Stocktake recorded: {changes}." if changes else "Stocktake recorded: the counts match.")
            return redirect(url_for("equipment.holder", holder_id=holder.id))
    return render_template("equipment/form.html", form=form, title=f"Stocktake: {holder.display_name}",
                           submit="Record the count", back_url=url_for("equipment.holder", holder_id=holder.id),
                           intro="Enter what you counted. Each difference from the books is recorded as an adjustment."), \
        _status(form)


# --- history and reversals ---------------------------------------------------------------------
def _movement_filter_form():
    form = f.MovementFilterForm(request.args)
    form.item.choices = choices([("", "Any item")] + [(i.id, i.name) for i in svc.list_items(active_only=False, kind=None)])
    holders = svc.list_stores() + [h for h, _ in equipment_queries.stock_by_holder() if not h.is_store]
    selected = request.args.get("holder", type=int)
    if selected and selected not in {h.id for h in holders}:
        extra = db.session.get(Holder, selected)
        holders += [extra] if extra else []
    form.holder.choices = choices([("", "Any holder")] + [(h.id, h.display_name) for h in holders])
    if not form.validate():
        for name in ("item", "holder", "kind", "date_from", "date_to"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
                getattr(form, name).errors = []
    return form


def _movement_filter(form) -> equipment_queries.MovementFilter:
    return equipment_queries.MovementFilter(item_id=form.item.data, holder_id=form.holder.data,
                              kind=MovementKind(form.kind.data) if form.kind.data else None,
                              date_from=form.date_from.data, date_to=form.date_to.data)


@bp.get("/equipment/movements")
@role_required(*STAFF)
def movements():
    form = _movement_filter_form()
    page = db.paginate(equipment_queries.movements_query(_movement_filter(form)), page=requested_page(), per_page=current_app.config["VH_PAGE_SIZE"],
                       error_out=False, count=True)
    return render_template("equipment/movements.html", form=form, page=page)


@bp.get("/equipment/movements.csv")
@role_required(*STAFF)
def movements_csv():
    stmt = equipment_queries.movements_query(_movement_filter(_movement_filter_form())).execution_options(yield_per=500)

    def rows():
        yield equipment_queries.MOVEMENTS_CSV_HEADER
        for movement in db.session.scalars(stmt):
            yield equipment_queries.movement_csv_row(movement)

    return csv_response(rows(), "stock-movements.csv")


@bp.route("/equipment/movements/<int:movement_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def movement(movement_id):
    movement = get_movement_or_404(movement_id)
    form = f.ReverseForm()
    if form.validate_on_submit():
        try:
            outcome = svc.reverse_movement(movement, form.reason.data, by=current_user,
                                           idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            _failed(form, error)
        else:
            _done(outcome, f"Movement {movement.id} reversed by movement {outcome.movements[0].id}.")
            return redirect(url_for("equipment.movement", movement_id=movement.id))
    return render_template("equipment/movement.html", movement=movement, form=form,
                           reversal=svc.reversal_of(movement)), _status(form)


# --- items, places, assets ---------------------------------------------------------------------
@bp.route("/equipment/items", methods=["GET", "POST"])
@role_required(*STAFF)
def items():
    form = f.ItemForm()
    if form.validate_on_submit():
        try:
            item = svc.create_item(form.name.data, ItemKind(form.kind.data), form.unit.data,
                                   form.low_stock_level.data, form.plural.data)
        except DomainError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(f"{item.name} added.", "success")
            return redirect(url_for("equipment.items"))
    return render_template("equipment/items.html", form=form,
                           items=svc.list_items(active_only=False, kind=None)), _status(form)


@bp.route("/equipment/items/<int:item_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def item_edit(item_id):
    item = get_item_or_404(item_id)
    form = f.ItemEditForm(obj=item)
    del form.kind
    if form.validate_on_submit():
        try:
            svc.update_item(item, form.name.data, form.plural.data, form.unit.data, form.low_stock_level.data,
                            form.is_active.data)
        except DomainError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(f"{item.name} saved.", "success")
            return redirect(url_for("equipment.items"))
    return render_template("equipment/form.html", form=form, title=f"Edit {item.name}", submit="Save",
                           back_url=url_for("equipment.items")), _status(form)


@bp.route("/equipment/places", methods=["GET", "POST"])
@role_required(*STAFF)
def places():
    form = f.PlaceForm()
    if form.validate_on_submit():
        try:
            place = svc.create_place(form.name.data, PlaceKind(form.kind.data))
        except DomainError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(f"{place.name} added to the list.", "success")
            return redirect(url_for("equipment.places"))
    return render_template("equipment/places.html", form=form, places=svc.list_places(active_only=False),
                           button=ButtonForm()), _status(form)


@bp.post("/equipment/places/<int:place_id>/<any(retire,restore):action>")
@role_required(*STAFF)
def place_toggle(place_id, action):
    place = get_place_or_404(place_id)
    if ButtonForm().validate_on_submit():
        svc.set_place_active(place, action == "restore")
        db.session.commit()
        flash(f"{place.name} is {'back on' if action == 'restore' else 'no longer on'} the hand-out list.", "success")
    return redirect(url_for("equipment.places"))


@bp.route("/equipment/assets", methods=["GET", "POST"])
@role_required(*STAFF)
def assets():
    form = f.AssetForm()
    form.item_id.choices = _item_choices(ItemKind.RETURNABLE)
    if form.validate_on_submit():
        try:
            asset = svc.add_asset(get_item_or_404(form.item_id.data), form.serial.data)
        except DomainError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(f"{asset.item.name} {asset.serial} registered.", "success")
            return redirect(url_for("equipment.assets"))
    checkout = f.CheckOutForm(formdata=None, due_on=clock.today() + dt.timedelta(days=7))
    checkout.user_id.choices = choices([("", "Choose a person")] + _volunteer_choices())
    return render_template("equipment/assets.html", form=form, rows=svc.assets_with_loans(),
                           overdue=svc.overdue_loans(), checkout=checkout, button=ButtonForm(),
                           today=clock.today()), _status(form)


@bp.post("/equipment/assets/<int:asset_id>/check-out")
@role_required(*STAFF)
def asset_check_out(asset_id):
    asset = get_asset_or_404(asset_id)
    form = f.CheckOutForm()
    form.user_id.choices = choices(_volunteer_choices())
    if not form.validate_on_submit():
        flash("Choose who takes it and a due date.", "danger")
        return redirect(url_for("equipment.assets"))
    try:
        loan = svc.check_out_asset(asset, get_person_or_404(form.user_id.data, current_user), form.due_on.data,
                                   by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(f"{asset.item.name} {asset.serial} checked out to {loan.user.name}, due {loan.due_on:%-d %b}.", "success")
    return redirect(url_for("equipment.assets"))


@bp.post("/equipment/assets/<int:asset_id>/check-in")
@role_required(*STAFF)
def asset_check_in(asset_id):
    asset = get_asset_or_404(asset_id)
    if ButtonForm().validate_on_submit():
        try:
            svc.check_in_asset(asset, by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(f"{asset.item.name} {asset.serial} is back.", "success")
    return redirect(url_for("equipment.assets"))


# --- reports -------------------------------------------------------------------------------------
def _report_period():
    form = f.ReportForm(request.args)
    form.validate()
    end = form.date_to.data or clock.today()
    start = form.date_from.data or (end.replace(day=1) - dt.timedelta(days=150)).replace(day=1)
    if start > end:
        start, end = end, start
    form.date_from.data, form.date_to.data = start, end
    return form, start, end


TOP_PLACES = 15  # the page shows the places with most hand-outs; the CSV has every place
OTHER_PLACES = "All other places"


def _report(start, end):
    items = {row.id: row for row in svc.item_names()}
    by_month, by_place = equipment_queries.handed_out(start, end)
    item_ids = sorted({i for _, i, _ in by_month} | {i for _, i, _ in by_place}, key=lambda i: items[i].name)
    names = [items[i].name for i in item_ids]
    months = equipment_queries.months_between(start, end)
    month_table = {(m, i): q for m, i, q in by_month}
    all_place_table = {(p, i): q for p, i, q in by_place}
    place_totals: dict[str, int] = defaultdict(int)
    for p, _, q in by_place:
        place_totals[p] += q
    ranked = sorted(place_totals, key=lambda p: (-place_totals[p], p))
    top = set(ranked[:TOP_PLACES])
    place_table: dict[tuple[str, int], int] = defaultdict(int)
    for p, i, q in by_place:
        place_table[(p if p in top else OTHER_PLACES, i)] += q
    places = ranked[:TOP_PLACES] + ([OTHER_PLACES] if len(ranked) > TOP_PLACES else [])
    # Each section's rows as the page shows them (label, a figure per item, total), worked out
    # here once rather than looked up cell by cell in the template.
    month_rows = [(dt.date.fromisoformat(m + "-01").strftime("%b %Y"), [month_table.get((m, i), 0) for i in item_ids])
                  for m in months]
    place_rows = [(p, [place_table.get((p, i), 0) for i in item_ids]) for p in places]
    return {
        "items": [items[i] for i in item_ids],
        "months": months,
        "month_table": month_table,
        "other_places": max(0, len(ranked) - TOP_PLACES),
        "all_places": sorted(place_totals),
        "all_place_table": all_place_table,
        "sections": [
            {"id": "month", "title": "By month", "head": "Month", "chart": bar_chart(month_rows, names),
             "rows": [(label, values, sum(values)) for label, values in month_rows]},
            {"id": "place", "title": "By place", "head": "Place", "chart": bar_chart(place_rows, names),
             "rows": [(label, values, sum(values)) for label, values in place_rows]},
        ],
    }


@bp.get("/equipment/report")
@role_required(*STAFF)
def report():
    form, start, end = _report_period()
    return render_template("equipment/report.html", form=form, start=start, end=end, **_report(start, end))


@bp.get("/equipment/report.csv")
@role_required(*STAFF)
def report_csv():
    _form, start, end = _report_period()
    data = _report(start, end)

    def rows():
        yield ["by", "month_or_place", "item", "handed_out"]
        for m in data["months"]:
            for item in data["items"]:
                yield ["month", m, people_service.csv_safe(item.name), data["month_table"].get((m, item.id), 0)]
        for p in data["all_places"]:
            for item in data["items"]:
                yield ["place", people_service.csv_safe(p), people_service.csv_safe(item.name),
                       data["all_place_table"].get((p, item.id), 0)]

    return csv_response(rows(), f"handed-out-{start}-to-{end}.csv")

