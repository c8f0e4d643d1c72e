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
