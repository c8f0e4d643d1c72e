
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_hub import clock
from volunteer_hub.blueprints.certificates import bp
from volunteer_hub.blueprints.certificates.forms import (
    CertificateRevokeForm,
    ComplianceFilterForm,
    ExpiringFilterForm,
    ExternalCertificateForm,
    VerifyForm,
)
from volunteer_hub.exports import audited_csv, export_limit
from volunteer_hub.extensions import limiter
from volunteer_hub.forms import ButtonForm, choices
from volunteer_hub.models import Course, OrganisationKind, Role, db
from volunteer_hub.pagination import paginate_capped, requested_page
from volunteer_hub.queries import certificates as certificate_queries
from volunteer_hub.queries import compliance as compliance_queries
from volunteer_hub.security import (
    STAFF,
    get_agency_or_404,
    get_certificate_or_404,
    get_person_or_404,
    is_staff,
    role_required,
)
from volunteer_hub.services import certificates as service
from volunteer_hub.services import people as people_service
from volunteer_hub.services.certificate_pdf import render_certificate_pdf
from volunteer_hub.unit_of_work import refused_status, unit_of_work


def _verify_limit() -> str:
    return current_app.config["VH_VERIFY_LIMIT"]


# Template globals, not context processors: a context processor runs on every render, a global
# only where a template calls it.
@bp.app_template_global()
def certificate_panel():
    """Data for the home-page panel (called only when the panel is shown)."""
    current = certificate_queries.current_certificates(current_user)
    days = certificate_queries.expiring_days()  # VH_CERT_EXPIRING_DAYS: 60
    expiring, more = certificate_queries.count_expiring(days, certificate_queries.PANEL_COUNT_CAP) if is_staff(current_user) else (None, False)
    return {"current": current, "expiring_30": expiring, "more_than": more, "days": days}


# --- the holder ----------------------------------------------------------------------------------
@bp.get("/certificates")
@login_required
def mine():
    current, history = certificate_queries.certificates_of(current_user)
    return render_template("certificates/mine.html", current=current, history=history)


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id):
    certificate = get_certificate_or_404(certificate_id, current_user)
    if certificate.is_external or certificate.is_withdrawn or certificate.is_revoked:
        abort(404)
    return Response(
        render_certificate_pdf(certificate),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{certificate.number}.pdf"',
                 "Cache-Control": "private, no-store"},
    )


# --- anyone: verification ------------------------------------------------------------------------
@bp.get("/verify")
@limiter.limit(_verify_limit)
@limiter.limit(lambda: current_app.config["VH_VERIFY_NUMBER_LIMIT"], exempt_when=lambda: not request.args.get("q"))
def verify():
    """Look up by number or code. Numbers are sequential, so look-ups are limited harder than QR visits."""
    form = VerifyForm(request.args)
    searched = bool(request.args.get("q"))
    if searched and form.validate():
        certificate = certificate_queries.find_certificate_for_verification(form.q.data)
        if certificate is not None:
            return redirect(url_for("certificates.verify_code", code=certificate.verification_code))
    return render_template("certificates/verify.html", form=form, searched=searched), (404 if searched else 200)


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def verify_code(code):
    certificate = certificate_queries.find_certificate_for_verification(code)
    if certificate is None or certificate.verification_code != code:
        return render_template("certificates/verify.html", form=VerifyForm(), searched=True), 404
    if certificate.user.is_erased:
        # Erased with its holder: say no more than that (not why, not whose).
        response = Response(render_template("certificates/unavailable.html"), status=410)
    else:
        status = certificate_queries.status_of(certificate)
        response = Response(render_template("certificates/verified.html", certificate=certificate, status=status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- staff: compliance -----------------------------------------------------------------------------
def _compliance_form() -> ComplianceFilterForm:
    form = ComplianceFilterForm(request.args)
    form.organisation.choices = choices([("", "Any organisation")] + people_service.organisation_names())
    if not form.validate():
        for name in ("organisation", "role", "status"):
            if getattr(form, name).errors:
                getattr(form, name).data = None
    return form


def _compliance_filter(form: ComplianceFilterForm) -> compliance_queries.ComplianceFilter:
    return compliance_queries.ComplianceFilter(
        organisation_id=form.organisation.data,
        role=Role(form.role.data) if form.role.data else None,
        status=form.status.data or "",
    )


@bp.get("/certificates/compliance")
@role_required(*STAFF)
def compliance():
    form = _compliance_form()
    page = requested_page()
    matrix = compliance_queries.compliance_matrix(_compliance_filter(form), page=page,
                                                  per_page=current_app.config["VH_PAGE_SIZE"], viewer=current_user)
    return render_template("certificates/compliance.html", form=form, matrix=matrix,
                           statuses=compliance_queries.CELL_LABELS)


@bp.get("/certificates/compliance.csv")
@role_required(*STAFF)
@export_limit
def compliance_export():
    matrix = compliance_queries.compliance_matrix_all(_compliance_filter(_compliance_form()), current_user)
    return audited_csv("export.compliance", compliance_queries.compliance_csv_rows(matrix), "compliance.csv")


@bp.get("/certificates/organisations")
@role_required(*STAFF)
def organisations():
    return render_template("certificates/organisations.html", rows=compliance_queries.organisation_compliance(current_user))


@bp.get("/certificates/organisations/<int:org_id>/summary")
@role_required(*STAFF)
def venue_summary(org_id):
    org = get_agency_or_404(org_id, current_user)
    matrix, summary = compliance_queries.venue_summary(org, current_user)
    return render_template("certificates/venue_summary.html", org=org, matrix=matrix, summary=summary,
                           today=clock.today())


@bp.get("/certificates/expiring")
@role_required(*STAFF)
def expiring():
    form = ExpiringFilterForm(request.args)
    days = form.days.data if form.validate() and form.days.data else 30
    page = paginate_capped(certificate_queries.expiring_query(days, viewer=current_user), requested_page(),
                           current_app.config["VH_PAGE_SIZE"], current_app.config["VH_LIST_COUNT_CAP"])
    return render_template("certificates/expiring.html", form=form, page=page, days=days,
                           today=clock.today())


@bp.route("/certificates/requirements", methods=["GET", "POST"])
@role_required(*STAFF)
def requirements():
    form = ButtonForm()
    if form.validate_on_submit():
        pairs = set()
        for value in request.form.getlist("requirement"):
            what, _, rest = value.partition(":")
            target, _, course_id = rest.rpartition(":")
            pairs.add((what, target, int(course_id) if course_id.isdigit() else -1))
        with unit_of_work() as work:
            added, removed = service.set_requirements(pairs)
        if work.ok:
            flash(f"Requirements saved ({added} added, {removed} removed).", "success")
            return redirect(url_for("certificates.requirements"))
    courses = list(db.session.scalars(select(Course).where(Course.gives_certificate).order_by(Course.title)))
    chosen = {(f"role:{r.role.value}" if r.role else f"kind:{r.organisation_kind.value}", r.course_id)
              for r in service.list_requirements()}
    return render_template("certificates/requirements.html", form=form, courses=courses, chosen=chosen,
                           roles=[Role.VOLUNTEER, Role.TRAINER], kinds=list(OrganisationKind)), refused_status(form)


# --- staff: a person's certificates, external ones, revocation ------------------------------------
@bp.get("/certificates/people/<int:user_id>")
@role_required(*STAFF)
def person(user_id):
    person = get_person_or_404(user_id, current_user)
    current, history = certificate_queries.certificates_of(person)
    return render_template("certificates/person.html", person=person, current=current, history=history)


def _course_choices():
    courses = db.session.scalars(select(Course).order_by(Course.title))
    return choices([("", "Not one of our courses")] + [(c.id, c.title) for c in courses])


@bp.route("/certificates/people/<int:user_id>/external", methods=["GET", "POST"])
@role_required(*STAFF)
def external_new(user_id):
    person = get_person_or_404(user_id, current_user)
    form = ExternalCertificateForm()
    form.course_id.choices = _course_choices()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            course = db.session.get(Course, form.course_id.data) if form.course_id.data else None
            certificate = service.record_external_certificate(
                person, course=course, title=form.title.data, issuer=form.issuer.data,
                issued_on=form.issued_on.data, expires_on=form.expires_on.data,
                evidence_note=form.evidence_note.data, by=current_user,
            )
        if work.ok:
            flash(f"Certificate {certificate.number} recorded for {person.name}.", "success")
            return redirect(url_for("certificates.person", user_id=person.id))
    return render_template("certificates/external_new.html", form=form, person=person), refused_status(form)


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@role_required(*STAFF)
def revoke(certificate_id):
    certificate = get_certificate_or_404(certificate_id, current_user)
    form = CertificateRevokeForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            service.revoke_certificate(certificate, form.reason.data, by=current_user)
        if work.ok:
            flash(f"Certificate {certificate.number} is revoked.", "success")
            return redirect(url_for("certificates.person", user_id=certificate.user_id))
    return render_template("certificates/revoke.html", form=form, certificate=certificate), refused_status(form)
