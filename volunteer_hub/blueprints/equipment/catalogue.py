"""Items, the places stock is handed out, and returnable assets with their loans."""
import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from volunteer_hub import clock
from volunteer_hub.blueprints.equipment import bp
from volunteer_hub.blueprints.equipment import forms as f
from volunteer_hub.blueprints.equipment.helpers import item_choices
from volunteer_hub.forms import ButtonForm
from volunteer_hub.models import ItemKind, PlaceKind
from volunteer_hub.queries import pickers
from volunteer_hub.security import (
    STAFF,
    can_view_person,
    get_asset_or_404,
    get_item_or_404,
    get_person_or_404,
    get_place_or_404,
    role_required,
)
from volunteer_hub.services import equipment as svc
from volunteer_hub.unit_of_work import refused_status, unit_of_work


# --- items, places, assets ---------------------------------------------------------------------
@bp.route("/equipment/items", methods=["GET", "POST"])
@role_required(*STAFF)
def items():
    form = f.ItemForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            item = svc.create_item(form.name.data, ItemKind(form.kind.data), form.unit.data,
                                   form.low_stock_level.data, form.plural.data)
        if work.ok:
            flash(f"{item.name} added.", "success")
            return redirect(url_for("equipment.items"))
    return render_template("equipment/items.html", form=form,
                           items=svc.list_items(active_only=False, kind=None)), refused_status(form)


@bp.route("/equipment/items/<int:item_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def item_edit(item_id):
    item = get_item_or_404(item_id)
    form = f.ItemEditForm(obj=item)
    del form.kind
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            svc.update_item(item, form.name.data, form.plural.data, form.unit.data, form.low_stock_level.data,
                            form.is_active.data)
        if work.ok:
            flash(f"{item.name} saved.", "success")
            return redirect(url_for("equipment.items"))
    return render_template("equipment/form.html", form=form, title=f"Edit {item.name}", submit="Save",
                           back_url=url_for("equipment.items")), refused_status(form)


@bp.route("/equipment/places", methods=["GET", "POST"])
@role_required(*STAFF)
def places():
    form = f.PlaceForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            place = svc.create_place(form.name.data, PlaceKind(form.kind.data))
        if work.ok:
            flash(f"{place.name} added to the list.", "success")
            return redirect(url_for("equipment.places"))
    return render_template("equipment/places.html", form=form, places=svc.list_places(active_only=False),
                           button=ButtonForm()), refused_status(form)


@bp.post("/equipment/places/<int:place_id>/<any(retire,restore):action>")
@role_required(*STAFF)
def place_toggle(place_id, action):
    place = get_place_or_404(place_id)
    if ButtonForm().validate_on_submit():
        with unit_of_work():
            svc.set_place_active(place, action == "restore")
        flash(f"{place.name} is {'back on' if action == 'restore' else 'no longer on'} the hand-out list.", "success")
    return redirect(url_for("equipment.places"))


@bp.route("/equipment/assets", methods=["GET", "POST"])
@role_required(*STAFF)
def assets():
    form = f.AssetForm()
    form.item_id.choices = item_choices(ItemKind.RETURNABLE)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            asset = svc.add_asset(get_item_or_404(form.item_id.data), form.serial.data)
        if work.ok:
            flash(f"{asset.item.name} {asset.serial} registered.", "success")
            return redirect(url_for("equipment.assets"))
    return render_template("equipment/assets.html", form=form, rows=svc.assets_with_loans(),
                           overdue=svc.overdue_loans(), button=ButtonForm(),
                           today=clock.today(), sees=lambda person: can_view_person(current_user, person)), \
        refused_status(form)


@bp.route("/equipment/assets/<int:asset_id>/check-out", methods=["GET", "POST"])
@role_required(*STAFF)
def asset_check_out(asset_id):
    """Who takes a radio (or other returnable kit), chosen with the people picker, and when it is due back."""
    asset = get_asset_or_404(asset_id)
    finding = request.method == "GET" and "find" in request.args
    form = f.CheckOutForm(formdata=request.args if finding else None, due_on=clock.today() + dt.timedelta(days=7)) \
        if request.method == "GET" else f.CheckOutForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            loan = svc.check_out_asset(asset, get_person_or_404(form.user_id.data[0], current_user), form.due_on.data,
                                       by=current_user)
        if work.ok:
            flash(f"{asset.item.name} {asset.serial} checked out to {loan.user.name}, due {loan.due_on:%-d %b}.", "success")
            return redirect(url_for("equipment.assets"))
    typed = request.args.get("people_q", "") if request.method == "GET" else ""
    picker = {"search_value": typed, "ticked": pickers.people_named(current_user, form.user_id.data[:1]),
              "matches": pickers.people_matching(current_user, typed)}
    return render_template("equipment/check_out.html", asset=asset, form=form, picker=picker), refused_status(form)


@bp.post("/equipment/assets/<int:asset_id>/check-in")
@role_required(*STAFF)
def asset_check_in(asset_id):
    asset = get_asset_or_404(asset_id)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            svc.check_in_asset(asset, by=current_user)
        if work.ok:
            flash(f"{asset.item.name} {asset.serial} is back.", "success")
    return redirect(url_for("equipment.assets"))


