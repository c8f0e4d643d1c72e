"""Publishing the year's figures at /our-year: an admin picks headline figures from the impact
report; they are kept as they were (a snapshot), with a short text, and audited. The public page
never shows a count below PUBLIC_FLOOR: it says "fewer than 10", so nobody in a small group can be
picked out, and a change is not shown where either figure is that small."""
from __future__ import annotations

from sqlalchemy import select

from volunteer_hub import audit
from volunteer_hub.errors import ValidationFailed
from volunteer_hub.models import PublishedSummary, db, utcnow
from volunteer_hub.queries.impact_report import Figure, Report

PUBLIC_FLOOR = 10
FEWER = f"fewer than {PUBLIC_FLOOR}"


def publishable(report: Report) -> list[Figure]:
    """The headline figures an admin may publish: every section's, for the whole partnership."""
    return [f for section in report.sections for f in section.figures]


def publish(report: Report, keys: list[str], text: str) -> PublishedSummary:
    if report.scope.organisation_id is not None or report.scope.kind is not None:
        raise ValidationFailed("Publish the whole partnership's figures: choose every organisation.", "organisation")
    chosen = [f for f in publishable(report) if f.key in set(keys)]
    if not chosen:
        raise ValidationFailed("Choose at least one figure to publish.")
    summary = PublishedSummary(
        period_start=report.period.start, period_end=report.period.end, text=text.strip(),
        figures=[{"key": f.key, "label": f.label, "now": f.now, "before": f.before, "percent": f.percent}
                 for f in chosen])
    db.session.add(summary)
    audit.record("report.published", summary, facts={"figures": [f.key for f in chosen],
                                                     "period": [report.period.start, report.period.end]})
    return summary


def current() -> PublishedSummary | None:
    """What /our-year shows: the newest publication not withdrawn."""
    return db.session.scalar(select(PublishedSummary).where(PublishedSummary.withdrawn_at.is_(None))
                             .order_by(PublishedSummary.published_at.desc(), PublishedSummary.id.desc()).limit(1))


def withdraw(summary: PublishedSummary) -> None:
    if summary.withdrawn_at is None:
        summary.withdrawn_at = utcnow()
        audit.record("report.withdrawn", summary)


def public_figures(summary: PublishedSummary) -> list[dict]:
    """The figures as the public page writes them: small counts as "fewer than 10"."""
    out = []
    for item in summary.figures:
        figure = Figure(item["key"], item["label"], item["now"], item["before"], item.get("percent", False))
        small = not figure.percent and (figure.now < PUBLIC_FLOOR or (figure.before is not None
                                                                       and figure.before < PUBLIC_FLOOR))
        out.append({
            "label": figure.label,
            "value": FEWER if not figure.percent and figure.now < PUBLIC_FLOOR else figure.show(figure.now),
            "change": "" if small else figure.change,
        })
    return out
