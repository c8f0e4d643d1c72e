from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from volunteer_hub.blueprints.people import bp
from volunteer_hub.blueprints.people.forms import (
    AgenciesForm,
    DbsForm,
    DirectoryFilterForm,
    ImportForm,
    OrganisationForm,
    ProfileForm,
    RolesForm,
)
from volunteer_hub.exports import audited_csv, export_limit
from volunteer_hub.forms import ButtonForm, choices
from volunteer_hub.models import OrganisationKind, Role, db
from volunteer_hub.pagination import requested_page
from volunteer_hub.queries import audit as audit_queries
from volunteer_hub.queries import pickers
from volunteer_hub.security import (
    STAFF,
    can_manage_agencies,
    can_manage_roles,
    get_organisation_or_404,
    get_person_or_404,
    role_required,
)
from volunteer_hub.services import people as people_service
from volunteer_hub.services import two_factor
from volunteer_hub.unit_of_work import refused_status, unit_of_work


def _organisation_choices(current_id=None):
    orgs = people_service.organisation_names()
    pairs = [("", "None")] + orgs
    if current_id and current_id not in {org_id for org_id, _name in orgs}:
        org = get_organisation_or_404(current_id)
        pairs.append((org.id, f"{org.name} (retired)"))
    return choices(pairs)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    form.organisation_id.choices = _organisation_choices(user.organisation_id)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people_service.update_profile(user, **{f: getattr(form, f).data for f in people_service.PROFILE_FIELDS})
        if work.ok:
            flash("Your details are saved.", "success")
            return redirect(url_for("people.profile"))
    return render_template("people/profile.html", form=form, user=user), refused_status(form)


def _directory_filter(form: DirectoryFilterForm) -> people_service.DirectoryFilter:
    yes_no = {"yes": True, "no": False}
    return people_service.DirectoryFilter(
        q=(form.q.data or "").strip(),
        organisation_id=form.organisation.data,
        role=Role(form.role.data) if form.role.data else None,
        active=yes_no.get(form.active.data),
        confirmed=yes_no.get(form.confirmed.data),
    )


def _directory_form() -> DirectoryFilterForm:
    form = DirectoryFilterForm(request.args)
    form.organisation.choices = choices([("", "Any organisation")] + people_service.organisation_names())
    if not form.validate():
        # Unknown values in the query string are dropped, never a 500.
        for name in ("organisation", "role", "active", "confirmed"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
    return form


@bp.get("/people")
@role_required(*STAFF)
def directory():
    form = _directory_form()
    page = people_service.directory_page(_directory_filter(form), requested_page(), current_user)
    return render_template("people/directory.html", form=form, page=page)


@bp.get("/people/suggest")
@role_required(*STAFF)
def suggest():
    """The pickers' suggestions as you type: at most 20 active people matching `q` whom the viewer
    may see, as JSON ({"people": [{"id", "label"}], "more": bool})."""
    q = request.args.get("q", "")[:100]
    role = request.args.get("role")
    found = pickers.people_matching(current_user, q, role=Role(role) if role in {r.value for r in Role} else None)
    return jsonify(people=[{"id": i, "label": label} for i, label in found[:pickers.PICK_LIMIT]],
                   more=len(found) > pickers.PICK_LIMIT)


@bp.get("/people/export.csv")
@role_required(*STAFF)
@export_limit
def directory_export():
    stmt = people_service.directory_query(_directory_filter(_directory_form()), current_user)
    return audited_csv("export.directory", people_service.directory_csv_rows(db.session.scalars(stmt)), "volunteers.csv")


def _agencies_form(person, formdata=None) -> AgenciesForm | None:
    """The admin's Agencies form, shown on a coordinator's page (None for a non-admin; a POST
    for anyone else is refused by the service)."""
    if not can_manage_agencies(current_user) or (formdata is None and not person.has_role(Role.COORDINATOR)):
        return None
    chosen = [org.id for org in person.agencies]
    form = AgenciesForm(formdata, all_agencies=person.sees_all_agencies, organisation_ids=chosen)
    orgs = people_service.organisation_names()
    in_use = {org_id for org_id, _name in orgs}
    form.organisation_ids.choices = choices(orgs + [(o.id, f"{o.name} (retired)") for o in person.agencies
                                                    if o.id not in in_use])
    return form


def _person_page(person, dbs_form=None, agencies_form=None, status=200):
    """The person page, with the form that was posted (and its errors) if any."""
    return render_template(
        "people/person.html", person=person, dbs_form=dbs_form or DbsForm(obj=person),
        roles_form=RolesForm(roles=[r.value for r in person.roles]) if can_manage_roles(current_user) else None,
        agencies_form=agencies_form or _agencies_form(person), button=ButtonForm(),
        history=audit_queries.latest_about(person, current_user),
    ), status


@bp.get("/people/<int:user_id>")
@role_required(*STAFF)
def person(user_id):
    return _person_page(get_person_or_404(user_id, current_user))


@bp.post("/people/<int:user_id>/dbs")
@role_required(*STAFF)
def person_dbs(user_id):
    person = get_person_or_404(user_id, current_user)
    form = DbsForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people_service.set_dbs(person, form.dbs_checked_on.data, form.dbs_renew_by.data)
        if work.ok:
            flash("DBS dates saved.", "success")
            return redirect(url_for("people.person", user_id=person.id))
    return _person_page(person, dbs_form=form, status=400)


@bp.post("/people/<int:user_id>/agencies")
@role_required(Role.ADMIN)
def person_agencies(user_id):
    person = get_person_or_404(user_id, current_user)
    form = _agencies_form(person, request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people_service.set_agencies(person, form.organisation_ids.data, form.all_agencies.data)
        if work.ok:
            flash("Agencies saved.", "success")
            return redirect(url_for("people.person", user_id=person.id))
    return _person_page(person, agencies_form=form, status=400)


@bp.post("/people/<int:user_id>/roles")
@role_required(Role.ADMIN)
def person_roles(user_id):
    person = get_person_or_404(user_id, current_user)
    form = RolesForm()
    if not form.validate_on_submit():
        flash("Choose roles from the list.", "danger")
        return redirect(url_for("people.person", user_id=person.id))
    wanted = {Role(v) for v in form.roles.data or []}
    with unit_of_work() as work:
        for role in wanted - person.roles:
            people_service.grant_role(person, role)
        for role in person.roles - wanted:
            people_service.remove_role(person, role, by=current_user)
    if work.ok:
        flash("Roles saved.", "success")
    return redirect(url_for("people.person", user_id=person.id))


@bp.post("/people/<int:user_id>/two-step/reset")
@role_required(Role.ADMIN)
def person_two_factor_reset(user_id):
    person = get_person_or_404(user_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            two_factor.reset_two_factor(person, by=current_user)
        if work.ok:
            flash(f"Two-step sign-in is reset for {person.name}, who is signed out everywhere.", "success")
    return redirect(url_for("people.person", user_id=person.id))


@bp.post("/people/<int:user_id>/deactivate")
@role_required(*STAFF)
def person_deactivate(user_id):
    person = get_person_or_404(user_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            people_service.deactivate_person(person, by=current_user)
        if work.ok:
            flash(f"{person.name} is deactivated and can no longer sign in.", "success")
    return redirect(url_for("people.person", user_id=person.id))


@bp.post("/people/<int:user_id>/reactivate")
@role_required(*STAFF)
def person_reactivate(user_id):
    person = get_person_or_404(user_id, current_user)
    if ButtonForm().validate_on_submit():
        with unit_of_work():
            people_service.reactivate_person(person)
        flash(f"{person.name} can sign in again.", "success")
    return redirect(url_for("people.person", user_id=person.id))


@bp.route("/people/import", methods=["GET", "POST"])
@role_required(*STAFF)
def people_import():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        report = people_service.check_import(form.file.data.read())
        if report.ok:
            with unit_of_work():
                people_service.import_people(report, by=current_user)
            flash(f"Imported {report.created} people; {report.skipped_existing} already had an account. "
                  "Everyone new has been emailed a link to set their password.", "success")
            return redirect(url_for("people.directory"))
    return render_template("people/import.html", form=form, report=report), (400 if report else 200)


@bp.route("/organisations", methods=["GET", "POST"])
@role_required(*STAFF)
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            org = people_service.create_organisation(form.name.data, OrganisationKind(form.kind.data))
        if work.ok:
            flash(f"{org.name} added.", "success")
            return redirect(url_for("people.organisations"))
    orgs = people_service.list_organisations(include_retired=True)
    return render_template("people/organisations.html", form=form, orgs=orgs, button=ButtonForm()), refused_status(form)


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def organisation_edit(org_id):
    org = get_organisation_or_404(org_id)
    form = OrganisationForm(obj=org, kind=org.kind.value)
    if request.method == "GET":
        form.kind.data = org.kind.value
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people_service.update_organisation(org, form.name.data, OrganisationKind(form.kind.data))
        if work.ok:
            flash("Organisation saved.", "success")
            return redirect(url_for("people.organisations"))
    return render_template("people/organisation_edit.html", form=form, org=org, button=ButtonForm()), refused_status(form)


@bp.post("/organisations/<int:org_id>/retire")
@role_required(*STAFF)
def organisation_retire(org_id):
    org = get_organisation_or_404(org_id)
    if ButtonForm().validate_on_submit():
        with unit_of_work():
            people_service.retire_organisation(org)
        flash(f"{org.name} is retired: it is no longer offered in lists.", "success")
    return redirect(url_for("people.organisations"))


@bp.post("/organisations/<int:org_id>/restore")
@role_required(*STAFF)
def organisation_restore(org_id):
    org = get_organisation_or_404(org_id)
    if ButtonForm().validate_on_submit():
        with unit_of_work():
            people_service.restore_organisation(org)
        flash(f"{org.name} is back in use.", "success")
    return redirect(url_for("people.organisations"))
