"""A page's number of SQL queries must not grow with the data (and stays small).

Each key page is fetched with a small and a larger data set; the app counts the queries of each
request (VH_COUNT_QUERIES, the X-Query-Count header) and both counts must be equal and at most
MAX_QUERIES. Not timed: timing belongs to bench/.

Other areas add their pages to KEY_PAGES (and their data to `_grow`), so a page that starts to
query per row fails CI. bench/pages.py lists the same pages for the load benchmark.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_certificates import require
from tests.factories_equipment import make_item, make_place, make_store
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub.models import BookingStatus, Role, TimeBand, db
from volunteer_hub.services import certificates, equipment

MAX_QUERIES = 10
SMALL, LARGE = 5, 50


@dataclass(frozen=True)
class KeyPage:
    name: str
    path: str | Callable[[dict], str]  # a callable gets the data made by _grow (e.g. to pick an id)
    role: Role
    # The issue's target is MAX_QUERIES; pages above it today are held where they are (a ratchet).
    max_queries: int = MAX_QUERIES
    everything: bool = False  # grow the training, certificate and stock data too (slower: only where shown)


KEY_PAGES: list[KeyPage] = [
    KeyPage("volunteer directory, first page", "/people", Role.COORDINATOR),
    KeyPage("volunteer directory, searched", "/people?q=person&role=volunteer", Role.COORDINATOR),
    KeyPage("home (coordinator)", "/home", Role.COORDINATOR),
    KeyPage("home (volunteer)", "/home", Role.VOLUNTEER),
    KeyPage("your details", "/profile", Role.VOLUNTEER),
    KeyPage("organisations", "/organisations", Role.COORDINATOR),
    KeyPage("person page", lambda data: f"/people/{data['people'][-1].id}", Role.COORDINATOR),
    KeyPage("session list", "/training/sessions", Role.VOLUNTEER, max_queries=13, everything=True),
    KeyPage("session page (staff)", lambda data: f"/training/sessions/{data['session'].id}", Role.COORDINATOR,
            max_queries=20, everything=True),
    KeyPage("my training", "/training/mine", Role.VOLUNTEER, everything=True),
    KeyPage("compliance matrix, first page", "/certificates/compliance", Role.COORDINATOR, everything=True),
    KeyPage("stock by holder", "/equipment/stock", Role.COORDINATOR, everything=True),
    KeyPage("hand-out report", "/equipment/report", Role.COORDINATOR, everything=True),
]


def _grow(data: dict, people: int, everything: bool = False) -> None:
    """Top the data up to `people` volunteers spread over a few organisations (each with roles),
    each booked on one session (past its capacity: a waitlist), holding a certificate of a
    required course and a kit bag with stock, one of them handed out."""
    if everything and "session" not in data:
        course = make_course()
        require(course, role=Role.VOLUNTEER)
        data.update(session=make_session(course, capacity=SMALL + 2), course=course, place=make_place(),
                    item=make_item(), store=make_store())
        equipment.receive_stock(data["store"], data["item"], 2 * LARGE, by=make_user(Role.COORDINATOR))
    while len(data["orgs"]) < max(2, people // 5):
        data["orgs"].append(make_org())
    while len(data["people"]) < people:
        org = data["orgs"][len(data["people"]) % len(data["orgs"])]
        roles = (Role.VOLUNTEER, Role.TRAINER) if len(data["people"]) % 7 == 0 else (Role.VOLUNTEER,)
        person = make_user(*roles, organisation=org)
        data["people"].append(person)
        if not everything:
            continue
        full = len(data["people"]) > data["session"].capacity
        make_booking(data["session"], person, BookingStatus.WAITLISTED if full else BookingStatus.CONFIRMED)
        certificates.issue_certificate(person, data["course"], dt.date.today() - dt.timedelta(days=30))
        bag = equipment.kit_bag_for(person)
        equipment.issue_stock(data["store"], data["item"], [bag], 2, by=person)
        equipment.hand_out_stock(bag, {data["item"]: 1}, by=person, place=data["place"], occurred_on=equipment.today(),
                                 time_band=TimeBand.EVENING)
        db.session.commit()


def _count(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return int(response.headers["X-Query-Count"])


@pytest.mark.parametrize("key_page", KEY_PAGES, ids=[p.name for p in KEY_PAGES])
def test_query_count_does_not_grow_with_the_data(app, client, key_page):
    app.config["VH_COUNT_QUERIES"] = True
    viewer = make_user(key_page.role, name="Viewer")
    sign_in_as(client, viewer)
    data: dict[str, list] = {"orgs": [], "people": []}
    counts = []
    for size in (SMALL, LARGE):
        _grow(data, size, key_page.everything)
        path = key_page.path(data) if callable(key_page.path) else key_page.path
        _count(client, path)  # warm up: the first request may load things once per process
        counts.append(_count(client, path))
    assert counts[0] == counts[1], (
        f"{key_page.name}: {counts[0]} queries with {SMALL} people but {counts[1]} with {LARGE}: "
        "something is loaded row by row (eager-load it)"
    )
    assert counts[1] <= key_page.max_queries, f"{key_page.name}: {counts[1]} queries (at most {key_page.max_queries})"


def test_query_counting_is_off_by_default(client, volunteer):
    sign_in_as(client, volunteer)
    assert "X-Query-Count" not in client.get("/profile").headers
