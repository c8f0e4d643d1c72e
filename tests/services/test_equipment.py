"""The stock ledger's rules, without HTTP. Every scenario ends with the ledger check."""
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.factories import make_org, make_user
from tests.factories_equipment import make_asset, make_item, make_place, make_store, stock
from volunteer_hub import clock
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.jobs import send_outbox_job
from volunteer_hub.models import (
    AssetLoan,
    HandOutTotal,
    ItemKind,
    MovementKind,
    Role,
    StockBalance,
    StockMovement,
    TimeBand,
    TotalGrain,
    db,
)
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.services import equipment as svc

pytestmark = pytest.mark.usefixtures("ledger_checked")


@pytest.fixture()
def alarm(app):
    return make_item("Personal alarm", plural="personal alarms")


@pytest.fixture()
def store(app):
    return make_store("Central store")


def held(holder, item) -> int:
    return db.session.scalar(select(StockBalance.quantity).where(
        StockBalance.holder_id == holder.id, StockBalance.item_id == item.id)) or 0


def test_receive_then_issue_moves_stock_and_records_both(store, alarm, coordinator):
    vera = make_user(name="Vera")
    svc.receive_stock(store, alarm, 50, by=coordinator, supplier="SafeNight", batch="B1",
                      use_by=dt.date(2028, 1, 1))
    bag = svc.kit_bag_for(vera)
    svc.issue_stock(store, alarm, [bag], 20, by=coordinator)
    db.session.commit()
    assert (held(store, alarm), held(bag, alarm)) == (30, 20)
    kinds = [m.kind for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))]
    assert kinds == [MovementKind.RECEIVE, MovementKind.ISSUE]


def test_over_issuing_is_refused_with_what_is_held(store, alarm, coordinator):
    stock(store, alarm, 3)
    bag = svc.kit_bag_for(make_user())
    with pytest.raises(Conflict) as error:
        svc.issue_stock(store, alarm, [bag], 5, by=coordinator)
    assert error.value.message == "Central store holds 3 personal alarms; you asked for 5."
    db.session.rollback()
    assert held(store, alarm) == 3


def test_issue_to_several_volunteers_checks_the_total(store, alarm, coordinator):
    stock(store, alarm, 100)
    bags = [svc.kit_bag_for(make_user()) for _ in range(6)]
    with pytest.raises(Conflict, match="holds 100 personal alarms; you asked for 120"):
        svc.issue_stock(store, alarm, bags, 20, by=coordinator)
    db.session.rollback()
    bags = bags[:5]
    outcome = svc.issue_stock(store, alarm, bags, 20, by=coordinator)
    db.session.commit()
    assert len(outcome.movements) == 5
    assert held(store, alarm) == 0
    assert all(held(bag, alarm) == 20 for bag in bags)


@pytest.mark.parametrize("quantity", [0, -1, None])
def test_zero_or_negative_quantities_are_refused(store, alarm, coordinator, quantity):
    with pytest.raises(ValidationFailed, match="1 or more"):
        svc.receive_stock(store, alarm, quantity, by=coordinator)


def test_the_database_refuses_a_negative_balance(store, alarm):
    stock(store, alarm, 1)
    balance = db.session.scalar(select(StockBalance))
    balance.quantity = -1
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_repeated_idempotency_key_records_once(store, alarm, coordinator):
    first = svc.receive_stock(store, alarm, 10, by=coordinator, idempotency_key="a" * 32)
    db.session.commit()
    second = svc.receive_stock(store, alarm, 10, by=coordinator, idempotency_key="a" * 32)
    db.session.commit()
    assert not first.duplicate and second.duplicate
    assert [m.id for m in second.movements] == [m.id for m in first.movements]
    assert held(store, alarm) == 10


def test_hand_out_records_place_and_time_and_no_person(store, alarm, coordinator):
    vera = make_user(name="Vera")
    bag = svc.kit_bag_for(vera)
    stock(bag, alarm, 10)
    place = make_place("High Street")
    scrunchie = make_item("Anti-spike scrunchie")
    stock(bag, scrunchie, 4)
    outcome = svc.hand_out_stock(bag, {alarm: 3, scrunchie: 0}, by=vera, place=place,
                                 time_band=TimeBand.LATE_EVENING, event_name="Walk and Talk")
    db.session.commit()
    [movement] = outcome.movements
    assert (movement.kind, movement.quantity, movement.to_holder_id, movement.place_id) == (
        MovementKind.HAND_OUT, 3, None, place.id)
    assert held(bag, alarm) == 7
    # Nothing about the recipient can be stored: the row has no such column.
    assert not {"recipient", "recipient_name", "name", "email", "phone"} & set(StockMovement.__table__.c.keys())


def test_hand_out_at_a_place_given_by_id_as_the_form_sends_it(alarm):
    vera = make_user()
    bag = svc.kit_bag_for(vera)
    stock(bag, alarm, 5)
    place = make_place("High Street")
    outcome = svc.hand_out_stock(bag, {alarm: 2}, by=vera, place_id=place.id, place_text="ignored: a place is chosen")
    db.session.commit()
    [movement] = outcome.movements
    assert (movement.place_id, movement.place_text, movement.place_label) == (place.id, None, "High Street")
    assert equipment_queries.handed_out_by_place(clock.today(), clock.today()) == [("High Street", alarm.id, 2)]
    assert svc.place_names() == [(place.id, "High Street")]
    svc.set_place_active(place, False)
    assert svc.place_names() == []


def test_hand_out_needs_a_place_and_an_item(alarm):
    vera = make_user()
    bag = svc.kit_bag_for(vera)
    stock(bag, alarm, 2)
    with pytest.raises(ValidationFailed, match="Choose the place"):
        svc.hand_out_stock(bag, {alarm: 1}, by=vera)
    with pytest.raises(ValidationFailed, match="at least one item"):
        svc.hand_out_stock(bag, {alarm: 0}, by=vera, place_text="Outside the station")
    with pytest.raises(Conflict, match="holds 2 personal alarms; you asked for 3"):
        svc.hand_out_stock(bag, {alarm: 3}, by=vera, place_text="Outside the station")
    db.session.rollback()


def test_stock_in_a_bag_only_goes_back_to_a_store(store, alarm, coordinator):
    bag = svc.kit_bag_for(make_user())
    other = svc.kit_bag_for(make_user())
    stock(bag, alarm, 5)
    with pytest.raises(ValidationFailed, match="only go back to a store"):
        svc.issue_stock(bag, alarm, [other], 1, by=coordinator)
    svc.issue_stock(bag, alarm, [store], 5, by=coordinator)
    db.session.commit()
    assert (held(bag, alarm), held(store, alarm)) == (0, 5)


def test_write_off_needs_a_reason(store, alarm, coordinator):
    stock(store, alarm, 5)
    with pytest.raises(ValidationFailed, match="Say why"):
        svc.write_off_stock(store, alarm, 1, " ", by=coordinator)
    svc.write_off_stock(store, alarm, 2, "Expired batteries", by=coordinator)
    db.session.commit()
    assert held(store, alarm) == 3


def test_stocktake_records_each_difference_as_an_adjustment(store, alarm, coordinator):
    cover = make_item("Drink cover")
    stock(store, alarm, 10)
    stock(store, cover, 10)
    outcome = svc.take_stock(store, {alarm: 8, cover: 12}, "Monthly count", by=coordinator)
    db.session.commit()
    assert sorted((m.item.name, m.from_holder_id, m.to_holder_id, m.quantity) for m in outcome.movements) == [
        ("Drink cover", None, store.id, 2), ("Personal alarm", store.id, None, 2)]
    assert (held(store, alarm), held(store, cover)) == (8, 12)
    assert svc.take_stock(store, {alarm: 8}, "Again", by=coordinator).movements == []


def test_a_reversal_undoes_a_movement_once(store, alarm, coordinator):
    bag = svc.kit_bag_for(make_user())
    stock(store, alarm, 10)
    [issue] = svc.issue_stock(store, alarm, [bag], 4, by=coordinator).movements
    db.session.commit()
    [reversal] = svc.reverse_movement(issue, "Wrong volunteer", by=coordinator).movements
    db.session.commit()
    assert (reversal.from_holder_id, reversal.to_holder_id, reversal.reverses_id) == (bag.id, store.id, issue.id)
    assert (held(store, alarm), held(bag, alarm)) == (10, 0)
    with pytest.raises(Conflict, match="already been reversed"):
        svc.reverse_movement(issue, "Again", by=coordinator)
    db.session.rollback()
    with pytest.raises(Conflict, match="cannot be reversed"):
        svc.reverse_movement(reversal, "Undo the undo", by=coordinator)
    db.session.rollback()


def test_a_reversal_cannot_take_away_stock_that_has_gone(store, alarm, coordinator):
    [receive] = svc.receive_stock(store, alarm, 10, by=coordinator).movements
    svc.write_off_stock(store, alarm, 7, "Lost", by=coordinator)
    db.session.commit()
    with pytest.raises(Conflict, match="holds 3 personal alarms; you asked for 10"):
        svc.reverse_movement(receive, "Wrong delivery", by=coordinator)
    db.session.rollback()


def test_reversed_hand_outs_leave_the_report(alarm, coordinator):
    vera = make_user()
    bag = svc.kit_bag_for(vera)
    stock(bag, alarm, 10)
    high_street = make_place("High Street")
    [wrong] = svc.hand_out_stock(bag, {alarm: 4}, by=vera, place=high_street).movements
    svc.hand_out_stock(bag, {alarm: 2}, by=vera, place_text="Bus station")
    svc.reverse_movement(wrong, "Typed 4, meant 1", by=coordinator)
    db.session.commit()
    today = clock.today()
    assert equipment_queries.handed_out_by_month(today - dt.timedelta(days=1), today) == [(f"{today:%Y-%m}", alarm.id, 2)]
    assert equipment_queries.handed_out_by_place(today, today) == [("Bus station", alarm.id, 2)]


def test_the_report_is_exact_for_any_period_and_its_totals_match_the_ledger(alarm, coordinator):
    vera = make_user()
    bag = svc.kit_bag_for(vera)
    stock(bag, alarm, 100)
    high_street = make_place("High Street")
    today = clock.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    earlier = (last_month - dt.timedelta(days=1)).replace(day=1)
    days = [earlier, earlier + dt.timedelta(days=14), last_month - dt.timedelta(days=1), last_month,
            last_month + dt.timedelta(days=9)]
    for n, day in enumerate(days, start=1):  # 1, 2, 3, 4 and 5 alarms
        svc.hand_out_stock(bag, {alarm: n}, by=vera, place=high_street, occurred_on=day)
    [wrong] = svc.hand_out_stock(bag, {alarm: 10}, by=vera, place_text="Taxi rank", occurred_on=days[1]).movements
    svc.reverse_movement(wrong, "Typed 10, meant 0", by=coordinator)
    db.session.commit()
    assert equipment_queries.hand_out_total_mismatches() == []

    def total(start, end):
        month, place = equipment_queries.handed_out(start, end)
        assert sum(q for _, _, q in month) == sum(q for _, _, q in place)
        return sum(q for _, _, q in month)

    assert total(earlier, today) == 15  # whole months, up to today
    assert total(earlier, last_month - dt.timedelta(days=1)) == 6  # one whole month
    assert total(days[1], today) == 14  # from the middle of a month
    assert total(earlier, days[1]) == 3  # to the middle of a month
    assert total(days[1], days[2]) == 5  # within one month
    assert total(days[2], days[4] - dt.timedelta(days=1)) == 7  # across the turn of a month
    assert equipment_queries.handed_out(days[1], days[3])[0] == [(f"{earlier:%Y-%m}", alarm.id, 5),
                                                   (f"{last_month:%Y-%m}", alarm.id, 4)]


def test_the_hand_out_totals_check_finds_a_total_that_disagrees_with_the_ledger(alarm):
    vera = make_user()
    bag = svc.kit_bag_for(vera)
    stock(bag, alarm, 10)
    svc.hand_out_stock(bag, {alarm: 3}, by=vera, place_text="Bus station")
    db.session.commit()
    total = db.session.scalars(select(HandOutTotal).where(HandOutTotal.grain == TotalGrain.MONTH)).one()
    total.quantity = 4
    db.session.commit()
    assert [(grain, stored, ledger) for grain, _, _, _, stored, ledger in equipment_queries.hand_out_total_mismatches()] \
        == [("month", 4, 3)]
    total.quantity = 3
    db.session.commit()


def test_low_stock_emails_coordinators_once_until_refilled(store, coordinator, smtp_server):
    make_user(Role.VOLUNTEER)
    alarm = make_item("Personal alarm", low_stock_level=10, plural="personal alarms")
    bag = svc.kit_bag_for(make_user())
    stock(store, alarm, 15)
    for _ in range(4):  # 15 -> 11 -> 7 (alert) -> 3 -> 0: one email
        svc.issue_stock(store, alarm, [bag], 4 if held(store, alarm) >= 4 else held(store, alarm), by=coordinator)
        db.session.commit()
    send_outbox_job()
    assert [m["To"] for m in smtp_server.messages] == [coordinator.email]
    assert "Central store is low on personal alarms: it holds 7" in smtp_server.messages[0].get_body(("plain",)).get_content()
    assert [b.item_id for b in svc.low_stock_balances()] == [alarm.id]
    svc.receive_stock(store, alarm, 20, by=coordinator)  # refilled above the level: the alert clears
    db.session.commit()
    assert svc.low_stock_balances() == []
    svc.issue_stock(store, alarm, [bag], 15, by=coordinator)  # falls again: a second email
    db.session.commit()
    send_outbox_job()
    assert len(smtp_server.messages) == 2


def test_an_asset_cannot_be_out_twice_and_overdue_loans_are_listed(coordinator):
    radio = make_asset("RAD-1")
    vera, sam = make_user(name="Vera"), make_user(name="Sam")
    svc.check_out_asset(radio, vera, clock.today(), by=coordinator)
    db.session.commit()
    with pytest.raises(Conflict, match="already out with Vera"):
        svc.check_out_asset(radio, sam, clock.today(), by=coordinator)
    db.session.rollback()
    db.session.add(AssetLoan(asset=radio, user=sam, due_on=clock.today()))
    with pytest.raises(IntegrityError):  # the partial unique index holds it too
        db.session.flush()
    db.session.rollback()
    loan = svc.open_loan(radio)
    loan.due_on = clock.today() - dt.timedelta(days=1)
    db.session.commit()
    assert [x.id for x in svc.overdue_loans()] == [loan.id]
    svc.check_in_asset(radio, by=coordinator)
    db.session.commit()
    assert svc.overdue_loans() == []
    with pytest.raises(Conflict, match="not checked out"):
        svc.check_in_asset(radio, by=coordinator)
    svc.check_out_asset(radio, sam, clock.today(), by=coordinator)
    db.session.commit()


def test_returnable_items_are_not_counted_as_stock(store, coordinator):
    radio = make_item("Radio", kind=ItemKind.RETURNABLE)
    with pytest.raises(ValidationFailed, match="check-out"):
        svc.receive_stock(store, radio, 1, by=coordinator)


def test_holders_are_made_once_per_person_and_organisation(app):
    vera, venue = make_user(), make_org("The Red Lion")
    assert svc.kit_bag_for(vera).id == svc.kit_bag_for(vera).id
    assert svc.holder_for_organisation(venue).display_name == "The Red Lion"
    db.session.commit()
