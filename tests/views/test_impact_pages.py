"""The impact report and /our-year as their users see them: unusable dates are refused next to the
field; an admin publishes chosen figures with a text, a signed-out visitor reads them with small
counts shown as "fewer than 10"; unpublished or withdrawn means 404; only admins publish."""
import datetime as dt

from sqlalchemy import select

from tests.factories import make_org, make_user
from tests.factories_certificates import make_course, make_session, mark
from volunteer_hub import clock
from volunteer_hub.models import AuditEntry, PublishedSummary, Role, db

UTC = dt.UTC
QUERY = "period=custom&date_from=2026-03-01&date_to=2026-04-30"


def _trained(people: int) -> None:
    course = make_course("Bystander intervention")
    session = make_session(course, starts_at=dt.datetime(2026, 4, 2, 18, 0, tzinfo=UTC))
    for _ in range(people):
        mark(session, make_user())


def test_dates_that_cannot_be_used_are_refused_next_to_the_field(page):
    page.sign_in(make_user(Role.COORDINATOR))
    both = page.get("/reports/impact?period=custom&date_from=2026-05-01", status=400)
    assert "Enter both dates, or choose a period." in both.field_error("date_from")
    backwards = page.get("/reports/impact?period=custom&date_from=2026-05-01&date_to=2026-04-01", status=400)
    assert "The end date must be on or after the start date." in backwards.field_error("date_to")
    assert page.get("/reports/impact?period=custom&date_from=nonsense&date_to=2026-04-01", status=400).error_summary


def test_an_organisation_that_is_not_in_the_list_is_refused_next_to_the_field(page):
    page.sign_in(make_user(Role.COORDINATOR))
    for value in ("999999", "abc"):
        refused = page.get(f"/reports/impact?{QUERY}&organisation={value}", status=400)
        assert "Choose an organisation from the list." in refused.field_error("organisation")
        assert page.client.get(f"/reports/impact.csv?{QUERY}&organisation={value}").status_code == 400
    assert page.get(f"/reports/impact?{QUERY}&organisation=").h1.endswith("the whole partnership")


def test_the_report_shows_the_period_the_filter_and_the_definitions(page):
    with clock.freeze(dt.datetime(2026, 5, 15, 12, 0, tzinfo=UTC)):
        _trained(3)
        org = make_org("Town Ambassadors")
        page.sign_in(make_user(Role.COORDINATOR))
        report = page.get(f"/reports/impact?{QUERY}")
        assert report.h1.startswith("Impact report")
        assert "Sunday 1 March 2026 to Thursday 30 April 2026, the whole partnership" in report.h1
        assert report.one("#summary").get_text(strip=True).startswith("3 people trained")
        assert "How these figures are counted" in report.text
        assert report.select("svg.line-chart") and report.select("#training-courses")
        filtered = page.get(f"/reports/impact?{QUERY}&organisation={org.id}")
        assert "Town Ambassadors" in filtered.h1
        assert filtered.one("#summary").get_text(strip=True).startswith("0 people trained")
        pdf = page.client.get(f"/reports/impact.pdf?{QUERY}")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_an_admin_publishes_and_anyone_reads_our_year(page, client):
    assert client.get("/our-year").status_code == 404  # nothing published
    with clock.freeze(dt.datetime(2026, 5, 15, 12, 0, tzinfo=UTC)):
        _trained(12)
        page.sign_in(make_user(Role.ADMIN))
        form = page.get(f"/reports/our-year?{QUERY}")
        assert "People trained: 12" in form.text
        refused = page.post(f"/reports/our-year?{QUERY}", {"text": "A good year."}, status=400)
        assert "Choose at least one figure to publish." in refused.error_summary[0]
        done = page.post(f"/reports/our-year?{QUERY}", {"text": "A good year.\nThank you all.", "show_trained": "y",
                                                        "show_sessions": "y"}, status=302)
        assert done.location == "/our-year"
    page.client.post("/auth/sign-out")

    public = page.get("/our-year")
    assert public.h1 == "Our year"
    assert "A good year." in public.text and "Thank you all." in public.text
    figures = dict(zip(public.texts(".headline-figure dt"), public.texts(".headline-figure .figure-now"), strict=True))
    assert figures == {"Sessions delivered": "fewer than 10", "People trained": "12"}
    assert "Pat" not in public.text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.published"))
    assert entry.changes["figures"] == ["sessions", "trained"]


def test_withdrawn_means_404_and_only_admins_publish(page, client):
    page.sign_in(make_user(Role.COORDINATOR))
    assert page.client.get(f"/reports/our-year?{QUERY}").status_code == 403
    summary = PublishedSummary(period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 6, 30), text="",
                               figures=[{"key": "trained", "label": "People trained", "now": 40, "before": 30,
                                         "percent": False}])
    db.session.add(summary)
    db.session.commit()
    assert "up 33% on the year before" in client.get("/our-year").get_data(as_text=True)
    page.sign_in(make_user(Role.ADMIN))
    page.post(f"/reports/our-year/{summary.id}/withdraw", status=302)
    assert client.get("/our-year").status_code == 404
