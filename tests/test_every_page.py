"""Every GET page of the URL map, as every role that may open it, with CSRF switched on: each
must pass the checks every page must pass (tests/pages.py: a title, one h1, no duplicate ids,
CSRF tokens on POST forms, a label for every control)."""
import pytest

from tests.access import ACCESS, PARAMS
from tests.factories import make_org, make_user, sign_in_as
from tests.pages import PageReader
from tests.test_access import ALLOWED
from volunteer_hub.models import Role

NOT_PAGES = {"static", "bootstrap.static", "main.healthz", "main.readyz"}


def _html_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES:
            yield rule


@pytest.mark.parametrize("role", [None, Role.VOLUNTEER, Role.TRAINER, Role.COORDINATOR, Role.ADMIN],
                         ids=["signed-out", "volunteer", "trainer", "coordinator", "admin"])
def test_every_page_has_what_every_page_must_have(app, role):
    app.config["WTF_CSRF_ENABLED"] = True
    ctx = {"org": make_org(), "person": make_user(Role.VOLUNTEER)}
    viewer = make_user(role) if role is not None else None
    failures = []
    for rule in _html_routes(app):
        if role not in ALLOWED[ACCESS[rule.endpoint]] and ACCESS[rule.endpoint] != "owner":
            continue
        client = app.test_client()
        if viewer is not None:
            sign_in_as(client, viewer)
        url = rule.build({arg: PARAMS[arg](ctx) for arg in rule.arguments}, append_unknown=False)[1]
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        reader = PageReader(client, csrf=True)
        try:
            reader._read(response, None, url)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)
