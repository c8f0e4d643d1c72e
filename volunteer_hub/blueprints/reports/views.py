"""The impact report (coordinators and admins): the page, its CSV and its PDF, all three printing
the same Report (queries/impact_report.py); and /our-year, the figures an admin chose to publish."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from volunteer_hub import clock, data_cache
from volunteer_hub.blueprints.equipment.chart import bar_chart
from volunteer_hub.blueprints.reports import bp
from volunteer_hub.blueprints.reports.charts import line_chart
from volunteer_hub.blueprints.reports.forms import ImpactForm, PublishForm, figure_switches
from volunteer_hub.csvfiles import csv_response, csv_safe
from volunteer_hub.forms import ButtonForm, choices
from volunteer_hub.models import OrganisationKind, PublishedSummary, Role, db
from volunteer_hub.queries import impact as impact_queries
from volunteer_hub.queries.impact import Names
from volunteer_hub.queries.impact_report import DEFINITIONS, Period, Scope, build, kept_key, preset_period
from volunteer_hub.security import STAFF, role_required
from volunteer_hub.services import publishing
from volunteer_hub.services.report_pdf import render_report_pdf
from volunteer_hub.unit_of_work import refused_status, unit_of_work

MAX_DAYS = 366 * 5  # a longer period is refused: the previous one would reach back ten years


def _read_form(names: Names) -> tuple[ImpactForm, Period | None, Scope]:
    """The period and scope the address asks for; the period is None (with the reason next to its
    field) when the dates or the organisation cannot be used."""
    form = ImpactForm(request.args)
    form.organisation.choices = choices([("", "Every organisation")]
                                        + [(str(i), n) for i, (n, _kind) in names.organisations.items()])
    form.validate()
    today = clock.today()
    period = preset_period(form.period.data, today)
    if form.period.data == "custom":
        start, end = form.date_from.data, form.date_to.data
        if start is None or end is None:
            form.date_from.errors = [*form.date_from.errors, "Enter both dates, or choose a period."]
            return form, None, Scope()
        if start > end:
            form.date_to.errors = [*form.date_to.errors, "The end date must be on or after the start date."]
            return form, None, Scope()
        if (end - start).days > MAX_DAYS:
            form.date_to.errors = [*form.date_to.errors, "Choose at most five years."]
            return form, None, Scope()
        period = Period(start, end)
    form.date_from.data, form.date_to.data = period.start, period.end
    chosen = form.organisation.data or ""
    organisation = int(chosen) if chosen.isdigit() else None
    if chosen and organisation not in names.organisations:  # a link edited by hand, or out of date
        form.organisation.errors = [*form.organisation.errors, "Choose an organisation from the list."]
        return form, None, Scope()
    kind = OrganisationKind(form.kind.data) if form.kind.data in {k.value for k in OrganisationKind} else None
    return form, period, Scope(organisation_id=organisation, kind=kind)


BARS = {  # table id: (the column drawn, its name, at most this many rows)
    "training-courses": (2, "People trained", 20),
    "certificates-courses": (1, "Held at the end", 20),
    "equipment-items": (1, "Handed out", 20),
    "equipment-places": (1, "Items handed out", 15),
    "patrols-interactions": (1, "Interactions", 10),
}


def _report_or_400():
    names = impact_queries.names()
    _form, period, scope = _read_form(names)
    if period is None:
        abort(400)
    return build(period, scope, names)


def _charts(report):
    """The two trend lines, and bars beside the tables people would rather look at."""
    labels = [label for label, _t, _h in report.trend]
    charts = {
        "trained": line_chart(labels, [t for _l, t, _h in report.trend], "People trained"),
        "handed_out": line_chart(labels, [h for _l, _t, h in report.trend], "Items handed out"),
    }
    for _section, table in report.tables():
        if table.id in BARS and table.rows:
            column, name, most = BARS[table.id]
            charts[table.id] = bar_chart([(row[0], [row[column]]) for row in table.rows[:most]], [name],
                                         label_width=300, label_chars=30)
    return charts


def _query_args(period: Period, scope: Scope) -> dict:
    args = {"period": "custom", "date_from": period.start.isoformat(), "date_to": period.end.isoformat()}
    if scope.organisation_id is not None:
        args["organisation"] = scope.organisation_id
    if scope.kind is not None:
        args["kind"] = scope.kind.value
    return args


@bp.get("/reports/impact")
@role_required(*STAFF)
def impact():
    names = impact_queries.names()
    form, period, scope = _read_form(names)
    if period is None:
        return render_template("reports/impact.html", form=form, report=None), 400
    report, figures = data_cache.cached("impact report page", kept_key(period, scope), lambda: _figures(period, scope, names))
    return render_template("reports/impact.html", form=form, report=report, figures=figures,
                           args=_query_args(period, scope), printed=clock.today())


def _figures(period: Period, scope: Scope, names: Names) -> tuple:
    """The report and its figures as HTML: 159 KB for the 300 organisations of scale 100, whose
    rendering cost more than the rest of the page; the same for every viewer, so kept like the
    report itself until anything is written (the report is built inside, so never older)."""
    report = build(period, scope, names)
    figures = render_template("reports/_impact_figures.html", report=report, charts=_charts(report),
                              definitions=DEFINITIONS)
    return report, Markup(figures)  # nosec B704 - a rendered, autoescaped template


@bp.get("/reports/impact.csv")
@role_required(*STAFF)
def impact_csv():
    report = _report_or_400()

    def rows():
        yield ["section", "table", "row", "column", "value"]
        for section, table in report.tables():
            for row in table.rows:
                for column, value in zip(table.head[1:], row[1:], strict=True):
                    yield [section.title if section else "Trend", table.title, csv_safe(row[0]), column, value]

    return csv_response(rows(), f"impact-{report.period.start}-to-{report.period.end}.csv")


@bp.get("/reports/impact.pdf")
@role_required(*STAFF)
def impact_pdf():
    report = _report_or_400()
    period = report.period
    response = make_response(render_report_pdf(report, DEFINITIONS))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f"inline; filename=impact-{period.start}-to-{period.end}.pdf"
    return response


@bp.route("/reports/our-year", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def publish():
    report = _report_or_400()
    figures = publishing.publishable(report)
    form = figure_switches(PublishForm, [(f.key, f.label) for f in figures])()
    if form.validate_on_submit():
        keys = [f.key for f in figures if getattr(form, f"show_{f.key}").data]
        with unit_of_work(form) as work:
            publishing.publish(report, keys, form.text.data or "")
        if work.ok:
            flash("Published. Anyone can now read these figures at /our-year.", "success")
            return redirect(url_for("reports.our_year"))
    return render_template("reports/publish.html", form=form, report=report, figures=figures,
                           current=publishing.current(), withdraw_form=ButtonForm()), refused_status(form)


@bp.post("/reports/our-year/<int:summary_id>/withdraw")
@role_required(Role.ADMIN)
def withdraw(summary_id):
    summary = db.get_or_404(PublishedSummary, summary_id)
    if ButtonForm().validate_on_submit():
        with unit_of_work() as work:
            publishing.withdraw(summary)
        if work.ok:
            flash("Withdrawn: /our-year shows the previous publication, or nothing.", "success")
    return redirect(url_for("reports.publish"))


@bp.get("/our-year")
def our_year():
    summary = publishing.current()
    if summary is None:
        abort(404)
    return render_template("reports/our_year.html", summary=summary, figures=publishing.public_figures(summary))
