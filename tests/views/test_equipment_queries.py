"""The movement history and the report run a constant number of queries as the ledger grows
(10 vs 10,000 movements), and long histories page."""
import datetime as dt
from collections import defaultdict
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, insert, select, update

from tests.factories import make_user, sign_in_as
from tests.factories_equipment import make_item, make_place, make_store
from volunteer_hub import clock
from volunteer_hub.models import MovementKind, Role, StockBalance, StockMovement, TimeBand, db, utcnow
from volunteer_hub.services import equipment as svc

pytestmark = pytest.mark.usefixtures("ledger_checked")


@contextmanager
def count_queries():
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def add_movements(n: int) -> None:
    """n stock adjustments into a kit bag and n hand-outs (core inserts, so it is fast), with balances,
    hand-out totals and items held to match."""
    store = make_store()
    bag = svc.kit_bag_for(make_user())
    items = [make_item(), make_item()]
    places = [make_place(), make_place(), make_place()]
    by = make_user(Role.COORDINATOR)
    today, now = clock.today(), utcnow()
    rows = []
    for i in range(n):
        item = items[i % 2].id
        day = today - dt.timedelta(days=i % 300)
        rows.append(dict(kind=MovementKind.ADJUSTMENT, item_id=item, from_holder_id=None, to_holder_id=bag.id,
                         quantity=3, recorded_by_id=by.id, recorded_at=now, occurred_on=day,
                         place_id=None, time_band=None, reason="bulk"))
        rows.append(dict(kind=MovementKind.HAND_OUT, item_id=item, from_holder_id=bag.id, to_holder_id=None,
                         quantity=1, recorded_by_id=by.id, recorded_at=now, occurred_on=day,
                         place_id=places[i % 3].id, time_band=TimeBand.NIGHT, reason=None))
    db.session.execute(insert(StockMovement), rows)
    svc.lock_balances((i.id, bag.id) for i in items)
    for item in items:
        held = db.session.scalar(select(func.sum(StockMovement.quantity)).where(
            StockMovement.item_id == item.id, StockMovement.to_holder_id == bag.id)) - db.session.scalar(
            select(func.sum(StockMovement.quantity)).where(
                StockMovement.item_id == item.id, StockMovement.from_holder_id == bag.id))
        db.session.execute(update(StockBalance).where(StockBalance.item_id == item.id,
                                                      StockBalance.holder_id == bag.id).values(quantity=held))
    handed_out = defaultdict(int)  # the report's totals and the holders' counts, as a bulk load keeps them
    for row in rows:
        if row["kind"] is MovementKind.HAND_OUT:
            handed_out[(row["occurred_on"], row["item_id"], row["place_id"], None)] += row["quantity"]
    svc.add_to_hand_out_totals(handed_out)
    svc.count_items_held()
    db.session.commit()
    return store, bag, items


def queries_for(client, url) -> int:
    client.get(url)  # warm up (first-request work is not data-dependent)
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter["n"]


PAGES = ["/equipment/movements", "/equipment/movements?kind=hand_out", "/equipment/report",
         "/equipment/report?date_from=2020-01-01", "/equipment/stock", "/equipment/stock?by=item"]


def test_pages_run_the_same_number_of_queries_for_10_and_10000_movements(app):
    coordinator = make_user(Role.COORDINATOR)
    add_movements(5)
    small_client = app.test_client()
    sign_in_as(small_client, coordinator)
    small = {url: queries_for(small_client, url) for url in PAGES}
    add_movements(5000)
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 10_010
    large = {url: queries_for(small_client, url) for url in PAGES}
    assert large == small


def test_a_long_history_pages_and_the_csv_has_every_row(app, client):
    coordinator = make_user(Role.COORDINATOR)
    add_movements(1000)
    sign_in_as(client, coordinator)
    first = client.get("/equipment/movements")
    # Counted only as far as the pages near this one: the first page does not count all 2,000.
    assert "More than 1,000 movements" in first.text
    assert 'aria-label="Movement pages"' in first.text
    last = client.get("/equipment/movements?page=80")
    assert last.status_code == 200
    assert "2,000 movements" in last.text
    assert last.text.count('href="/equipment/movements/') == 25
    beyond = client.get("/equipment/movements?page=500")
    assert beyond.status_code == 200 and "No movements." in beyond.text
    csv = client.get("/equipment/movements.csv?kind=hand_out")
    assert csv.mimetype == "text/csv"
    assert len(csv.text.strip().splitlines()) == 1001
