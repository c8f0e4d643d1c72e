"""The hand-out report: by month and by place, with charts and a CSV."""
import datetime as dt
from collections import defaultdict

from flask import render_template, request

from volunteer_hub import clock
from volunteer_hub.blueprints.equipment import bp
from volunteer_hub.blueprints.equipment import forms as f
from volunteer_hub.blueprints.equipment.chart import bar_chart
from volunteer_hub.csvfiles import csv_response
from volunteer_hub.exports import export_limit
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.security import (
    STAFF,
    role_required,
)
from volunteer_hub.services import equipment as svc
from volunteer_hub.services import people as people_service


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
@export_limit
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

