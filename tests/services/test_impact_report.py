"""The impact report's figures against a small data set worked out by hand: the period's edges at
midnight in Europe/London (a session at 00:30 BST on 1 April is April's, although it is 31 March in
UTC), a session across the night the clocks go forward (its length is the real one), the previous
period of the same length, certificates held / issued / lapsed, hand-outs, and the CSV equal to
the tables."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.factories import make_org, make_user
from tests.factories_certificates import issue, make_course, make_session, mark
from tests.factories_equipment import make_item, make_place, make_store, stock
from volunteer_hub import clock
from volunteer_hub.models import AttendanceStatus, OrganisationKind, Role, SessionStatus, db
from volunteer_hub.queries.impact_report import Figure, Period, Scope, build, preset_period
from volunteer_hub.services import equipment

UTC = dt.UTC
MARCH_APRIL = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30))  # 61 days; the previous: 30 Dec 2025 to 28 Feb 2026


@pytest.fixture()
def frozen():
    with clock.freeze(dt.datetime(2026, 5, 15, 12, 0, tzinfo=UTC)):
        yield


def _session(course, starts_at: dt.datetime, hours: float, status=SessionStatus.SCHEDULED, **values):
    s = make_session(course, starts_at=starts_at, **values)
    s.ends_at, s.status = starts_at + dt.timedelta(hours=hours), status
    db.session.commit()
    return s


def _figures(report, section_id: str) -> dict[str, tuple]:
    section = next(s for s in report.sections if s.id == section_id)
    return {f.key: (f.now, f.before) for f in section.figures}


def _table(report, table_id: str):
    return next(t for _s, t in report.tables() if t.id == table_id)


def test_the_period_and_the_one_before_it():
    assert MARCH_APRIL.previous() == Period(dt.date(2025, 12, 30), dt.date(2026, 2, 28))
    assert MARCH_APRIL.starts_at == dt.datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # GMT
    assert MARCH_APRIL.ends_at == dt.datetime(2026, 4, 30, 23, 0, tzinfo=UTC)  # midnight BST
    today = dt.date(2026, 12, 5)
    assert preset_period("last12", today) == Period(dt.date(2025, 12, 6), today)
    assert preset_period("this_year", today) == Period(dt.date(2026, 1, 1), today)
    assert preset_period("last_year", today) == Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert preset_period("last_quarter", today) == Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30))


@pytest.mark.parametrize("now,before,percent,says", [
    (412, 349, False, "up 18%"),
    (40, 50, False, "down 20%"),
    (5, 0, False, "new"),
    (0, 0, False, "no change"),
    (7, 7, False, "no change"),
    (0.9, 0.85, True, "up 5 points"),
    (0.8, 0.81, True, "down 1 point"),
    (3, None, False, ""),
])
def test_the_change_on_the_previous_period(now, before, percent, says):
    assert Figure("x", "X", now, before, percent).change == says


def test_training_figures_by_hand(app, frozen):
    street, venue = make_org("Street Pastors", OrganisationKind.STREET_PASTORS), make_org("The Anchor",
                                                                                          OrganisationKind.LICENSED_VENUE)
    p1, p2 = make_user(name="Pat One", organisation=street), make_user(name="Pat Two", organisation=street)
    p3, p4 = make_user(name="Pat Three", organisation=venue), make_user(name="Pat Four")
    bystander, trauma = make_course("Bystander intervention"), make_course("Trauma-informed practice")
    # 00:30 GMT to 02:30 BST on the night the clocks go forward: one hour, not two.
    s1 = _session(bystander, dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC), 1)
    mark(s1, p1)
    mark(s1, p2, AttendanceStatus.LATE)
    mark(s1, p3, AttendanceStatus.ABSENT)
    s2 = _session(trauma, dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC), 2)  # 00:30 BST on 1 April: April's
    mark(s2, p1)
    mark(s2, p4, AttendanceStatus.LEFT_EARLY)
    s3 = _session(bystander, dt.datetime(2026, 2, 28, 23, 30, tzinfo=UTC), 2)  # 28 Feb (GMT): the period before
    mark(s3, p2)
    s4 = _session(bystander, dt.datetime(2026, 4, 30, 23, 30, tzinfo=UTC), 2)  # 00:30 BST on 1 May: after
    mark(s4, p3)
    s5 = _session(trauma, dt.datetime(2026, 4, 10, 10, 0, tzinfo=UTC), 2, finalised=False)  # register still open
    mark(s5, p3)
    s6 = _session(trauma, dt.datetime(2026, 4, 11, 10, 0, tzinfo=UTC), 2, status=SessionStatus.CANCELLED)
    mark(s6, p3)

    report = build(MARCH_APRIL, Scope())
    figures = _figures(report, "training")
    assert figures["sessions"] == (2, 1)
    assert figures["trained"] == (3, 1)  # Pat One (twice), Pat Two (late), Pat Four (left early); Pat Three was absent
    assert figures["attendance_rate"] == (0.8, 1.0)  # 4 of 5 marks; before, 1 of 1
    assert figures["no_show_rate"] == (0.2, 0.0)
    assert figures["hours"] == (6.0, 2.0)  # 1 h × 2 people + 2 h × 2 people
    assert _table(report, "training-courses").rows == [["Bystander intervention", 1, 2, 1],
                                                       ["Trauma-informed practice", 1, 2, 0]]
    assert report.trend == [("Mar 2026", 2, 0), ("Apr 2026", 2, 0)]
    assert report.summary.startswith("3 people trained, up 200% on the previous 61 days")

    by_organisation = build(MARCH_APRIL, Scope(organisation_id=street.id))
    assert _figures(by_organisation, "training")["trained"] == (2, 1)
    by_kind = build(MARCH_APRIL, Scope(kind=OrganisationKind.LICENSED_VENUE))
    assert _figures(by_kind, "training")["trained"] == (0, 0)
    assert _figures(by_kind, "training")["no_show_rate"] == (1.0, None)  # Pat Three's one mark; nothing before
    assert next(f for f in by_kind.sections[0].figures if f.key == "no_show_rate").change == ""


def test_certificate_figures_by_hand(app, frozen):
    course = make_course("Welfare and vulnerability", validity_months=24)
    p1, p2, p3 = make_user(), make_user(), make_user()
    with clock.freeze(dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)):
        issue(p1, course, dt.date(2024, 5, 1))  # expires 1 May 2026: held at both ends
    with clock.freeze(dt.datetime(2024, 3, 15, 12, 0, tzinfo=UTC)):
        issue(p2, course, dt.date(2024, 3, 15))  # expires 15 Mar 2026, not renewed: lapsed in the period
    with clock.freeze(dt.datetime(2024, 4, 10, 12, 0, tzinfo=UTC)):
        issue(p3, course, dt.date(2024, 4, 10))  # expires 10 Apr 2026 ...
    with clock.freeze(dt.datetime(2026, 4, 5, 12, 0, tzinfo=UTC)):
        issue(p3, course, dt.date(2026, 4, 5))  # ... renewed on 5 Apr 2026: not lapsed, issued in the period

    figures = _figures(build(MARCH_APRIL, Scope()), "certificates")
    assert figures["valid"] == (2, 3)  # end of April: Pat 1 and Pat 3; end of February: all three
    assert figures["issued"] == (1, 0)
    assert figures["lapsed"] == (1, 0)


def test_equipment_figures_by_hand(app, frozen):
    coordinator = make_user(Role.COORDINATOR)
    alarm, store, high_street = make_item("Personal alarm"), make_store("Central store"), make_place("High Street")
    bag = equipment.kit_bag_for(make_user())
    db.session.commit()
    stock(store, alarm, 100, by=coordinator)
    stock(bag, alarm, 20, by=coordinator)
    for day, quantity in ((dt.date(2026, 3, 10), 5), (dt.date(2026, 4, 30), 3), (dt.date(2026, 5, 1), 2),
                          (dt.date(2026, 2, 10), 4)):
        equipment.hand_out_stock(bag, {alarm: quantity}, by=coordinator, place=high_street, occurred_on=day)
    db.session.commit()

    report = build(MARCH_APRIL, Scope())
    figures = _figures(report, "equipment")
    assert figures["handed_out"] == (8, 4)
    assert figures["kit_bags"] == (1, 1)
    assert _table(report, "equipment-places").rows == [["High Street", 8]]
    assert report.trend == [("Mar 2026", 0, 5), ("Apr 2026", 0, 3)]
    today = Period(dt.date(2026, 5, 1), clock.today())
    assert _figures(build(today, Scope()), "equipment")["stock"] == (100 + 20 - 14, None)  # what the ledger holds now


def test_the_csv_has_every_table_with_the_page_figures(app, client, frozen):
    from tests.factories import sign_in_as

    course = make_course("Bystander intervention")
    person = make_user()
    mark(_session(course, dt.datetime(2026, 4, 2, 18, 0, tzinfo=UTC), 2), person)
    sign_in_as(client, make_user(Role.COORDINATOR))
    query = "period=custom&date_from=2026-03-01&date_to=2026-04-30"
    response = client.get(f"/reports/impact.csv?{query}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    report = build(MARCH_APRIL, Scope())
    expected = [(table.title, str(row[0]), column, str(value))
                for _section, table in report.tables() for row in table.rows
                for column, value in zip(table.head[1:], row[1:], strict=True)]
    assert [(r["table"], r["row"], r["column"], r["value"]) for r in rows] == expected
    assert ("Training: headline figures", "People trained", "This period", "1") in expected
    page = client.get(f"/reports/impact?{query}").get_data(as_text=True)
    assert "1 person trained (new on the previous 61 days); 0 items handed out." in page


def test_required_training_by_venue_and_the_fully_compliant_ones(app, frozen):
    from tests.factories_certificates import require

    course = make_course("Ask for Angela", validity_months=12)
    require(course, kind=OrganisationKind.LICENSED_VENUE)
    anchor, crown = make_org("The Anchor", OrganisationKind.LICENSED_VENUE), make_org("The Crown",
                                                                                      OrganisationKind.LICENSED_VENUE)
    with clock.freeze(dt.datetime(2025, 1, 1, 12, 0, tzinfo=UTC)):  # accounts open before the period's end
        held, lapsed, alone = make_user(organisation=anchor), make_user(organisation=anchor), make_user(organisation=crown)
    make_user(organisation=crown)  # joined after the period: not counted
    with clock.freeze(dt.datetime(2025, 9, 1, 12, 0, tzinfo=UTC)):
        issue(held, course, dt.date(2025, 9, 1))  # valid until 1 Sep 2026
        issue(alone, course, dt.date(2025, 9, 1))
    with clock.freeze(dt.datetime(2025, 3, 1, 12, 0, tzinfo=UTC)):
        issue(lapsed, course, dt.date(2025, 3, 1))  # expired 1 Mar 2026, before the period's end
    make_user(organisation=make_org("Street Pastors", OrganisationKind.STREET_PASTORS))  # no requirement

    report = build(MARCH_APRIL, Scope())
    assert _table(report, "certificates-venues").rows == [["The Anchor", 2, 1, "50%"], ["The Crown", 1, 1, "100%"]]
    assert _table(report, "certificates-organisations").rows == []
    assert _figures(report, "certificates")["compliance"] == (1, None)


def test_people_waiting_at_the_end_of_each_period(app, frozen):
    from tests.factories_training import make_booking
    from volunteer_hub.models import BookingStatus

    course = make_course("Bystander intervention")
    may = _session(course, dt.datetime(2026, 5, 20, 18, 0, tzinfo=UTC), 2, finalised=False)
    waiting, booked, promoted = make_user(), make_user(), make_user()
    with clock.freeze(dt.datetime(2026, 4, 20, 12, 0, tzinfo=UTC)):
        make_booking(may, waiting, BookingStatus.WAITLISTED)  # still waiting
        make_booking(may, booked)  # had a place
        late = make_booking(may, promoted, BookingStatus.WAITLISTED)
    late.status, late.confirmed_at = BookingStatus.CONFIRMED, dt.datetime(2026, 5, 2, 9, 0, tzinfo=UTC)  # after the end
    db.session.commit()

    assert _figures(build(MARCH_APRIL, Scope()), "training")["waiting"] == (2, 0)
