"""Patrol pages through the test client: the rota form, the shift page's reasons and buttons, the
lead's page (phones on the night only, agency boundaries), the night page's steps, the feed."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_certificates import issue, make_course
from tests.factories_equipment import make_item, make_place, stock
from volunteer_hub import clock
from volunteer_hub.models import (
    KitCount,
    MemberStatus,
    MovementKind,
    PatrolMember,
    PatrolShift,
    PatrolTally,
    Role,
    StockMovement,
    db,
    utcnow,
)
from volunteer_hub.services import equipment as equipment_service

pytestmark = pytest.mark.usefixtures("ledger_checked")


def _shift(starts_in=dt.timedelta(days=3), hours=5, **values) -> PatrolShift:
    start = utcnow() + starts_in
    shift = PatrolShift(title=values.pop("title", "Saturday patrol"), starts_at=start,
                        ends_at=start + dt.timedelta(hours=hours), **values)
    db.session.add(shift)
    db.session.commit()
    return shift


def _join(shift, user, **values) -> PatrolMember:
    member = PatrolMember(shift_id=shift.id, user_id=user.id, status=MemberStatus.JOINED, **values)
    db.session.add(member)
    db.session.commit()
    return member


def _vetted(*roles, **values):
    return make_user(*roles, **values) if "dbs" in values else _with_dbs(make_user(*roles, **values))


def _with_dbs(user):
    user.dbs_renew_by = clock.today() + dt.timedelta(days=400)
    db.session.commit()
    return user


def test_a_coordinator_adds_eight_weeks_of_friday_and_saturday_nights(client, coordinator):
    course = make_course("Bystander intervention")
    lead = _with_dbs(make_user(Role.VOLUNTEER, name="Lena Lead"))
    sign_in_as(client, coordinator)
    assert "Nights of the week" in client.get("/patrols/new").text
    monday = clock.today() + dt.timedelta(days=7 - clock.today().weekday())
    form = {"title": "Town centre patrol", "date": monday.isoformat(), "start_time": "22:00", "end_time": "03:00",
            "repeat": "y", "weekdays": ["4", "5"], "weeks": "8", "min_people": "2", "max_people": "6",
            "course_ids": [str(course.id)], "needs_dbs": "y", "lead_id": [str(lead.id)]}
    response = client.post("/patrols/new", data=form)
    assert response.status_code == 400  # the lead must hold what the shift asks of everyone on it
    assert "Lena Lead cannot lead this shift: Lena Lead needs a current Bystander intervention certificate" \
        in response.text
    assert db.session.scalar(select(func.count()).select_from(PatrolShift)) == 0
    issue(lead, course, clock.today())
    response = client.post("/patrols/new", data=form, follow_redirects=True)
    assert "16 shifts added to the rota" in response.text
    shifts = db.session.scalars(select(PatrolShift).order_by(PatrolShift.starts_at)).all()
    assert len(shifts) == 16 and {clock.to_local(s.starts_at).weekday() for s in shifts} == {4, 5}
    assert all(s.lead_id == lead.id and [c.id for c in s.courses] == [course.id] for s in shifts)
    assert len({s.series for s in shifts}) == 1
    assert db.session.scalar(select(func.count()).select_from(PatrolMember).where(PatrolMember.user_id == lead.id)) == 16


def test_the_form_refuses_a_time_the_clocks_skip_next_to_the_field(client, coordinator):
    sign_in_as(client, coordinator)
    with clock.freeze(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        response = client.post("/patrols/new", data={
            "title": "Late patrol", "date": "2026-03-28", "start_time": "22:00", "end_time": "01:30",
            "min_people": "2", "max_people": "6"})
    assert response.status_code == 400
    assert "01:30 does not exist on 29 March 2026" in response.text
    assert db.session.scalar(select(func.count()).select_from(PatrolShift)) == 0


def test_a_volunteer_without_the_certificate_sees_why_and_where_to_book(client, volunteer):
    course = make_course("Bystander intervention")
    shift = _shift()
    shift.courses = [course]
    db.session.commit()
    _with_dbs(volunteer)
    sign_in_as(client, volunteer)
    page = client.get(f"/patrols/{shift.id}").text
    assert "You need a current Bystander intervention certificate: book the course." in page
    assert f"/training/sessions?course={course.id}" in page
    assert "Join this shift" not in page
    response = client.post(f"/patrols/{shift.id}/join", follow_redirects=True)
    assert "You need a current Bystander intervention certificate" in response.text
    assert db.session.scalar(select(func.count()).select_from(PatrolMember)) == 0
    issue(volunteer, course, clock.today())
    response = client.post(f"/patrols/{shift.id}/join", follow_redirects=True)
    assert "You are on this shift" in response.text
    assert "Leave this shift" in response.text


def test_the_clock_change_night_says_how_long_the_shift_really_is(client, volunteer):
    with clock.freeze(dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)):
        start, end = clock.local_to_utc(dt.date(2026, 10, 24), dt.time(22)), clock.local_to_utc(dt.date(2026, 10, 25), dt.time(3))
        shift = PatrolShift(title="Clocks back", starts_at=start, ends_at=end)
        db.session.add(shift)
        db.session.commit()
        sign_in_as(client, volunteer)
        page = client.get(f"/patrols/{shift.id}").text
    assert "it lasts 6 hours, not the 5 hours the times suggest" in page


def test_the_lead_sees_phones_on_the_night_only_and_starts_the_shift(client):
    lead = _with_dbs(make_user(Role.VOLUNTEER, name="Lena Lead"))
    amy = make_user(Role.VOLUNTEER, name="Amy Able")
    amy.phone = "07700 900123"
    bob = make_user(Role.VOLUNTEER, name="Bob Brown")
    later = _shift(lead_id=lead.id)
    _join(later, amy)
    sign_in_as(client, lead)
    assert "07700 900123" not in client.get(f"/patrols/{later.id}/lead").text
    tonight = _shift(starts_in=dt.timedelta(minutes=20), lead_id=lead.id)
    a, b = _join(tonight, amy), _join(tonight, bob)
    page = client.get(f"/patrols/{tonight.id}/lead").text
    assert "07700 900123" in page
    response = client.post(f"/patrols/{tonight.id}/lead", data={"came": [str(a.id)]}, follow_redirects=True)
    assert "Register taken" in response.text and "Did not come" in response.text
    db.session.rollback()
    assert (db.session.get(PatrolMember, a.id).came, db.session.get(PatrolMember, b.id).came) == (True, False)
    sign_in_as(client, amy)  # not the lead
    assert client.get(f"/patrols/{tonight.id}/lead").status_code == 403


def test_a_limited_coordinator_sees_only_their_agencys_people_on_a_shift(client):
    a_org, b_org = make_org("Street Pastors A"), make_org("Ambassadors B")
    coordinator = make_user(Role.COORDINATOR, name="Coral Coordinator")
    coordinator.sees_all_agencies = False
    from volunteer_hub.models import CoordinatorAgency

    db.session.add(CoordinatorAgency(user_id=coordinator.id, organisation_id=a_org.id))
    shift = _shift()
    _join(shift, make_user(Role.VOLUNTEER, name="Alice Ours", organisation=a_org))
    theirs = _join(shift, make_user(Role.VOLUNTEER, name="Bernard Theirs", organisation=b_org))
    sign_in_as(client, coordinator)
    page = client.get(f"/patrols/{shift.id}").text
    assert "Alice Ours" in page and "Bernard Theirs" not in page
    assert "On this shift (2 of 6)" in page  # the count is everyone's
    assert client.post(f"/patrols/{shift.id}/members/{theirs.id}/check-out").status_code == 404


def test_the_night_page_counts_the_bag_out_records_a_hand_out_a_tally_counts_in_and_home_safe(client):
    alarm, cover = make_item("Personal alarm", plural="personal alarms"), make_item("Drink cover")
    place = make_place("Market Square")
    amy = make_user(Role.VOLUNTEER, name="Amy Able")
    bag = equipment_service.kit_bag_for(amy)
    stock(bag, alarm, 5)
    stock(bag, cover, 10)
    db.session.commit()
    shift = _shift(starts_in=dt.timedelta(minutes=-10), started_at=utcnow())
    member = _join(shift, amy, came=True)
    sign_in_as(client, amy)
    page = client.get(f"/patrols/{shift.id}/night").text
    assert "Count your kit bag out" in page and "what my bag holds" in page
    response = client.post(f"/patrols/{shift.id}/night/count/out",
                           data={f"count_{alarm.id}": "5", f"count_{cover.id}": "9"}, follow_redirects=True)
    assert "Your count differs from the records for Drink cover: say why" in response.text
    assert db.session.scalar(select(func.count()).select_from(KitCount)) == 0  # nothing half-written
    client.post(f"/patrols/{shift.id}/night/count/out",
                data={f"count_{alarm.id}": "5", f"count_{cover.id}": "9", "reason": "one torn"})
    page = client.get(f"/patrols/{shift.id}/night").text
    token = page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0] \
        if 'name="idempotency_key" type="hidden" value="' in page else ""
    response = client.post(f"/patrols/{shift.id}/night/hand-out", data={
        f"qty_{alarm.id}": "2", "place_id": str(place.id), "time_band": "night",
        "occurred_on": clock.local_date(shift.starts_at).isoformat(), "idempotency_key": token}, follow_redirects=True)
    assert "Recorded: 2 personal alarms handed out." in response.text
    client.post(f"/patrols/{shift.id}/night/tally", data={"kind": "welfare_assist"})
    client.post(f"/patrols/{shift.id}/night/tally", data={"kind": "welfare_assist"})
    assert db.session.scalar(select(PatrolTally.count).where(PatrolTally.shift_id == shift.id)) == 2
    assert "Finishing early? Count in now" in client.get(f"/patrols/{shift.id}/night").text  # not one tap away
    response = client.post(f"/patrols/{shift.id}/night/count/in", data={f"count_{alarm.id}": "2", f"count_{cover.id}": "9",
                                                               "reason": "one alarm given, not recorded"},
                           follow_redirects=True)
    assert "Kit bag counted back in." in response.text, response.text[response.text.find('alert'):][:400]
    page = client.get(f"/patrols/{shift.id}/night").text
    assert "Counted in" in page and "Your kit bag tonight" in page
    assert "Record hand-out" not in page
    response = client.post(f"/patrols/{shift.id}/night/hand-out", data={
        f"qty_{alarm.id}": "1", "place_id": str(place.id), "time_band": "night",
        "occurred_on": clock.local_date(shift.starts_at).isoformat()}, follow_redirects=True)
    assert "Your kit bag was counted back in: a hand-out now would not add up." in response.text
    db.session.rollback()
    tagged = db.session.scalars(select(StockMovement).where(StockMovement.patrol_shift_id == shift.id)).all()
    assert sorted(m.kind.value for m in tagged) == ["adjustment", "adjustment", "hand_out"]
    held = {b.item_id: b.quantity for b in equipment_service.balances_for(bag, only_held=False)}
    assert held == {alarm.id: 2, cover.id: 9}  # the ledger says what was counted in
    response = client.post(f"/patrols/{shift.id}/night/home-safe", follow_redirects=True)
    assert "You are checked out: home safe" in response.text
    assert db.session.get(PatrolMember, member.id).home_safe_at is not None


def test_someone_not_on_the_shift_gets_404_for_its_night_pages(client, volunteer):
    shift = _shift(starts_in=dt.timedelta(minutes=-10))
    sign_in_as(client, volunteer)
    assert client.get(f"/patrols/{shift.id}/night").status_code == 404
    assert client.post(f"/patrols/{shift.id}/night/home-safe").status_code == 404


def test_my_shifts_are_in_my_private_calendar_feed_in_their_own_uid_space(client, volunteer):
    from volunteer_hub.services.training import calendar_feed_token

    shift = _shift()
    member = _join(shift, volunteer)
    token = calendar_feed_token(volunteer)
    db.session.commit()
    body = client.get(f"/training/calendar/{token}.ics").text
    assert f"UID:patrol-{member.id}@volunteer-hub" in body and "SUMMARY:Patrol: Saturday patrol" in body


def test_the_year_on_patrol_in_the_impact_report_and_the_figures_page(client, coordinator):
    from volunteer_hub.models import ShiftStatus, TallyKind

    amy, bob = make_user(Role.VOLUNTEER, name="Amy Able"), make_user(Role.VOLUNTEER, name="Bob Brown")
    ran = _shift(starts_in=dt.timedelta(days=-10), hours=5)
    ran.started_at = ran.starts_at
    _join(ran, amy, came=True, home_safe_at=ran.ends_at + dt.timedelta(minutes=30))  # counted to the end: 5
    _join(ran, bob, came=True, home_safe_at=ran.ends_at - dt.timedelta(hours=1))  # went home early: 4
    _join(ran, make_user(Role.VOLUNTEER), came=False)
    db.session.add(PatrolTally(shift_id=ran.id, kind=TallyKind.WELFARE_ASSIST, count=3))
    short = _shift(starts_in=dt.timedelta(days=-3), status=ShiftStatus.CANCELLED, cancelled_for_too_few=True,
                   cancelled_at=utcnow(), cancel_reason="Only one person")
    db.session.add(short)
    db.session.commit()
    sign_in_as(client, coordinator)
    page = client.get("/patrols/figures").text
    figures = {"Patrol shifts run": "1", "Shifts cancelled for too few people": "1", "Volunteer hours on patrol": "9",
               "Interactions on patrol": "3"}
    for label, value in figures.items():
        assert f'<dt>{label}</dt>\n    <dd><span class="figure-now">{value}</span>' in page, label
    assert "2 different people patrolled in the period." in page
    report = client.get("/reports/impact").text
    assert "On patrol" in report and "Welfare assist" in report
    sign_in_as(client, amy)
    assert "<strong>5.0 hours</strong> on patrol over 1 shift" in client.get("/patrols").text


def test_the_subject_access_download_holds_my_patrols_and_emergency_contact(app, volunteer, tmp_path):
    import csv
    import io
    import json
    import zipfile

    from volunteer_hub.services.privacy.subject_access import write_zip

    volunteer.emergency_contact_name, volunteer.emergency_contact_phone = "Pat Parent", "07700 900999"
    shift = _shift(title="Friday patrol")
    _join(shift, volunteer)
    target = tmp_path / "me.zip"
    with open(target, "wb") as out:
        write_zip(volunteer, out, "Partnership")
    with zipfile.ZipFile(target) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("patrols.csv").decode("utf-8-sig"))))
        profile = json.loads(archive.read("profile.json"))
    assert [(r["shift"], r["your_status"]) for r in rows] == [("Friday patrol", "joined")]
    assert profile["emergency_contact_phone"] == "07700 900999"


@pytest.mark.parametrize(("values", "message"), [
    ({"max_people": "1"}, "At least 2 people: nobody patrols alone."),
    ({"min_people": "4", "max_people": "3"}, "The most people cannot be fewer than the fewest."),
    ({"weekdays": []}, "Choose at least one night of the week."),
    ({"date": "2020-01-03"}, "The shift must start in the future."),
    ({"date": "not a date"}, "Enter the date of the (first) night."),
    ({"weeks": "40"}, "Between 1 and 12 weeks."),
], ids=["min-1", "max-below-min", "no-nights", "past", "nonsense-date", "too-many-weeks"])
def test_the_rota_form_says_what_is_wrong_by_the_field_and_saves_nothing(client, coordinator, values, message):
    monday = clock.today() + dt.timedelta(days=7 - clock.today().weekday())
    form = {"title": "Patrol", "date": monday.isoformat(), "start_time": "22:00", "end_time": "03:00", "repeat": "y",
            "weekdays": ["4", "5"], "weeks": "8", "min_people": "2", "max_people": "6"}
    if values.get("max_people") == "1":
        values = {"min_people": "1"}
    form.update(values)
    sign_in_as(client, coordinator)
    response = client.post("/patrols/new", data=form)
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block' in response.text and message in response.text
    assert db.session.scalar(select(func.count()).select_from(PatrolShift)) == 0


def test_nonsense_on_the_night_is_refused_in_words_and_nothing_is_recorded(client):
    alarm, place = make_item("Personal alarm", plural="personal alarms"), make_place("Market Square")
    amy = make_user(Role.VOLUNTEER, name="Amy Able")
    bag = equipment_service.kit_bag_for(amy)
    stock(bag, alarm, 5)
    db.session.commit()
    shift = _shift(starts_in=dt.timedelta(minutes=-10), started_at=utcnow())
    _join(shift, amy, came=True)
    sign_in_as(client, amy)
    response = client.post(f"/patrols/{shift.id}/night/count/out", data={f"count_{alarm.id}": "lots"},
                           follow_redirects=True)
    assert "Personal alarm: enter how many you counted, 0 or more." in response.text
    assert db.session.scalar(select(func.count()).select_from(KitCount)) == 0
    client.post(f"/patrols/{shift.id}/night/count/out", data={f"count_{alarm.id}": "5"})
    night = {"place_id": str(place.id), "time_band": "night", "occurred_on": clock.local_date(shift.starts_at).isoformat()}
    response = client.post(f"/patrols/{shift.id}/night/hand-out", data={f"qty_{alarm.id}": "9", **night})
    assert response.status_code == 400  # the night page again, the message by the item's quantity
    assert f'id="qty_{alarm.id}-error"' in response.text and "Your kit bag holds 5 personal alarms" in response.text
    response = client.post(f"/patrols/{shift.id}/night/hand-out", data={f"qty_{alarm.id}": "two", **night})
    assert response.status_code == 400 and f'id="qty_{alarm.id}-error"' in response.text
    assert client.post(f"/patrols/{shift.id}/night/tally", data={"kind": "gossip"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.kind == MovementKind.HAND_OUT)) == 0
    assert db.session.scalar(select(func.count()).select_from(PatrolTally)) == 0


def test_a_register_with_nobody_ticked_or_a_cancel_without_a_reason_changes_nothing(client, coordinator):
    amy = make_user(Role.VOLUNTEER, name="Amy Able")
    tonight = _shift(starts_in=dt.timedelta(minutes=20))
    _join(tonight, amy)
    sign_in_as(client, coordinator)
    response = client.post(f"/patrols/{tonight.id}/lead", data={}, follow_redirects=True)
    assert "Tick the people who came (nobody patrols alone)." in response.text
    response = client.post(f"/patrols/{tonight.id}/cancel", data={"reason": ""}, follow_redirects=True)
    assert "Say why the shift is cancelled." in response.text
    db.session.rollback()
    shift = db.session.get(PatrolShift, tonight.id)
    assert shift.started_at is None and not shift.is_cancelled
