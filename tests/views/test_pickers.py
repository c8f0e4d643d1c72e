"""Searchable pickers instead of a list of everyone: the issue form shows at most 20 people, finds
by name or email keeping every value entered and the people ticked, and the suggestions endpoint
answers only with people the viewer may see."""
from tests.factories import make_org, make_user
from tests.factories_equipment import make_item, make_store
from volunteer_hub.models import Role


def _crowd(n: int, org=None) -> list:
    return [make_user(name=f"Volunteer {i:03d}", organisation=org) for i in range(n)]


def test_the_issue_form_lists_twenty_people_and_says_there_are_more(page):
    _crowd(30)
    page.sign_in(make_user(Role.COORDINATOR, name="Zoe Coordinator"))
    form = page.get("/equipment/issue")
    boxes = form.select("[data-picker-matches] input[name=volunteer_ids]")
    assert len(boxes) == 20
    assert "More people match" in form.one("#volunteer_ids [data-picker-more]").get_text()
    assert not form.one("#volunteer_ids [data-picker-more]").has_attr("hidden")


def test_venues_are_picked_the_same_way_and_stock_reaches_the_ticked_ones(page):
    from sqlalchemy import select

    from volunteer_hub.models import Holder, StockBalance, db

    venues = [make_org(f"The Venue {i:02d}") for i in range(25)]
    make_org("The Crown and Anchor")
    store, alarm = make_store("Central store"), make_item("Personal alarm")
    from tests.factories_equipment import stock

    coordinator = make_user(Role.COORDINATOR)
    stock(store, alarm, 50, by=coordinator)
    page.sign_in(coordinator)
    form = page.get("/equipment/issue")
    assert len(form.select("#organisation_ids [data-picker-matches] input[name=organisation_ids]")) == 20
    assert not form.one("#organisation_ids [data-picker-more]").has_attr("hidden")
    found = page.get(f"/equipment/issue?find=organisation_ids&venues_q=crown&organisation_ids={venues[24].id}")
    assert [b.find_next("label").get_text() for b in found.select("#organisation_ids input[name=organisation_ids]")] == [
        "The Venue 24", "The Crown and Anchor"]
    assert "No venue matches “zzz”." in page.get("/equipment/issue?find=organisation_ids&venues_q=zzz").text
    assert page.client.get("/equipment/venues/suggest?q=crown").get_json() == {
        "matches": [{"id": venues[-1].id + 1, "label": "The Crown and Anchor"}], "more": False}
    page.post("/equipment/issue", {"from_holder_id": str(store.id), "item_id": str(alarm.id), "quantity": "2",
                                   "organisation_ids": str(venues[24].id), "idempotency_key": "b" * 32}, status=302)
    held = db.session.scalar(select(StockBalance.quantity).join(Holder, Holder.id == StockBalance.holder_id)
                             .where(Holder.organisation_id == venues[24].id))
    assert held == 2
    page.sign_in(make_user(Role.VOLUNTEER))
    assert page.client.get("/equipment/venues/suggest?q=crown").status_code == 403


def test_find_keeps_what_was_entered_and_who_was_ticked(page):
    crowd = _crowd(25)
    zed = make_user(name="Zed Quickfind", email="zed.q@example.org")
    store, alarm = make_store("Central store"), make_item("Personal alarm")
    page.sign_in(make_user(Role.COORDINATOR))
    found = page.get(f"/equipment/issue?find=volunteer_ids&people_q=quickfind&from_holder_id={store.id}"
                     f"&item_id={alarm.id}&quantity=7&volunteer_ids={crowd[3].id}&idempotency_key={'a' * 32}")
    assert found.one("#quantity")["value"] == "7"
    ticked = found.select("[data-picker-ticked] input:checked")
    assert [b["value"] for b in ticked] == [str(crowd[3].id)]
    assert [b["value"] for b in found.select("[data-picker-matches] input")] == [str(zed.id)]
    by_email = page.get("/equipment/issue?find=volunteer_ids&people_q=zed.q%40example")
    assert [b["value"] for b in by_email.select("[data-picker-matches] input")] == [str(zed.id)]
    nobody = page.get("/equipment/issue?find=volunteer_ids&people_q=nobody-like-this")
    assert "No one matches “nobody-like-this”." in nobody.text


def test_suggestions_are_only_people_the_viewer_may_see(page, client):
    agency, other = make_org("Agency A"), make_org("Agency B")
    mine, theirs = make_user(name="Ann Picker", organisation=agency), make_user(name="Ann Hidden", organisation=other)
    make_user(name="Ann Gone", organisation=agency, active=False)
    page.sign_in(make_user(Role.COORDINATOR, agencies=[agency]))
    answer = page.client.get("/people/suggest?q=ann").get_json()
    assert answer == {"people": [{"id": mine.id, "label": "Ann Picker (Agency A)"}], "more": False}
    # a ticked id of someone outside the agencies is not shown back either
    form = page.get(f"/equipment/issue?find=volunteer_ids&people_q=&volunteer_ids={theirs.id}")
    assert "Ann Hidden" not in form.text
    page.sign_in(make_user(Role.VOLUNTEER))
    assert page.client.get("/people/suggest?q=ann").status_code == 403


def test_suggestions_stop_at_twenty(page):
    _crowd(30)
    page.sign_in(make_user(Role.COORDINATOR))
    answer = page.client.get("/people/suggest?q=volunteer").get_json()
    assert len(answer["people"]) == 20 and answer["more"] is True


def test_a_radio_is_checked_out_to_someone_found_with_the_picker(page):
    from tests.factories_equipment import make_asset

    _crowd(25)
    rita = make_user(name="Rita Radio")
    radio = make_asset("RAD-42")
    page.sign_in(make_user(Role.COORDINATOR))
    assets = page.get("/equipment/assets")
    assert "Volunteer 001" not in assets.text  # no list of everyone beside each radio
    assert f"/equipment/assets/{radio.id}/check-out" in assets.links().values()
    found = page.get(f"/equipment/assets/{radio.id}/check-out?find=user_id&people_q=rita&due_on=2030-01-01")
    assert [b["value"] for b in found.select("[data-picker-matches] input[type=radio]")] == [str(rita.id)]
    assert found.one("#due_on")["value"] == "2030-01-01"
    refused = page.post(f"/equipment/assets/{radio.id}/check-out", {"due_on": "2030-01-01"}, status=400)
    assert "Choose who takes it." in refused.field_error("user_id")
    done = page.post(f"/equipment/assets/{radio.id}/check-out", {"user_id": str(rita.id), "due_on": "2030-01-01"},
                     status=302)
    assert done.location == "/equipment/assets"
    assert "RAD-42 checked out to Rita Radio" in page.follow(done).text


def test_a_venue_closed_since_the_form_was_filled_in_is_refused_by_its_field(page):
    from sqlalchemy import func, select

    from tests.factories_equipment import stock
    from volunteer_hub.models import StockMovement, db, utcnow

    open_venue, closed = make_org("The Open Door"), make_org("The Closed Shop")
    closed.retired_at = utcnow()
    db.session.commit()
    store, alarm = make_store("Central store"), make_item("Personal alarm")
    coordinator = make_user(Role.COORDINATOR)
    stock(store, alarm, 50, by=coordinator)
    moved = db.session.scalar(select(func.count()).select_from(StockMovement))
    page.sign_in(coordinator)
    for venue_id in (closed.id, 987654):
        refused = page.post("/equipment/issue", {"from_holder_id": str(store.id), "item_id": str(alarm.id), "quantity": "2",
                                                 "organisation_ids": [str(open_venue.id), str(venue_id)],
                                                 "idempotency_key": "c" * 32}, status=400)
        assert "A venue you ticked has closed or no longer exists" in refused.one("#organisation_ids-error").get_text()
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == moved
