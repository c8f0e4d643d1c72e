import re

import pytest

from tests.factories import sign_in_as


def test_healthz_is_plain_text_and_does_not_touch_the_database(client, app, monkeypatch):
    from volunteer_hub.models import db

    def boom(*a, **k):
        raise AssertionError("healthz touched the database")

    monkeypatch.setattr(db.session, "execute", boom)
    r = client.get("/healthz")
    assert r.status_code == 200 and r.mimetype == "text/plain" and r.data == b"ok\n"


def test_readyz_checks_the_database(client):
    assert client.get("/readyz").data == b"ready\n"


def test_pages_carry_a_strict_content_security_policy(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp


def test_no_inline_scripts_or_styles_in_pages(client, coordinator):
    sign_in_as(client, coordinator)
    for path in ("/", "/home", "/people", "/organisations", "/profile", "/privacy", "/accessibility"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page and "<style" not in page, path


def test_signed_out_home_says_what_the_site_is(client):
    page = client.get("/").get_data(as_text=True)
    assert "Sign up as a volunteer" in page and "Sign in" in page
    assert "Privacy notice" in page and "Accessibility statement" in page


def test_unknown_page_is_a_friendly_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Page not found" in r.get_data(as_text=True)


def test_unknown_ids_are_404(client, coordinator):
    sign_in_as(client, coordinator)
    assert client.get("/people/999999").status_code == 404
    assert client.post("/organisations/999999/retire").status_code == 404


def test_missing_csrf_token_is_a_400_not_a_change(app, volunteer):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in_as(client, volunteer)
    r = client.post("/profile", data={"name": "Changed"})
    assert r.status_code == 400 and "Reload the page" in r.get_data(as_text=True)
    from volunteer_hub.models import User, db

    assert db.session.get(User, volunteer.id).name == "Vera Volunteer"


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture()
def ticking_signatures(monkeypatch):
    """Every signature made a second after the last, as if each page were opened a second apart."""
    from itsdangerous import TimestampSigner

    seconds = iter(range(1_800_000_000, 1_900_000_000))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(seconds))


def test_the_csrf_token_is_signed_once_and_is_accepted_on_a_later_page(app, volunteer, ticking_signatures):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in_as(client, volunteer)
    first = _csrf_token(client.get("/accessibility").get_data(as_text=True))
    second = _csrf_token(client.get("/profile").get_data(as_text=True))
    assert first == second  # no time limit: the token signed for the first page is kept
    assert client.post("/profile", data={"csrf_token": first, "name": "Vera Changed"}).status_code == 302
    from volunteer_hub.models import User, db

    assert db.session.get(User, volunteer.id).name == "Vera Changed"


def test_with_a_time_limit_or_a_new_key_each_page_signs_its_own_token(app, volunteer, ticking_signatures):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in_as(client, volunteer)
    first = _csrf_token(client.get("/accessibility").get_data(as_text=True))
    app.config["WTF_CSRF_SECRET_KEY"] = "another key, after a rotation"
    rotated = _csrf_token(client.get("/accessibility").get_data(as_text=True))
    assert rotated != first
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert len({_csrf_token(client.get("/accessibility").get_data(as_text=True)) for _ in range(2)}) == 2


def test_too_long_values_are_refused_by_the_field(client, volunteer):
    sign_in_as(client, volunteer)
    page = client.post("/profile", data={"name": "x" * 500}).get_data(as_text=True)
    assert 'id="name-error"' in page


def test_a_crash_shows_the_friendly_500_and_rolls_back(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    r = app.test_client().get("/__boom")
    assert r.status_code == 500 and "Nothing was saved" in r.get_data(as_text=True)


def test_home_page_loads_the_styles_its_panels_use(client, volunteer):
    """Without certificates.css, a status badge is white text on white: present but unreadable."""
    sign_in_as(client, volunteer)
    page = client.get("/home").get_data(as_text=True)
    for sheet in ("training", "certificates", "equipment"):
        assert f"/static/css/{sheet}.css" in page
