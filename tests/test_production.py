"""Production responses: HSTS, the CSP's base-uri, cookie attributes, and ProxyFix by setting."""
from __future__ import annotations

import pytest
from flask import request

from tests.factories import PASSWORD, make_user
from volunteer_hub import create_app
from volunteer_hub.models import db

STRONG_KEY = "Zq3-pX9v_Lm2Rt7bWk4sYh8nCe1uJf6dGa5"


@pytest.fixture()
def make_app(app, monkeypatch):
    """An app of another configuration on the test database (the `app` fixture empties it after)."""
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    made = []

    def make(config="production", **overrides):
        other = create_app(config, SECRET_KEY=STRONG_KEY, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                           WTF_CSRF_ENABLED=False, VH_BASE_URL="https://vh.example.org", **overrides)
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_production_sends_hsts_for_a_year_with_subdomains(make_app):
    response = make_app().test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("config", ["development", "testing"])
def test_development_and_tests_send_no_hsts(make_app, config):
    response = make_app(config).test_client().get("/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_csp_forbids_base_elements(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "base-uri 'none'" in csp.split("; ")
    assert "<base" not in client.get("/").get_data(as_text=True)


def test_production_session_and_remember_cookies_are_secure_httponly_lax(make_app):
    user = make_user()
    client = make_app().test_client()
    response = client.post("/auth/sign-in", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= cookies.keys()
    for name in ("session", "remember_token"):
        attributes = {part.strip() for part in cookies[name].split(";")}
        assert {"Secure", "HttpOnly", "SameSite=Lax"} <= attributes, cookies[name]


def _address_app(make_app, proxies):
    other = make_app(VH_TRUSTED_PROXIES=proxies)
    other.add_url_rule("/_seen", "seen", lambda: f"{request.remote_addr} {request.scheme} {request.host}")
    return other.test_client()


def test_one_trusted_proxy_gives_the_client_address_from_x_forwarded_for(make_app):
    client = _address_app(make_app, 1)
    seen = client.get("/_seen", base_url="http://localhost", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                               "X-Forwarded-Host": "vh.example.org"}).get_data(as_text=True)
    assert seen == "203.0.113.7 https vh.example.org"


def test_one_trusted_proxy_believes_only_the_last_address(make_app):
    client = _address_app(make_app, 1)
    seen = client.get("/_seen", base_url="http://localhost", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                      headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}).get_data(as_text=True)
    assert seen.split()[0] == "203.0.113.7"  # the first one is whatever the client claimed


@pytest.mark.parametrize("proxies", [0, None])
def test_no_trusted_proxy_ignores_x_forwarded_for(make_app, proxies):
    client = _address_app(make_app, proxies)
    seen = client.get("/_seen", base_url="http://localhost", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}).get_data(as_text=True)
    assert seen == "10.0.0.1 http localhost"


def test_trusted_proxies_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("VH_TRUSTED_PROXIES", "2")
    assert make_app().config["VH_TRUSTED_PROXIES"] == 2
