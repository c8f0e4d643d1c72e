"""Equipment pages, through the test client: what volunteers and coordinators see and do."""
import re

import pytest
from sqlalchemy import func, select

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_equipment import make_asset, make_item, make_place, make_store, stock
from volunteer_hub import clock
from volunteer_hub.models import AssetLoan, MovementKind, Role, StockBalance, StockMovement, db
from volunteer_hub.services import equipment as svc

pytestmark = pytest.mark.usefixtures("ledger_checked")
KEY = "0123456789abcdef0123456789abcdef"


def held(holder, item) -> int:
    db.session.rollback()
    return db.session.scalar(select(StockBalance.quantity).where(
        StockBalance.holder_id == holder.id, StockBalance.item_id == item.id)) or 0


def movements(kind=None) -> int:
    stmt = select(func.count()).select_from(StockMovement)
    if kind:
        stmt = stmt.where(StockMovement.kind == kind)
    return db.session.scalar(stmt)


@pytest.fixture()
def alarm(app):
    return make_item("Personal alarm", plural="personal alarms")


@pytest.fixture()
def bag_with_alarms(volunteer, alarm):
    bag = svc.kit_bag_for(volunteer)
    stock(bag, alarm, 10)
    return bag


def test_an_empty_kit_bag_says_so_and_hand_out_explains(client, volunteer):
    sign_in_as(client, volunteer)
    assert "Your kit bag is empty" in client.get("/equipment/kit-bag").text
    response = client.get("/equipment/kit-bag/hand-out", follow_redirects=True)
    assert "a coordinator issues stock to it" in response.text


def test_my_kit_bag_shows_what_i_hold_and_the_dashboard_panel_too(client, volunteer, bag_with_alarms):
    sign_in_as(client, volunteer)
    page = client.get("/equipment/kit-bag").text
    assert "Personal alarm" in page and 'aria-label="10 personal alarms"' in page
    home = client.get("/home").text
    assert "My kit bag" in home and "personal alarms" in home
    assert 'href="/equipment/kit-bag"' in home  # the nav item


def test_a_hand_out_is_recorded_once_and_shows_what_is_left(client, volunteer, bag_with_alarms, alarm):
    place = make_place("High Street")
    sign_in_as(client, volunteer)
    form = client.get("/equipment/kit-bag/hand-out").text
    assert 'data-step="1"' in form and 'type="number"' in form  # + / − and a plain number input
    data = {f"qty_{alarm.id}": "3", "place_id": place.id, "occurred_on": clock.today().isoformat(),
            "time_band": "late_evening", "idempotency_key": KEY}
    response = client.post("/equipment/kit-bag/hand-out", data=data, follow_redirects=True)
    assert "Recorded: 3 personal alarms handed out" in response.text
    assert "<strong>7</strong> personal alarms" in response.text  # left in the bag
    assert re.search(rf'value="{place.id}"\s+autocomplete="off" checked', response.text)  # starts at the same place
    again = client.post("/equipment/kit-bag/hand-out", data=data, follow_redirects=True)
    assert "recorded once" in again.text
    assert movements(MovementKind.HAND_OUT) == 1
    assert held(bag_with_alarms, alarm) == 7


def test_handing_out_more_than_held_is_refused_by_the_field(client, volunteer, bag_with_alarms, alarm):
    sign_in_as(client, volunteer)
    response = client.post("/equipment/kit-bag/hand-out", data={
        f"qty_{alarm.id}": "11", "place_text": "Bus station", "occurred_on": clock.today().isoformat(),
        "time_band": "night", "idempotency_key": KEY})
    assert response.status_code == 400
    assert f'id="qty_{alarm.id}-error"' in response.text
    assert "Your kit bag holds 10 personal alarms; you asked for 11." in response.text
    assert held(bag_with_alarms, alarm) == 10


def test_a_hand_out_without_a_place_is_refused(client, volunteer, bag_with_alarms, alarm):
    sign_in_as(client, volunteer)
    response = client.post("/equipment/kit-bag/hand-out", data={
        f"qty_{alarm.id}": "1", "occurred_on": clock.today().isoformat(), "time_band": "night",
        "idempotency_key": KEY})
    assert response.status_code == 400 and "Choose the place" in response.text


def test_coordinator_receives_and_issues_20_each_to_6_ambassadors(client, coordinator, alarm):
    store = make_store("Central store")
    ambassadors = [make_user(name=f"Ambassador {n}") for n in range(6)]
    sign_in_as(client, coordinator)
    response = client.post("/equipment/receive", data={
        "store_id": store.id, "item_id": alarm.id, "quantity": "150", "supplier": "SafeNight",
        "batch": "B7", "use_by": "2028-06-30", "idempotency_key": KEY}, follow_redirects=True)
    assert "Received 150 personal alarms into Central store." in response.text
    response = client.post("/equipment/issue", data={
        "from_holder_id": store.id, "item_id": alarm.id, "quantity": "20",
        "volunteer_ids": [a.id for a in ambassadors], "idempotency_key": "f" * 32}, follow_redirects=True)
    assert "Issued 20 personal alarms to each of 6" in response.text
    assert held(store, alarm) == 30
    assert all(held(svc.find_kit_bag(a), alarm) == 20 for a in ambassadors)


def test_issuing_more_than_the_store_holds_shows_the_message(client, coordinator, alarm):
    store = make_store("Central store")
    stock(store, alarm, 3)
    sign_in_as(client, coordinator)
    response = client.post("/equipment/issue", data={
        "from_holder_id": store.id, "item_id": alarm.id, "quantity": "5",
        "volunteer_ids": [make_user().id], "idempotency_key": KEY})
    assert response.status_code == 400
    assert "Central store holds 3 personal alarms; you asked for 5." in response.text


@pytest.mark.parametrize("quantity", ["0", "-4", "lots"])
def test_bad_quantities_are_refused_with_a_message(client, coordinator, alarm, quantity):
    store = make_store()
    sign_in_as(client, coordinator)
    response = client.post("/equipment/receive", data={
        "store_id": store.id, "item_id": alarm.id, "quantity": quantity, "idempotency_key": KEY})
    assert response.status_code == 400
    assert "quantity" in response.text.lower()
    assert movements() == 0


def test_an_issue_to_a_venue_and_a_return_to_the_store(client, coordinator, alarm):
    store = make_store("Central store")
    venue = make_org("The Red Lion")
    stock(store, alarm, 30)
    sign_in_as(client, coordinator)
    client.post("/equipment/issue", data={"from_holder_id": store.id, "item_id": alarm.id, "quantity": "10",
                                          "organisation_ids": [venue.id], "idempotency_key": KEY})
    venue_holder = svc.holder_for_organisation(venue)
    assert held(venue_holder, alarm) == 10
    response = client.post("/equipment/issue", data={
        "from_holder_id": venue_holder.id, "item_id": alarm.id, "quantity": "4", "to_store_id": store.id,
        "idempotency_key": "e" * 32}, follow_redirects=True)
    assert "Issued 4 personal alarms to each of 1 (Central store)" in response.text
    assert (held(store, alarm), held(venue_holder, alarm)) == (24, 6)


def test_stock_pages_show_by_holder_and_by_item(client, coordinator, bag_with_alarms, volunteer):
    sign_in_as(client, coordinator)
    by_holder = client.get("/equipment/stock").text
    assert f"{volunteer.name}&#39;s kit bag" in by_holder
    assert client.get("/equipment/stock?by=item").status_code == 200
    holder_page = client.get(f"/equipment/holders/{bag_with_alarms.id}").text
    assert "Record a hand-out" in holder_page and "Stocktake" in holder_page
    assert client.get(f"/equipment/kit-bags/{volunteer.id}").headers["Location"].endswith(
        f"/equipment/holders/{bag_with_alarms.id}")


def test_stock_by_holder_pages_through_stores_then_venues_then_kit_bags_by_name(app, client, coordinator, alarm):
    app.config["VH_PAGE_SIZE"] = 2
    store = make_store("Central store")
    stock(store, alarm, 100)
    venues = [svc.holder_for_organisation(make_org(name)) for name in ("The Swan", "Red Lion")]
    bags = [svc.kit_bag_for(make_user(name=name)) for name in ("zoe Young", "Adam Ant", "Mo Khan")]
    for holder in venues + bags:
        svc.issue_stock(store, alarm, [holder], 5, by=coordinator)
    empty = svc.kit_bag_for(make_user(name="Bea Empty"))
    svc.issue_stock(store, alarm, [empty], 5, by=coordinator)
    svc.issue_stock(empty, alarm, [store], 5, by=coordinator)  # back to the store: holds nothing now
    db.session.commit()
    sign_in_as(client, coordinator)
    pages = [client.get(f"/equipment/stock?page={page}").text for page in (1, 2, 3, 4)]
    names = [re.findall(r'<h2 class="h5 card-title" id="holder-\d+"><a [^>]+>([^<]+)</a>', page) for page in pages]
    assert names == [["Central store", "Red Lion"], ["The Swan", "Adam Ant&#39;s kit bag"],
                     ["Mo Khan&#39;s kit bag", "zoe Young&#39;s kit bag"], []]
    assert "page=3" in pages[0] and "page=4" not in pages[0]  # three pages of holders that hold something


def test_the_dashboard_panel_counts_each_item_and_the_loans(client, volunteer, coordinator, bag_with_alarms):
    scrunchie = make_item("Anti-spike scrunchie", plural="anti-spike scrunchies")
    stock(bag_with_alarms, scrunchie, 1)
    radios = [make_asset() for _ in range(3)]
    for radio in radios:
        svc.check_out_asset(radio, volunteer, clock.today(), by=coordinator)
    svc.check_in_asset(radios[0], by=coordinator)  # back: no longer counted
    db.session.commit()
    sign_in_as(client, volunteer)
    home = client.get("/home").text
    assert ("<li><strong>1</strong> anti-spike scrunchie</li><li><strong>10</strong> personal alarms</li>"
            in home)
    assert "You have 2 items on loan." in home
    svc.check_in_asset(radios[1], by=coordinator)
    db.session.commit()
    assert "You have 1 item on loan." in client.get("/home").text


def test_stock_page_warns_of_each_low_store_and_lists_every_store(client, coordinator):
    alarm = make_item("Personal alarm", low_stock_level=10, plural="personal alarms")
    scrunchie = make_item("Scrunchie", low_stock_level=5, plural="scrunchies")
    make_item("Torch", low_stock_level=100, plural="torches")  # in no store: never low
    central, north, empty = make_store("Central store"), make_store("North depot <b>"), make_store("Annex")
    stock(central, alarm, 3)
    stock(north, alarm, 1)
    stock(north, scrunchie, 50)  # above its level: not mentioned
    db.session.commit()
    sign_in_as(client, coordinator)
    page = client.get("/equipment/stock").text
    assert ("<strong>Low stock:</strong>\n    Central store holds 3 personal alarms; "
            "North depot &lt;b&gt; holds 1 personal alarm.") in page
    assert "scrunchies" not in page.split("Low stock:")[1].split("</div>")[0]
    stores = page.split('id="stores-title">Stores</h2>')[1].split("</p>")[0]
    assert stores == (f'\n  <p><a href="/equipment/holders/{empty.id}">Annex</a>, '
                      f'<a href="/equipment/holders/{central.id}">Central store</a>, '
                      f'<a href="/equipment/holders/{north.id}">North depot &lt;b&gt;</a>')
    cards = re.findall(r'<h2 class="h5 card-title" id="holder-(\d+)"><a href="([^"]+)">([^<]+)</a></h2>\s*'
                       r'<p class="small text-body-secondary mb-2">([^<]+)</p>', page)
    assert cards == [(str(central.id), f"/equipment/holders/{central.id}", "Central store", "Store"),
                     (str(north.id), f"/equipment/holders/{north.id}", "North depot &lt;b&gt;", "Store")]
    assert "<tr><td>Personal alarm</td><td class=\"text-end fw-semibold\">1</td></tr>" \
           "<tr><td>Scrunchie</td><td class=\"text-end fw-semibold\">50</td></tr>" in page


def test_stocktake_write_off_and_reverse_from_the_pages(client, coordinator, alarm):
    store = make_store("Central store")
    stock(store, alarm, 20)
    sign_in_as(client, coordinator)
    response = client.post(f"/equipment/holders/{store.id}/stocktake", data={
        f"count_{alarm.id}": "18", "reason": "Monthly count", "idempotency_key": KEY}, follow_redirects=True)
    assert "Stocktake recorded: −2 personal alarms." in response.text
    response = client.post(f"/equipment/holders/{store.id}/write-off", data={
        "item_id": alarm.id, "quantity": "3", "reason": "Expired", "idempotency_key": "1" * 32},
        follow_redirects=True)
    assert "Wrote off 3 personal alarms" in response.text
    write_off = db.session.scalar(select(StockMovement).where(StockMovement.kind == MovementKind.WRITE_OFF))
    response = client.post(f"/equipment/movements/{write_off.id}", data={
        "reason": "Found them", "idempotency_key": "2" * 32}, follow_redirects=True)
    assert f"Movement {write_off.id} reversed" in response.text
    assert held(store, alarm) == 18
    page = client.get(f"/equipment/movements/{write_off.id}").text
    assert "Reversed by" in page and "Reverse it" not in page


def test_history_filters_and_csv(client, coordinator, alarm, bag_with_alarms, volunteer):
    svc.hand_out_stock(bag_with_alarms, {alarm: 2}, by=volunteer, place_text="=cmd|' /C calc'!A0")
    db.session.commit()
    sign_in_as(client, coordinator)
    page = client.get(f"/equipment/movements?kind=hand_out&holder={bag_with_alarms.id}").text
    assert "1 movement<" in page
    assert "3 movements" in client.get("/equipment/movements").text
    assert "0 movements" in client.get("/equipment/movements?date_to=2000-01-01").text
    assert client.get("/equipment/movements?item=999999&kind=nonsense&date_from=bad").status_code == 200
    csv = client.get("/equipment/movements.csv?kind=hand_out").text.splitlines()
    assert csv[0].startswith("id,recorded_at,occurred_on,kind,item,quantity")
    assert len(csv) == 2 and "'=cmd" in csv[1]  # a formula is never run by a spreadsheet
    assert volunteer.email not in "\n".join(csv)


def test_report_has_a_chart_and_the_same_figures_in_a_table(client, coordinator, alarm, bag_with_alarms, volunteer):
    high_street = make_place("High Street")
    svc.hand_out_stock(bag_with_alarms, {alarm: 4}, by=volunteer, place=high_street)
    svc.hand_out_stock(bag_with_alarms, {alarm: 2}, by=volunteer, place_text="Market Square")
    db.session.commit()
    sign_in_as(client, coordinator)
    page = client.get("/equipment/report").text
    assert "<svg" in page and "<title id=\"chart-month-title\">" in page and "<desc" in page
    assert "High Street: 4" in page and "Market Square: 2" in page  # the chart's description
    assert re.search(r"<th scope=\"row\">High Street</th><td>4</td>", page)
    assert " style=" not in page and "<style" not in page  # strict CSP
    month = clock.today().strftime("%Y-%m")
    csv = client.get("/equipment/report.csv").text
    assert f"month,{month},Personal alarm,6" in csv and "place,High Street,Personal alarm,4" in csv


def test_report_escapes_typed_places_and_item_names_in_the_chart_and_the_table(
        client, coordinator, volunteer):
    scrunchie = make_item("Scrunchie <i>", plural="scrunchies")
    bag = svc.kit_bag_for(volunteer)
    stock(bag, scrunchie, 10)
    svc.hand_out_stock(bag, {scrunchie: 3}, by=volunteer, place_text="<b>Bar & Grill</b>")
    db.session.commit()
    sign_in_as(client, coordinator)
    page = client.get("/equipment/report").text
    assert "<b>" not in page and "<i>" not in page
    assert "&lt;b&gt;Bar &amp; Grill&lt;/b&gt;: 3 (Scrunchie &lt;i&gt; 3). " in page  # the chart's description
    assert '<text x="172" y="28.0" text-anchor="end">&lt;b&gt;Bar &amp; Grill&lt;/b&gt;</text>' in page
    assert "<title>Scrunchie &lt;i&gt;: 3</title>" in page
    assert '<th scope="row">&lt;b&gt;Bar &amp; Grill&lt;/b&gt;</th><td>3</td><td class="fw-semibold">3</td>' in page
    assert '<th scope="col">Scrunchie &lt;i&gt;</th>' in page


def test_report_shows_the_top_places_and_adds_up_the_rest_but_the_csv_has_every_place(
        client, coordinator, alarm, bag_with_alarms, volunteer):
    stock(bag_with_alarms, alarm, 200)
    for n in range(1, 18):  # Place 01 hands out 1 alarm ... Place 17 hands out 17
        svc.hand_out_stock(bag_with_alarms, {alarm: n}, by=volunteer, place=make_place(f"Place {n:02d}"))
    db.session.commit()
    sign_in_as(client, coordinator)
    page = client.get("/equipment/report").text
    rows = re.findall(r"<th scope=\"row\">([^<]+)</th>", page.split('id="place-heading"')[1])
    assert rows == [f"Place {n:02d}" for n in range(17, 2, -1)] + ["All other places"]
    assert re.search(r"<th scope=\"row\">All other places</th><td>3</td>", page)  # 1 + 2
    assert "2 other places" in page
    csv = client.get("/equipment/report.csv").text
    assert "place,Place 01,Personal alarm,1" in csv and "place,Place 17,Personal alarm,17" in csv
    assert "All other places" not in csv


def test_places_are_kept_by_coordinators(client, coordinator):
    sign_in_as(client, coordinator)
    client.post("/equipment/places", data={"name": "Station Approach", "kind": "street"})
    [place] = svc.list_places()
    assert place.name == "Station Approach"
    assert client.post("/equipment/places", data={"name": "station approach", "kind": "street"}).status_code == 400
    client.post(f"/equipment/places/{place.id}/retire")
    assert svc.list_places() == []


def test_items_are_added_and_retired(client, coordinator):
    sign_in_as(client, coordinator)
    client.post("/equipment/items", data={"name": "Drink cover", "kind": "consumable", "unit": "each",
                                          "low_stock_level": "50"})
    [item] = svc.list_items()
    assert item.plural == "drink covers"
    client.post(f"/equipment/items/{item.id}", data={"name": "Drink cover", "unit": "each",
                                                     "low_stock_level": "20", "is_active": ""})
    assert svc.list_items() == []


def test_radios_are_checked_out_and_in_and_cannot_go_out_twice(client, coordinator, volunteer):
    radio = make_asset("RAD-9")
    sign_in_as(client, coordinator)
    due = clock.today().isoformat()
    response = client.post(f"/equipment/assets/{radio.id}/check-out", data={"user_id": volunteer.id, "due_on": due},
                           follow_redirects=True)
    assert f"RAD-9 checked out to {volunteer.name}" in response.text
    response = client.post(f"/equipment/assets/{radio.id}/check-out", data={"user_id": coordinator.id, "due_on": due},
                           follow_redirects=True)
    assert f"is already out with {volunteer.name}" in response.text
    assert db.session.scalar(select(func.count()).select_from(AssetLoan)) == 1
    volunteer_client = client.application.test_client()
    sign_in_as(volunteer_client, volunteer)
    assert "RAD-9" in volunteer_client.get("/equipment/kit-bag").text
    response = client.post(f"/equipment/assets/{radio.id}/check-in", follow_redirects=True)
    assert "RAD-9 is back" in response.text


def test_volunteers_cannot_use_the_stock_pages(client, volunteer):
    sign_in_as(client, volunteer)
    assert client.get("/equipment/stock").status_code == 403
    assert 'href="/equipment/stock"' not in client.get("/home").text
    coordinator_client = client.application.test_client()
    sign_in_as(coordinator_client, make_user(Role.COORDINATOR))
    assert 'href="/equipment/stock"' in coordinator_client.get("/home").text


def test_a_check_out_needs_a_person(client, coordinator):
    radio = make_asset("RAD-7")
    sign_in_as(client, coordinator)
    response = client.post(f"/equipment/assets/{radio.id}/check-out", data={"user_id": "", "due_on": "2030-01-01"},
                           follow_redirects=True)
    assert "Choose who takes it" in response.text
    assert svc.open_loan(radio) is None


def test_staff_record_a_venue_hand_out(client, coordinator, alarm):
    venue = svc.holder_for_organisation(make_org("Club Neon"))
    stock(venue, alarm, 12)
    sign_in_as(client, coordinator)
    page = client.get(f"/equipment/holders/{venue.id}/hand-out").text
    assert "From Club Neon" in page
    response = client.post(f"/equipment/holders/{venue.id}/hand-out", data={
        f"qty_{alarm.id}": "5", "place_text": "Club Neon door", "occurred_on": clock.today().isoformat(),
        "time_band": "night", "idempotency_key": KEY}, follow_redirects=True)
    assert "Recorded: 5 personal alarms handed out" in response.text
    assert held(venue, alarm) == 7
