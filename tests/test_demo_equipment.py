"""The equipment demo data seeds once, balances, and gives the report figures."""
from sqlalchemy import func, select

from tests.factories_equipment import assert_ledger_balances
from volunteer_hub import clock
from volunteer_hub.models import StockMovement, db
from volunteer_hub.queries import equipment as equipment_queries
from volunteer_hub.services import equipment as svc


def test_demo_seed_is_idempotent_and_the_books_agree(app, runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    count = db.session.scalar(select(func.count()).select_from(StockMovement))
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == count > 100
    assert_ledger_balances()
    places = {p for p, _, _ in equipment_queries.handed_out_by_place(clock.today().replace(year=clock.today().year - 1), clock.today())}
    assert {"High Street", "Market Square", "Station Approach"} <= places
    assert svc.overdue_loans()
