import pytest

from volunteer_hub import create_app
from volunteer_hub.config import InsecureConfiguration, normalise_database_url


@pytest.mark.parametrize("key", [None, "short", "a" * 40])
def test_production_refuses_missing_or_weak_secret_key(monkeypatch, key):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    overrides = {} if key is None else {"SECRET_KEY": key}
    with pytest.raises(InsecureConfiguration, match="Set SECRET_KEY"):
        create_app("production", **overrides)


def test_production_starts_with_a_strong_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "Zq3-pX9v_Lm2Rt7bWk4sYh8nCe1uJf6dGa5")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/prod")
    app = create_app("production")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/prod"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_sets_mail_and_rate_limit_storage(monkeypatch):
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    app = create_app("testing")
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"]) == ("smtp.example.org", 2525, True)


def test_database_urls_use_psycopg3():
    assert normalise_database_url("postgresql://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_argon2id_parameters_meet_owasp_minimum(app):
    from volunteer_hub.services.passwords import hash_password

    encoded = hash_password("a long enough password")
    assert encoded.startswith("$argon2id$")
    params = dict(p.split("=") for p in encoded.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2



def test_only_decorated_views_pay_for_rate_limits_unless_a_site_wide_limit_is_set(app):
    """The before-request check (which only adds default and application-wide limits) is taken
    out, as this site sets none; a deployment that sets a default limit keeps it on every page."""
    from flask import Flask
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from volunteer_hub import _limit_only_where_decorated
    from volunteer_hub.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])  # noqa: SLF001
    # A fresh app and limiter (the site's limiter is shared by every app the tests make).
    other = Flask("limited")
    other.config.update(RATELIMIT_DEFAULT="2 per minute", RATELIMIT_STORAGE_URI="memory://")
    other_limiter = Limiter(key_func=get_remote_address)
    other_limiter.init_app(other)
    other.add_url_rule("/page", "page", lambda: "ok")
    _limit_only_where_decorated(other, other_limiter)
    client = other.test_client()
    assert [client.get("/page").status_code for _ in range(3)] == [200, 200, 429]
