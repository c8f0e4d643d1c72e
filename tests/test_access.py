"""Every route, every role (and signed out): the answer must match who may use it.

Each endpoint is classified in tests/access/<area>.py; a new route that is not classified fails this test, so
access is decided on purpose. Levels: public, user (any signed-in person), trainer, staff
(coordinator or admin), admin, owner (staff, or the object's owner).
"""
import pytest

from tests.access import ACCESS, PARAMS
from tests.factories import make_org, make_user, sign_in_as
from volunteer_hub.models import Role

ALLOWED = {
    "public": {None, Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN},
    "user": {Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN},
    "trainer": {Role.TRAINER, Role.COORDINATOR, Role.ADMIN},
    "staff": {Role.COORDINATOR, Role.ADMIN},
    "admin": {Role.ADMIN},
    # Objects that belong to someone (a booking, a kit bag...): staff may, others get 403 or 404
    # (the test's fresh person never owns the object; owners are tested in the area's own tests).
    "owner": {Role.COORDINATOR, Role.ADMIN},
}

def _routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(m for m in rule.methods if m in {"GET", "POST"})
        yield rule, ("GET" if "GET" in methods else methods[0])


def test_every_route_is_classified(app):
    missing = sorted({rule.endpoint for rule, _ in _routes(app)} - set(ACCESS))
    assert not missing, f"classify these endpoints in tests/access/<area>.py: {missing}"


@pytest.mark.parametrize("role", [None, Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN],
                         ids=["signed-out", "volunteer", "trainer", "coordinator", "admin"])
def test_each_role_gets_the_right_answer_from_every_route(app, role):
    ctx = {"org": make_org(), "person": make_user(Role.VOLUNTEER)}
    ctx["extra_admin"] = make_user(Role.ADMIN)  # so an admin acting on themselves is never "the last admin"
    failures = []
    for rule, method in _routes(app):
        if rule.endpoint in ("auth.sign_out",):
            continue
        client = app.test_client()
        if role is not None:
            sign_in_as(client, make_user(role))
        values = {arg: PARAMS[arg](ctx) for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        response = client.open(url, method=method, data={})
        allowed = role in ALLOWED[ACCESS[rule.endpoint]]
        code = response.status_code
        location = response.headers.get("Location", "")
        response.close()
        sent_to_sign_in = code == 302 and "/auth/sign-in?next=" in location
        if code >= 500:
            failures.append(f"{method} {url}: {code}")
        elif allowed and (code == 403 or sent_to_sign_in):
            failures.append(f"{method} {url}: {code}, expected access")
        elif not allowed:
            expected = (302,) if role is None else (403, 404) if ACCESS[rule.endpoint] == "owner" else (403,)
            if code not in expected or (role is None and not sent_to_sign_in):
                failures.append(f"{method} {url}: {code}, expected {expected[0]}")
    assert not failures, "\n".join(failures)


# --- two agencies: a coordinator limited to agency A ------------------------------------------------
# Every route whose URL takes a person, or an object that belongs to one (its PARAMS builder
# reads ctx["person"], the owner), is checked for each CASE below: found automatically, so a new
# route cannot be left out. OWNED_PARAMS (tests/access/<area>.py) swap in the person's own
# object where PARAMS would give a shared one (a kit bag instead of a store).
from tests.access import OWNED_PARAMS  # noqa: E402

# Routes that take a person's object but stay open to all staff, on purpose (the issue lists them).
NOT_SCOPED = {
    "certificates.verify_code": "public verification of a certificate by its code",
    "training.register_mark": "registers they run stay visible: anyone on it can be marked",
    "training.attendance_correct": "a correction to a register they run",
}

# (viewer, the agency of the person whose object is asked for, expected)
CASES = [
    ("limited to A", "A", "works"),
    ("limited to A", "B", 404),
    ("new coordinator, no agencies", "A", 404),
    ("coordinator, all agencies", "B", "works"),
    ("admin", "B", "works"),
]


class _Watched(dict):
    """A ctx that notes whether building a URL read the owner."""

    touched = False

    def __getitem__(self, key):
        if key == "person":
            self.touched = True
        return super().__getitem__(key)

    def setdefault(self, key, default=None):
        if key == "person":
            self.touched = True
        return super().setdefault(key, default)


def _values(rule, ctx):
    return {arg: (OWNED_PARAMS.get(arg) or PARAMS[arg])(ctx) for arg in rule.arguments}


def _person_routes(app):
    """(rule, method) of every route whose URL reaches a person, found by building it."""
    from volunteer_hub.models import Role as R

    found = []
    for rule, method in _routes(app):
        if not rule.arguments or rule.endpoint in NOT_SCOPED:
            continue
        ctx = _Watched(org=make_org(), person=make_user(R.VOLUNTEER))
        _values(rule, ctx)
        if ctx.touched:
            found.append((rule, method))
    return found


def _viewer(name, agencies):
    if name == "admin":
        return make_user(Role.ADMIN)
    if name == "coordinator, all agencies":
        return make_user(Role.COORDINATOR)
    return make_user(Role.COORDINATOR, agencies=[agencies["A"]] if name == "limited to A" else [])


def test_two_agencies_every_route_that_reaches_a_person(app):
    agencies = {"A": make_org("Agency A"), "B": make_org("Agency B")}
    make_user(Role.ADMIN)  # so an admin acting on someone is never "the last admin"
    routes = _person_routes(app)
    failures, checks = [], 0
    for rule, method in routes:
        for viewer_name, agency, expected in CASES:
            ctx = {"org": make_org(), "person": make_user(Role.VOLUNTEER, organisation=agencies[agency])}
            url = rule.build(_values(rule, ctx), append_unknown=False)[1]
            client = app.test_client()
            sign_in_as(client, _viewer(viewer_name, agencies))
            response = client.open(url, method=method, data={})
            code = response.status_code
            response.close()
            checks += 1
            if ACCESS[rule.endpoint] == "admin" and viewer_name != "admin":
                expected = 403  # the role is checked first
            works = code < 500 and code not in (403, 404) and not (code == 302 and "/auth/sign-in" in
                                                                    response.headers.get("Location", ""))
            if (expected == "works" and not works) or (expected != "works" and code != expected):
                failures.append(f"{viewer_name}, agency {agency}'s person: {method} {url} -> {code}, expected {expected}")
    print(f"two-agency matrix: {len(routes)} routes x {len(CASES)} cases = {checks} checks")
    assert len(routes) >= 20, [r.endpoint for r, _ in routes]  # the builders still reach people
    assert not failures, "\n".join(failures)


def test_routes_left_open_on_purpose_still_exist(app):
    endpoints = {rule.endpoint for rule, _ in _routes(app)}
    assert set(NOT_SCOPED) <= endpoints


# Pages that list people (or rows about them) without taking one in the URL: as a coordinator
# limited to A, every staff page with no URL argument names nobody of B; these name A's.
LISTS_PEOPLE = {"people.directory", "people.directory_export", "certificates.compliance",
                "certificates.compliance_export", "certificates.expiring"}
# Pages with no argument that may still name B's people, on purpose or not yet (see the reason).
LIST_EXCEPTIONS: dict[str, str] = {}


def _seed_person_everywhere(person):
    """Give `person` something on every list: a booking, an expiring certificate that is required,
    a kit bag holding stock with a movement, a radio on loan."""
    import datetime as dt

    from tests.factories_certificates import issue, make_course, require
    from tests.factories_equipment import make_asset, make_item, stock
    from tests.factories_training import make_booking, make_session
    from volunteer_hub.models import db
    from volunteer_hub.services import equipment as svc

    course = make_course(validity_months=1)
    require(course, role=Role.VOLUNTEER)
    issue(person, course, dt.date.today() - dt.timedelta(days=20))
    make_booking(make_session(), person)
    from tests.factories_certificates import make_session as past_session
    from tests.factories_certificates import mark
    from volunteer_hub.models import AttendanceStatus

    mark(past_session(course), person, AttendanceStatus.ABSENT)  # a no-show on a finalised register
    bag = svc.kit_bag_for(person)
    db.session.commit()
    stock(bag, make_item(), 3)
    svc.check_out_asset(make_asset(), person, dt.date.today() + dt.timedelta(days=3), by=person)
    db.session.commit()


def test_two_agencies_no_list_names_someone_outside(app):
    agencies = {"A": make_org("Agency A"), "B": make_org("Agency B")}
    amy = make_user(Role.VOLUNTEER, name="Amy Zqxinside", organisation=agencies["A"])
    bob = make_user(Role.VOLUNTEER, name="Bob Zqxoutside", organisation=agencies["B"])
    for person in (amy, bob):
        _seed_person_everywhere(person)
    client = app.test_client()
    sign_in_as(client, make_user(Role.COORDINATOR, agencies=[agencies["A"]]))
    failures, checked = [], 0
    for rule, method in _routes(app):
        if rule.arguments or method != "GET" or ACCESS[rule.endpoint] == "public" or rule.endpoint in LIST_EXCEPTIONS:
            continue
        # Bytes read leniently: some of these pages are PDFs (and name nobody).
        body = client.get(rule.build({}, append_unknown=False)[1]).get_data().decode("utf-8", "replace")
        if rule.endpoint == "equipment.stock":
            body += client.get("/equipment/stock?by=item").get_data(as_text=True)
        checked += 1
        if "Zqxoutside" in body:
            failures.append(f"{rule.rule} names a person outside the agencies")
        if rule.endpoint in LISTS_PEOPLE and "Zqxinside" not in body:
            failures.append(f"{rule.rule} does not list the agency's own person")
    print(f"two-agency lists: {checked} pages checked")
    assert not failures, "\n".join(failures)


def test_list_the_two_agency_routes(app):
    """Not a check: prints which routes the matrix found (run with -s)."""
    print(sorted(rule.endpoint for rule, _ in _person_routes(app)))
