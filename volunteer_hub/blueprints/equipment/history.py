"""The movement history, its CSV, and reversing a movement."""

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from volunteer_hub.blueprints.equipment import bp
from volunteer_hub.blueprints.equipment import forms as f
from volunteer_hub.blueprints.equipment.helpers import done
from volunteer_hub.exports import audited_csv, export_limit
from volunteer_hub.forms import choices
from volunteer_hub.models import Holder, MovementKind, db
from volunteer_hub.pagination import paginate_capped, requested_page
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.security import (
    STAFF,
    get_movement_or_404,
    role_required,
    visible_holders,
)
from volunteer_hub.services import equipment as svc
from volunteer_hub.unit_of_work import refused_status, unit_of_work
from volunteer_hub.urls import INTEGER_MAX


# --- history and reversals ---------------------------------------------------------------------
def _movement_filter_form():
    form = f.MovementFilterForm(request.args)
    form.item.choices = choices([("", "Any item")] + [(i.id, i.name) for i in svc.list_items(active_only=False, kind=None)])
    # The stores, and the kit bag or venue the page was opened for (its "History" link): not every
    # kit bag there is, which grew with the volunteers.
    holders = svc.list_stores()
    selected = request.args.get("holder", type=int)
    if selected and 0 < selected <= INTEGER_MAX and selected not in {h.id for h in holders}:
        extra = db.session.scalar(select(Holder).where(Holder.id == selected, visible_holders(current_user)))
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
    # Counted only as far as the pages near this one (a million movements are not counted to
    # say "page 1 of 20,000").
    page = paginate_capped(equipment_queries.movements_query(_movement_filter(form), current_user),
                           requested_page(), current_app.config["VH_PAGE_SIZE"])
    return render_template("equipment/movements.html", form=form, page=page)


@bp.get("/equipment/movements.csv")
@role_required(*STAFF)
@export_limit
def movements_csv():
    stmt = equipment_queries.movements_query(_movement_filter(_movement_filter_form()), current_user).execution_options(yield_per=500)

    def rows():
        yield equipment_queries.MOVEMENTS_CSV_HEADER
        for movement in db.session.scalars(stmt):
            yield equipment_queries.movement_csv_row(movement)

    return audited_csv("export.movements", rows(), "stock-movements.csv")


@bp.route("/equipment/movements/<int:movement_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def movement(movement_id):
    movement = get_movement_or_404(movement_id, current_user)
    form = f.ReverseForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = svc.reverse_movement(movement, form.reason.data, by=current_user,
                                           idempotency_key=form.idempotency_key.data)
        if work.ok:
            done(outcome, f"Movement {movement.id} reversed by movement {outcome.movements[0].id}.")
            return redirect(url_for("equipment.movement", movement_id=movement.id))
    return render_template("equipment/movement.html", movement=movement, form=form,
                           reversal=svc.reversal_of(movement)), refused_status(form)


