"""Bad input never gives a 500: every POST route, as an admin (who may use them all), gets
nonsense in every field a form here uses, and every route with an id gets ids that do not exist."""
import pytest

from tests.access import PARAMS
from tests.factories import make_org, make_user, sign_in_as
from volunteer_hub.models import Role

NONSENSE = {
    "x" * 5000: "very long",
    "": "empty",
    "-5": "negative",
    "0": "zero",
    "abc": "not a number",
    "2026-13-45": "impossible date",
    "<script>alert(1)</script>": "markup",
    "999999999999999999999999": "huge number",
}

# Every field name the site's forms use (a wrong name is simply ignored by WTForms).
FIELDS = [
    "name", "email", "password", "current_password", "preferred_name", "phone", "organisation_id", "kind",
    "roles", "dbs_checked_on", "dbs_renew_by", "title", "summary", "description", "duration_minutes",
    "validity_months", "prerequisite_id", "course_id", "starts_on", "starts_at", "start_date", "start_time",
    "end_time", "ends_at", "place", "online_url", "capacity", "trainers", "trainer_ids", "booking_opens_at",
    "booking_closes_at", "cancellation_cutoff_at", "notes", "reason", "status", "user_id", "session_id",
    "target_session_id", "quantity", "item_id", "holder_id", "to_holder_id", "from_holder_id", "supplier",
    "batch", "use_by", "place_id", "place_text", "time_band", "event", "idempotency_key", "serial", "due_on",
    "counted", "code", "number", "issuer", "issued_on", "expires_on", "evidence", "date", "on", "from", "to",
    "low_stock_level", "unit", "recipients", "holders", "reminder_hours", "new_date", "file",
    *(f"qty_{n}" for n in range(1, 8)), *(f"count_{n}" for n in range(1, 8)),  # per-item fields
]


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            yield rule


@pytest.mark.parametrize("value", list(NONSENSE), ids=list(NONSENSE.values()))
def test_nonsense_in_every_field_of_every_form_is_never_a_500(app, value):
    ctx = {"org": make_org(), "person": make_user(Role.VOLUNTEER)}
    ctx["extra_admin"] = make_user(Role.ADMIN)
    admin = make_user(Role.ADMIN, Role.TRAINER, Role.COORDINATOR)
    failures = []
    for rule in _post_routes(app):
        if rule.endpoint == "auth.sign_out":
            continue
        client = app.test_client()
        sign_in_as(client, admin)
        url = rule.build({arg: PARAMS[arg](ctx) for arg in rule.arguments}, append_unknown=False)[1]
        data = dict.fromkeys(FIELDS, value)
        response = client.post(url, data=data)
        if response.status_code >= 500:
            failures.append(f"POST {url}: {response.status_code}")
        response.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("missing", [987654, 10**20], ids=["unknown id", "id past any INTEGER column"])
def test_ids_that_do_not_exist_are_404(app, missing):
    admin = make_user(Role.ADMIN, Role.TRAINER, Role.COORDINATOR)
    failures = []
    for rule in app.url_map.iter_rules():
        int_args = [a for a in rule.arguments if "id" in a]
        if not int_args or rule.endpoint == "static":
            continue
        values = dict.fromkeys(int_args, missing)
        values.update({a: "retire" for a in rule.arguments if a == "action"})
        values.update({a: "out" for a in rule.arguments if a == "phase"})
        url = rule.build(values, append_unknown=False)[1]
        if str(missing) not in url:
            continue
        client = app.test_client()
        sign_in_as(client, admin)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={})
            if response.status_code != 404:
                failures.append(f"{method} {url}: {response.status_code}")
            response.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("page", ["99999999999999999999999", "400000000000000000", "-3", "x"])
def test_any_page_number_on_any_list_is_never_a_500(app, page):
    admin = make_user(Role.ADMIN, Role.TRAINER, Role.COORDINATOR)
    client = app.test_client()
    sign_in_as(client, admin)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        response = client.get(f"{rule.rule}?page={page}")
        if response.status_code >= 500:
            failures.append(f"GET {rule.rule}?page={page}: {response.status_code}")
        response.close()
    assert not failures, "\n".join(failures)
