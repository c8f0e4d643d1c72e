"""Each worker keeps the impact report it built (volunteer_hub/data_cache.py) until anything is
written: a coordinator who looks again, prints it or changes back to the same period waits for no
query, and the figures after any committed write, by this worker, another one or raw SQL, are the
new ones."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.factories import make_user
from tests.factories_certificates import make_course, make_session, mark
from tests.views.test_signed_in_cache import in_other_worker
from volunteer_hub import clock, data_cache
from volunteer_hub.models import Role, db

UTC = dt.UTC
REPORT = "/reports/impact?period=custom&date_from=2026-03-01&date_to=2026-04-30"


@pytest.fixture()
def coordinator(app, page):
    app.config["VH_COUNT_QUERIES"] = True
    with clock.freeze(dt.datetime(2026, 5, 15, 12, 0, tzinfo=UTC)):
        page.sign_in(make_user(Role.COORDINATOR))
        yield page


def _train(people: int, day: int = 2) -> None:
    course = make_course(f"Bystander intervention {day}")
    session = make_session(course, starts_at=dt.datetime(2026, 4, day, 18, 0, tzinfo=UTC))
    for _ in range(people):
        mark(session, make_user())


def _view(page) -> tuple[str, int]:
    """The report's summary line and the queries the request ran."""
    response = page.client.get(REPORT)
    assert response.status_code == 200
    summary = page.get(REPORT).one("#summary").get_text(" ", strip=True)
    return summary, int(response.headers["X-Query-Count"])


def test_looking_again_runs_no_report_queries_and_shows_the_same_figures(coordinator):
    _train(2)
    first, built = _view(coordinator)
    again, kept = _view(coordinator)
    assert again == first and first.startswith("2 people trained")
    assert kept < built - 3  # the report's statements were not run again


def test_a_write_in_this_worker_is_in_the_next_report(coordinator):
    _train(2)
    assert _view(coordinator)[0].startswith("2 people trained")
    _train(1, day=3)
    assert _view(coordinator)[0].startswith("3 people trained")


def test_a_write_in_another_worker_is_in_the_next_report(app, coordinator):
    _train(2)
    assert _view(coordinator)[0].startswith("2 people trained")
    in_other_worker(app, lambda: _train(3, day=3), VH_DATA_STAMP_FILE=app.config["VH_DATA_STAMP_FILE"])
    assert _view(coordinator)[0].startswith("5 people trained")


def test_a_raw_sql_write_on_its_own_connection_is_in_the_next_report(coordinator):
    _train(2)
    assert _view(coordinator)[0].startswith("2 people trained")
    with db.engine.begin() as conn:  # no ORM session: Core, as a script or a migration would
        conn.execute(text("DELETE FROM trained_people"))
    assert _view(coordinator)[0].startswith("0 people trained")


def test_a_write_that_is_rolled_back_keeps_the_report(app, coordinator):
    _train(2)
    stamp = app.extensions["vh_data_cache"].store.read()
    db.session.execute(text("DELETE FROM trained_people"))
    db.session.rollback()
    assert app.extensions["vh_data_cache"].store.read() == stamp
    summary, queries = _view(coordinator)
    assert summary.startswith("2 people trained")


def test_a_kept_report_is_built_again_after_the_age_limit(app, coordinator, monkeypatch):
    _train(2)
    _view(coordinator)
    with monkeypatch.context() as unheard:  # a write the stamp does not hear of (an autocommit connection)
        unheard.setattr(data_cache, "data_changed", lambda: None)
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM trained_people"))
    assert _view(coordinator)[0].startswith("2 people trained")
    later = data_cache.time.monotonic() + app.config["VH_REPORT_CACHE_SECONDS"] + 1
    monkeypatch.setattr(data_cache.time, "monotonic", lambda: later)
    assert _view(coordinator)[0].startswith("0 people trained")


@pytest.mark.parametrize("how", ["switched off", "stamp unreadable"])
def test_without_the_cache_every_view_builds_the_report(app, coordinator, monkeypatch, how):
    if how == "switched off":
        monkeypatch.delitem(app.extensions, "vh_data_cache")
    else:
        monkeypatch.setattr(type(app.extensions["vh_data_cache"].store), "read", lambda self: None)
    _train(2)
    _view(coordinator)  # the signed-in person read
    _, built = _view(coordinator)
    _, again = _view(coordinator)
    assert again == built > 5


def test_a_new_day_builds_the_report_again(app, page):
    """The report also depends on today (stock on a day not yet over, DBS checks due soon)."""
    app.config["VH_COUNT_QUERIES"] = True
    with clock.freeze(dt.datetime(2026, 5, 15, 22, 50, tzinfo=UTC)):
        page.sign_in(make_user(Role.COORDINATOR))
        _train(2)
        _view(page)
        assert _view(page)[1] < 5  # kept
    with clock.freeze(dt.datetime(2026, 5, 15, 23, 10, tzinfo=UTC)):  # 23:50, then 00:10 in London
        assert _view(page)[1] > 5  # the same period, a new day: built again
