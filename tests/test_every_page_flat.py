"""Every GET page of the URL map, not a chosen few: the same number of SQL queries at two data
sizes and at most MAX_QUERIES (10), and a page that does not grow with the data (issue 16). Pages that must stream (CSV, PDF, calendar, zip) are exempt from the size check.

URL arguments come from the access tests' builders (tests/access/<area>.py), signed in as an admin
(who passes every role check); the data grows as in test_query_counts.py."""
from __future__ import annotations

import pytest

from tests.access import ACCESS, PARAMS
from tests.factories import make_org, make_user, sign_in_as
from tests.test_query_counts import LARGE, MAX_QUERIES, SMALL, _grow
from volunteer_hub.models import Role, db

SKIP = {"static", "bootstrap.static"}
STREAMS = (".csv", ".pdf", ".ics", ".zip")
# Bytes a page may grow by between SMALL and LARGE people (a list of 25 rows a page is full at LARGE).
GROWTH_BYTES = 30_000  # twice the most any page grows today (the compliance matrix filling its first page)
MAX_BYTES = 200_000


def _get_routes(app):
    return sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint not in SKIP),
                  key=lambda r: r.rule)


def _measure(app, client, rules, ctx) -> dict[str, tuple[int, int, int]]:
    """{url rule: (status, queries, bytes)} for one GET of each page."""
    out = {}
    for rule in rules:
        url = rule.build({arg: PARAMS[arg](ctx) for arg in rule.arguments}, append_unknown=False)[1]
        client.get(url)  # warm: a first request may load things once per process
        response = client.get(url)
        out[rule.rule] = (response.status_code, int(response.headers.get("X-Query-Count", "0")), len(response.data))
        response.close()
        db.session.rollback()
    return out


def test_every_get_page_costs_the_same_whatever_the_data(app, client):
    app.config["VH_COUNT_QUERIES"] = True
    viewer = make_user(Role.ADMIN, name="Viewer")
    sign_in_as(client, viewer)
    data = {"orgs": [], "people": [], "viewer": viewer}
    ctx = {"org": make_org(), "person": make_user(Role.VOLUNTEER)}
    rules = _get_routes(app)
    for rule in rules:  # build every URL's objects first, so both sizes see the same ones
        rule.build({arg: PARAMS[arg](ctx) for arg in rule.arguments}, append_unknown=False)
    sizes = []
    for size in (SMALL, LARGE):
        _grow(data, size)
        sign_in_as(client, viewer)
        sizes.append(_measure(app, client, rules, ctx))
    small, large = sizes
    failures = []
    for rule in rules:
        (s_status, s_queries, s_bytes), (l_status, l_queries, l_bytes) = small[rule.rule], large[rule.rule]
        if max(s_status, l_status) >= 500:
            failures.append(f"{rule.rule}: {s_status} / {l_status}")
        if s_queries != l_queries:
            failures.append(f"{rule.rule}: {s_queries} queries with {SMALL} people, {l_queries} with {LARGE}")
        if l_queries > MAX_QUERIES:
            failures.append(f"{rule.rule}: {l_queries} queries (at most {MAX_QUERIES})")
        if not rule.rule.endswith(STREAMS) and (l_bytes - s_bytes > GROWTH_BYTES or l_bytes > MAX_BYTES):
            failures.append(f"{rule.rule}: {s_bytes} bytes with {SMALL} people, {l_bytes} with {LARGE}")
    print(f"{len(rules)} GET pages measured")
    assert not failures, "\n".join(failures)


def test_every_get_route_is_measured(app):
    """A new GET route is measured without being listed anywhere (its URL builder aside)."""
    assert all(rule.endpoint in ACCESS for rule in _get_routes(app))
    assert len(_get_routes(app)) > 60
    with pytest.raises(KeyError):
        PARAMS["no such argument"]
