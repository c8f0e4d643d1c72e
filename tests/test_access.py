"""Every route, every role (and signed out): the answer must match who may use it.

Each endpoint is classified below; a new route that is not classified fails this test, so
access is decided on purpose. Levels: public, user (any signed-in person), trainer, staff
(coordinator or admin), admin.
"""
import pytest

from tests.factories import make_org, make_user, sign_in_as
from volunteer_hub.models import Role

ACCESS = {
    "static": "public",
    "bootstrap.static": "public",
    "main.index": "public",
    "main.healthz": "public",
    "main.readyz": "public",
    "main.privacy": "public",
    "main.accessibility": "public",
    "main.dashboard": "user",
    "auth.sign_up": "public",
    "auth.sign_in": "public",
    "auth.sign_out": "public",
    "auth.email_confirm": "public",
    "auth.email_unconfirmed": "user",
    "auth.password_forgot": "public",
    "auth.password_reset": "public",
    "auth.password_set": "public",
    "auth.password_change": "user",
    "auth.email_change": "user",
    "auth.email_change_confirm": "public",
    "people.profile": "user",
    "people.directory": "staff",
    "people.directory_export": "staff",
    "people.person": "staff",
    "people.person_dbs": "staff",
    "people.person_roles": "admin",
    "people.person_deactivate": "staff",
    "people.person_reactivate": "staff",
    "people.people_import": "staff",
    "people.organisations": "staff",
    "people.organisation_edit": "staff",
    "people.organisation_retire": "staff",
    "people.organisation_restore": "staff",
}

ALLOWED = {
    "public": {None, Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN},
    "user": {Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN},
    "trainer": {Role.TRAINER, Role.COORDINATOR, Role.ADMIN},
    "staff": {Role.COORDINATOR, Role.ADMIN},
    "admin": {Role.ADMIN},
}

# Values for URL parameters; areas add theirs (see `url_values` fixture).
PARAM_FACTORIES = {
    "user_id": lambda ctx: ctx["person"].id,
    "org_id": lambda ctx: ctx["org"].id,
    "token": lambda ctx: "not-a-real-token",
    "filename": lambda ctx: "css/app.css",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(m for m in rule.methods if m in {"GET", "POST"})
        yield rule, ("GET" if "GET" in methods else methods[0])


def test_every_route_is_classified(app):
    missing = sorted({rule.endpoint for rule, _ in _routes(app)} - set(ACCESS))
    assert not missing, f"classify these endpoints in tests/test_access.py: {missing}"


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
        values = {arg: PARAM_FACTORIES[arg](ctx) for arg in rule.arguments}
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
            expected = (302,) if role is None else (403,)
            if code not in expected or (role is None and not sent_to_sign_in):
                failures.append(f"{method} {url}: {code}, expected {expected[0]}")
    assert not failures, "\n".join(failures)
