"""The audit trail: read and download only (no route changes or deletes an entry)."""
from flask import current_app, render_template, request
from flask_login import current_user

from volunteer_hub.blueprints.audit import bp
from volunteer_hub.blueprints.audit.forms import AuditFilterForm
from volunteer_hub.exports import audited_csv, export_limit
from volunteer_hub.pagination import requested_page
from volunteer_hub.queries import audit as audit_queries
from volunteer_hub.security import STAFF, role_required
from volunteer_hub.unit_of_work import refused_status


def _person(field) -> int | None:
    """The id a person field names; an error next to it if it names nobody."""
    if not field.data or field.errors:
        return None
    person_id = audit_queries.find_person_id(field.data)
    if person_id is None:
        field.errors = ["No one has that email address or account number."]
    return person_id


def _filter() -> tuple[AuditFilterForm, audit_queries.AuditFilter | None]:
    form = AuditFilterForm(request.args)
    form.validate()
    f = audit_queries.AuditFilter(
        actor_id=_person(form.actor), subject_id=_person(form.subject), action=form.action.data or None,
        object_type=form.object_type.data or None, object_id=form.object_id.data,
        date_from=form.date_from.data, date_to=form.date_to.data)
    return form, (None if form.errors else f)


@bp.get("/audit")
@role_required(*STAFF)
def index():
    form, f = _filter()
    page = None if f is None else audit_queries.audit_page(
        f, current_user, requested_page(), current_app.config["VH_PAGE_SIZE"], current_app.config["VH_LIST_COUNT_CAP"])
    return render_template("audit/index.html", form=form, page=page), refused_status(form)


@bp.get("/audit/export.csv")
@role_required(*STAFF)
@export_limit
def export():
    form, f = _filter()
    if f is None:
        return render_template("audit/index.html", form=form, page=None), refused_status(form)
    return audited_csv("export.audit", audit_queries.audit_csv_rows(f, current_user), "audit-trail.csv")
