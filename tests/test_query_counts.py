"""A page's number of SQL queries must not grow with the data (and stays small).

Each key page is fetched with a small and a larger data set; the app counts the queries of each
request (VH_COUNT_QUERIES, the X-Query-Count header) and both counts must be equal and at most
MAX_QUERIES. Not timed: timing belongs to bench/.

Other areas add their pages to KEY_PAGES (and their data to `_grow`), so a page that starts to
query per row fails CI. bench/pages.py lists the same pages for the load benchmark.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.factories import make_org, make_user, sign_in_as
from tests.factories_certificates import mark, require
from tests.factories_equipment import make_asset, make_item, make_place, make_store
from tests.factories_training import make_booking, make_course, make_session
from volunteer_hub.models import AttendanceStatus, AuditEntry, BookingStatus, Role, SessionStatus, UserRole, db, utcnow
from volunteer_hub.services import certificates as certificate_service
from volunteer_hub.services import equipment as equipment_service

MAX_QUERIES = 10
SMALL, LARGE = 5, 50


@dataclass(frozen=True)
class KeyPage:
    name: str
    path: str | Callable[[dict], str]  # a callable gets the data made by _grow (e.g. to pick an id)
    role: Role
    limited: bool = False  # a coordinator limited to one agency (whose people grow with the data)


KEY_PAGES: list[KeyPage] = [
    KeyPage("volunteer directory, first page", "/people", Role.COORDINATOR),
    KeyPage("volunteer directory, searched", "/people?q=person&role=volunteer", Role.COORDINATOR),
    KeyPage("home (coordinator)", "/home", Role.COORDINATOR),
    KeyPage("home (volunteer)", "/home", Role.VOLUNTEER),
    KeyPage("home (trainer)", "/home", Role.TRAINER),
    KeyPage("home (admin)", "/home", Role.ADMIN),
    KeyPage("home (limited coordinator)", "/home", Role.COORDINATOR, limited=True),
    KeyPage("your details", "/profile", Role.VOLUNTEER),
    KeyPage("organisations", "/organisations", Role.COORDINATOR),
    KeyPage("person page", lambda data: f"/people/{data['people'][-1].id}", Role.COORDINATOR),
    # training
    KeyPage("session list", "/training/sessions", Role.VOLUNTEER),
    KeyPage("session page (volunteer)", lambda data: f"/training/sessions/{data['session'].id}", Role.VOLUNTEER),
    KeyPage("session page (coordinator)", lambda data: f"/training/sessions/{data['session'].id}", Role.COORDINATOR),
    KeyPage("my training", "/training/mine", Role.VOLUNTEER),
    KeyPage("the register", lambda data: f"/training/sessions/{data['register'].id}/register", Role.TRAINER),
    # certificates
    KeyPage("my certificates", "/certificates", Role.VOLUNTEER),
    KeyPage("compliance matrix, first page", "/certificates/compliance", Role.COORDINATOR),
    # equipment
    KeyPage("stock by holder", "/equipment/stock", Role.COORDINATOR),
    KeyPage("my kit bag", "/equipment/kit-bag", Role.VOLUNTEER),
    KeyPage("equipment report", "/equipment/report", Role.COORDINATOR),
    # staff forms whose people come from a picker, not a list of everyone
    KeyPage("issue stock form", "/equipment/issue", Role.COORDINATOR),
    KeyPage("issue stock form, found", "/equipment/issue?find=volunteer_ids&people_q=person", Role.COORDINATOR),
    KeyPage("new session form", "/training/sessions/new", Role.COORDINATOR),
    # the impact report: the whole partnership, and one organisation
    KeyPage("impact report", "/reports/impact", Role.COORDINATOR),
    KeyPage("impact report, one kind of organisation", "/reports/impact?period=last_year&kind=licensed_venue",
            Role.COORDINATOR),
    # audit
    KeyPage("audit trail, first page", "/audit", Role.COORDINATOR),
    KeyPage("audit trail, about one person", lambda data: f"/audit?subject={data['people'][-1].id}", Role.COORDINATOR),
    # a coordinator limited to one agency: the same pages, filtered in SQL, the agencies read once
    KeyPage("directory (limited coordinator)", "/people", Role.COORDINATOR, limited=True),
    KeyPage("directory, searched (limited coordinator)", "/people?q=person&role=volunteer", Role.COORDINATOR, limited=True),
    KeyPage("compliance matrix (limited coordinator)", "/certificates/compliance", Role.COORDINATOR, limited=True),
    KeyPage("compliance gaps (limited coordinator)", "/certificates/compliance?status=gaps", Role.COORDINATOR, limited=True),
    KeyPage("expiring (limited coordinator)", "/certificates/expiring?days=400", Role.COORDINATOR, limited=True),
    KeyPage("stock by holder (limited coordinator)", "/equipment/stock", Role.COORDINATOR, limited=True),
    KeyPage("stock by item (limited coordinator)", "/equipment/stock?by=item", Role.COORDINATOR, limited=True),
    KeyPage("radios (limited coordinator)", "/equipment/assets", Role.COORDINATOR, limited=True),
    KeyPage("person page (limited coordinator)", lambda data: f"/people/{data['people'][0].id}", Role.COORDINATOR,
            limited=True),
]


def _grow(data: dict, people: int) -> None:
    """Top the data up to `people` volunteers and, in proportion, every area's data; the viewer's
    own data (bookings, certificates, kit bag) grows too."""
    while len(data["orgs"]) < max(2, people // 5):
        data["orgs"].append(make_org())
    new = []
    while len(data["people"]) < people:
        org = data["orgs"][len(data["people"]) % len(data["orgs"])]
        roles = (Role.VOLUNTEER, Role.TRAINER) if len(data["people"]) % 7 == 0 else (Role.VOLUNTEER,)
        data["people"].append(make_user(*roles, organisation=org))
        new.append(data["people"][-1])
    _grow_training(data, people, new)
    _grow_certificates(data, people, new)
    _grow_equipment(data, people, new)
    _grow_audit(data, new)


def _grow_audit(data: dict, new: list) -> None:
    """Entries about each new person, by different people (the page looks up every name)."""
    for i, person in enumerate(new):
        actor = data["people"][i % len(data["people"])]
        db.session.add_all([
            AuditEntry(actor_id=actor.id, action="person.vetting", object_type="users", object_id=person.id,
                       subject_id=person.id, changes={"dbs_renew_by": [None, "2029-01-05"]}),
            AuditEntry(actor_id=data["viewer"].id, action="person.role_granted", object_type="users",
                       object_id=person.id, subject_id=person.id, changes={"role": "volunteer"}),
        ])
    db.session.commit()


def _grow_training(data: dict, people: int, new: list) -> None:
    """Courses and upcoming sessions (the viewer booked on each, some full with a waitlist), one
    session everyone books (half wait), one under way with everyone on its register (half
    marked), and past sessions the viewer attended."""
    viewer = data["viewer"]
    courses, sessions, past = data.setdefault("courses", []), data.setdefault("sessions", []), data.setdefault("past", [])
    while len(courses) < max(2, people // 10):
        courses.append(make_course(validity_months=24))
    while len(sessions) < max(2, people // 5):
        n = len(sessions)
        session = make_session(courses[n % len(courses)], starts_in=dt.timedelta(days=3 + n), capacity=2,
                               trainers=[data["people"][0]])
        make_booking(session, viewer, BookingStatus.CONFIRMED if n % 3 else BookingStatus.WAITLISTED)
        sessions.append(session)
    if "session" not in data:
        data["session"] = make_session(courses[0], capacity=people // 2 or 1, trainers=[data["people"][0]])
        trainers = [viewer] if viewer.has_role(Role.TRAINER) else [data["people"][0]]
        data["register"] = make_session(courses[0], starts_in=-dt.timedelta(minutes=30), trainers=trainers)
        new = data["people"]
    for i, person in enumerate(new):
        held = sum(1 for b in data["session"].bookings if b.status is BookingStatus.CONFIRMED)
        make_booking(data["session"], person,
                     BookingStatus.CONFIRMED if held < data["session"].capacity else BookingStatus.WAITLISTED)
        make_booking(data["register"], person)
        if i % 2:
            mark(data["register"], person, AttendanceStatus.LATE if i % 3 else AttendanceStatus.PRESENT)
        db.session.refresh(data["session"])
    while len(past) < max(2, people // 10):
        session = make_session(courses[len(past) % len(courses)], starts_in=-dt.timedelta(days=10 + len(past)), opens_ago=dt.timedelta(days=60),
                               trainers=[data["people"][0]])
        for person in (viewer, *data["people"][:3]):
            make_booking(session, person)
            mark(session, person)
        session.finalised_at, session.status = utcnow(), SessionStatus.COMPLETED
        db.session.commit()
        past.append(session)


def _grow_certificates(data: dict, people: int, new: list) -> None:
    """Each course required of volunteers; everyone holds the first course's certificate (some
    expired); the viewer holds one of every course, with an older one in the history."""
    today = utcnow().date()
    required = data.setdefault("required", set())
    for course in data["courses"]:
        if course.id not in required:
            require(course, role=Role.VOLUNTEER)
            certificate_service.issue_certificate(data["viewer"], course, today - dt.timedelta(days=800))
            certificate_service.issue_certificate(data["viewer"], course, today - dt.timedelta(days=30))
            required.add(course.id)
    for i, person in enumerate(new):
        certificate_service.issue_certificate(person, data["courses"][0], today - dt.timedelta(days=400 * (i % 3)))
    db.session.commit()


def _grow_equipment(data: dict, people: int, new: list) -> None:
    """Items and places; a store holding every item; each new person's kit bag gets an item and
    hands some out at a place in the last few months; the viewer's bag gets every item and a
    radio on loan."""
    viewer = data["viewer"]
    if "store" not in data:
        data["store"], data["items"], data["places"], data["assets"] = make_store(), [], [], []
    store, items, places = data["store"], data["items"], data["places"]
    while len(items) < max(2, people // 10):
        item = make_item()
        equipment_service.receive_stock(store, item, 10_000, by=viewer)
        equipment_service.issue_stock(store, item, [equipment_service.kit_bag_for(viewer)], 5, by=viewer)
        asset = make_asset()
        equipment_service.check_out_asset(asset, viewer, utcnow().date() + dt.timedelta(days=7), by=viewer)
        items.append(item)
    while len(places) < max(2, people // 10):
        places.append(make_place())
    for i, person in enumerate(new):
        item, bag = items[i % len(items)], equipment_service.kit_bag_for(person)
        equipment_service.issue_stock(store, item, [bag], 5, by=viewer)
        equipment_service.hand_out_stock(bag, {item: 2}, by=person, place=places[i % len(places)],
                                         occurred_on=utcnow().date() - dt.timedelta(days=(7 * i) % 120))
    db.session.commit()


def _count(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return int(response.headers["X-Query-Count"])


def _counts_at_both_sizes(app, client, role: Role, count: Callable[[dict], int],
                          limited: bool = False) -> tuple[dict, list[int]]:
    """Sign in a viewer with `role` (`limited` to the first organisation), grow the data to SMALL
    then LARGE people, and at each size call `count(data)` for a request's query count. Returns
    the data and the two counts."""
    app.config["VH_COUNT_QUERIES"] = True
    orgs = [make_org()] if limited else []
    viewer = make_user(role, name="Viewer", agencies=orgs if limited else None)
    sign_in_as(client, viewer)
    data: dict = {"orgs": orgs, "people": [], "viewer": viewer}
    counts = []
    for size in (SMALL, LARGE):
        _grow(data, size)
        counts.append(count(data))
    return data, counts


def _assert_flat_and_few(name: str, counts: list[int]) -> None:
    assert counts[0] == counts[1], (
        f"{name}: {counts[0]} queries with {SMALL} people but {counts[1]} with {LARGE}: "
        "something is loaded row by row (eager-load it)"
    )
    assert counts[1] <= MAX_QUERIES, f"{name}: {counts[1]} queries (at most {MAX_QUERIES})"


@pytest.mark.parametrize("key_page", KEY_PAGES, ids=[p.name for p in KEY_PAGES])
def test_query_count_does_not_grow_with_the_data(app, client, key_page):
    def count(data):
        path = key_page.path(data) if callable(key_page.path) else key_page.path
        _count(client, path)  # warm up: the first request may load things once per process
        return _count(client, path)

    _data, counts = _counts_at_both_sizes(app, client, key_page.role, count, key_page.limited)
    _assert_flat_and_few(key_page.name, counts)


def test_a_hand_out_post_takes_the_same_few_queries_whatever_the_data(app, client):
    """The hand-out form is sent in the street, many times a night: recording one hand-out (the
    balance locked, the ledger row, the report's totals) costs the same at both sizes."""
    def count(data):
        item, place = data["items"][0], data["places"][0]
        for _ in range(2):  # the first warms up
            form = {f"qty_{item.id}": "1", "place_id": place.id, "occurred_on": utcnow().date().isoformat(),
                    "time_band": "late_evening", "idempotency_key": uuid.uuid4().hex}
            response = client.post("/equipment/kit-bag/hand-out", data=form)
            assert response.status_code == 302, response.text
        return int(response.headers["X-Query-Count"])

    data, counts = _counts_at_both_sizes(app, client, Role.VOLUNTEER, count)
    bag = equipment_service.find_kit_bag(data["viewer"])
    [balance] = [b for b in equipment_service.balances_for(bag) if b.item_id == data["items"][0].id]
    assert balance.quantity == 5 - 4  # issued 5, handed out 1 four times
    _assert_flat_and_few("hand-out POST", counts)


def test_query_counting_is_off_by_default(client, volunteer):
    sign_in_as(client, volunteer)
    assert "X-Query-Count" not in client.get("/profile").headers


PICKER_PAGES = ["/equipment/issue", "/training/sessions/new"]


@pytest.mark.parametrize("path", PICKER_PAGES)
def test_forms_with_a_people_picker_do_not_grow_with_the_people(app, client, path):
    """The forms that used to list everyone: at most 20 people whatever the data, so the page
    stays the same few kilobytes (issue 16: 2.3 MiB at 10,000 people before)."""
    def size(data):
        for person in data["people"]:  # trainers too, for the new session form's picker
            if not person.has_role(Role.TRAINER):
                person.role_rows.append(UserRole(role=Role.TRAINER))
        db.session.commit()
        response = client.get(path)
        assert response.status_code == 200
        return len(response.data)

    _data, sizes = _counts_at_both_sizes(app, client, Role.COORDINATOR, size)
    assert sizes[1] < 200_000, f"{path}: {sizes[1]} bytes"
    assert sizes[1] - sizes[0] < 20 * 400, f"{path}: {sizes[0]} bytes with {SMALL} people, {sizes[1]} with {LARGE}"
