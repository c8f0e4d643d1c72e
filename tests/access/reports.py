"""Access rules for the impact report and the published summary."""
import datetime as dt


def _summary(ctx):
    from volunteer_hub.models import PublishedSummary, db

    if "published_summary" not in ctx:
        ctx["published_summary"] = PublishedSummary(period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 6, 30),
                                                    text="", figures=[])
        db.session.add(ctx["published_summary"])
        db.session.commit()
    return ctx["published_summary"].id


ACCESS = {
    "reports.impact": "staff",
    "reports.impact_csv": "staff",
    "reports.impact_pdf": "staff",
    "reports.publish": "admin",
    "reports.withdraw": "admin",
    "reports.our_year": "public",  # a 404 until something is published
}

PARAMS = {
    "summary_id": _summary,
}
