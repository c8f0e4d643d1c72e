"""`flask check-deploy` and the production start-up: every unsafe setting is named with its fix,
the fatal ones stop the server."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.cli import ScriptInfo

from tests.factories import make_user
from volunteer_hub import create_app
from volunteer_hub import deploy_checks as checks
from volunteer_hub.config import InsecureConfiguration, ProductionConfig
from volunteer_hub.models import Role, User

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "Zq3-pX9v_Lm2Rt7bWk4sYh8nCe1uJf6dGa5"
SAFE = {
    "SECRET_KEY": STRONG_KEY,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://vh@db.example/vh",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
    "VH_BASE_URL": "https://volunteers.example.org",
    "VH_MAIL_BACKEND": "smtp",
    "VH_TRUSTED_PROXIES": 1,
    "VH_PRIVACY_CONTACT": "privacy@example.org",
}


def production(**changes) -> dict:
    config = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    return {**config, **SAFE, **changes}


def problems(config, environ=None) -> dict[str, checks.Problem]:
    return {p.setting: p for p in checks.settings_problems(config, environ or {})}


def test_safe_production_settings_have_no_problems():
    assert problems(production()) == {}


@pytest.mark.parametrize("changes,environ,setting,fatal", [
    ({"VH_ENV": "development"}, {}, "VH_CONFIG", False),
    ({"DEBUG": True}, {}, "DEBUG", True),
    ({"SECRET_KEY": None}, {}, "SECRET_KEY", True),
    ({"SECRET_KEY": "short"}, {}, "SECRET_KEY", True),
    ({"SECRET_KEY": "a" * 40}, {}, "SECRET_KEY", True),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:///vh.db"}, {"WEB_CONCURRENCY": "4"}, "DATABASE_URL", False),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:///vh.db"}, {"GUNICORN_CMD_ARGS": "-b :8000 --workers=3"}, "DATABASE_URL", False),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, {}, "RATELIMIT_STORAGE_URI", False),
    ({"VH_BASE_URL": ProductionConfig.VH_BASE_URL}, {}, "VH_BASE_URL", False),  # never set: the loopback default
    ({"VH_BASE_URL": "http://127.0.0.1:8000"}, {}, "VH_BASE_URL", False),  # the benchmark and the tests
    ({"VH_BASE_URL": "http://volunteers.example.org"}, {}, "VH_BASE_URL", True),
    ({"VH_BASE_URL": "https:volunteers.example.org"}, {}, "VH_BASE_URL", True),
    ({"VH_MAIL_BACKEND": "console"}, {}, "VH_MAIL_BACKEND", False),
    ({"VH_TRUSTED_PROXIES": None}, {}, "VH_TRUSTED_PROXIES", False),
    ({"SESSION_COOKIE_SECURE": False}, {}, "cookies", False),
    ({"REMEMBER_COOKIE_SAMESITE": None}, {}, "cookies", False),
    ({"VH_HSTS_SECONDS": 0}, {}, "VH_HSTS_SECONDS", False),
    ({"VH_PRIVACY_CONTACT": " "}, {}, "VH_PRIVACY_CONTACT", False),
])
def test_each_unsafe_setting_is_named_with_its_fix(changes, environ, setting, fatal):
    found = problems(production(**changes), environ)
    assert list(found) == [setting]
    assert found[setting].fix and found[setting].fatal is fatal


def test_sqlite_with_one_worker_or_an_unknown_number_is_not_a_problem():
    assert problems(production(SQLALCHEMY_DATABASE_URI="sqlite:///vh.db"), {"WEB_CONCURRENCY": "1"}) == {}
    assert problems(production(SQLALCHEMY_DATABASE_URI="sqlite:///vh.db"), {}) == {}


def test_no_trusted_proxies_said_out_loud_is_not_a_problem():
    assert problems(production(VH_TRUSTED_PROXIES=0)) == {}


@pytest.mark.parametrize("environ,workers", [
    ({}, None), ({"WEB_CONCURRENCY": "4"}, 4), ({"GUNICORN_CMD_ARGS": "-w 2"}, 2), ({"GUNICORN_CMD_ARGS": "-w5"}, 5),
    ({"GUNICORN_CMD_ARGS": "--workers 6", "WEB_CONCURRENCY": "2"}, 6), ({"GUNICORN_CMD_ARGS": "--bind :80"}, None),
])
def test_gunicorn_workers_are_read_as_gunicorn_reads_them(environ, workers):
    assert checks.gunicorn_workers(environ) == workers


# --- the database check --------------------------------------------------------------------------
def test_second_factor_check_is_skipped_until_the_column_exists(app, monkeypatch):
    monkeypatch.setattr(checks, "_second_factor_column", lambda: None)
    make_user(Role.ADMIN)
    assert checks.database_problems(app.config, {}) == []


def test_second_factor_check_names_active_staff_without_one(app, monkeypatch):
    # Stand-in until users.totp_enabled_at exists: a column that is NULL for some people.
    monkeypatch.setattr(checks, "_second_factor_column", lambda: User.confirmed_at)
    without = make_user(Role.COORDINATOR, confirmed=False)
    make_user(Role.ADMIN, Role.COORDINATOR, confirmed=True)
    make_user(Role.VOLUNTEER, confirmed=False)
    make_user(Role.ADMIN, confirmed=False, active=False)
    [problem] = checks.database_problems(app.config, {})
    assert problem.setting == "two-step sign-in"
    assert f"1 coordinator(s) or admin(s) have no second factor (user ids {without.id})" in problem.message


# --- the command ---------------------------------------------------------------------------------
@pytest.fixture()
def run_check(app, monkeypatch):
    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(checks, "_second_factor_column", lambda: None)

    def run(**overrides):
        def load():
            return create_app("production", **{**SAFE, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                               **overrides})

        return app.test_cli_runner().invoke(args=["check-deploy"], obj=ScriptInfo(create_app=load))

    return run


def test_check_deploy_says_no_problems_and_exits_zero(run_check):
    result = run_check()
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No problems: these settings are safe for production."


def test_check_deploy_lists_every_problem_with_its_fix_even_fatal_ones(run_check):
    result = run_check(SECRET_KEY="short", VH_MAIL_BACKEND="console", RATELIMIT_STORAGE_URI="memory://")
    assert result.exit_code == 1
    assert "FATAL (production will not start): SECRET_KEY" in result.output
    assert "problem: VH_MAIL_BACKEND" in result.output and "problem: RATELIMIT_STORAGE_URI" in result.output
    assert result.output.count("    fix: ") == 3
    assert result.output.strip().endswith("3 unsafe setting(s) for production.")


def _production_environment(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VH_", "FLASK_", "TEST_", "GUNICORN", "WEB_C"))}
    env.update({"VH_CONFIG": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_URL": "sqlite://",
                "VH_BASE_URL": "https://volunteers.example.org", "VH_TRUSTED_PROXIES": "1",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"})
    env.update(changes)
    return env


def test_flask_check_deploy_runs_when_the_settings_stop_the_app(tmp_path):
    """The command is a `flask.commands` entry point: it runs although create_app would refuse."""
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "volunteer_hub", "check-deploy"],
                          env=_production_environment(SECRET_KEY="short", VH_BASE_URL="http://volunteers.example.org"),
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "FATAL (production will not start): SECRET_KEY" in done.stdout
    assert "FATAL (production will not start): VH_BASE_URL" in done.stdout
    assert "Traceback" not in done.stderr


# --- start-up ------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides,says", [
    ({"DEBUG": True}, "DEBUG: debug mode is on"),
    ({"VH_BASE_URL": "http://volunteers.example.org"}, "VH_BASE_URL"),
    ({"SECRET_KEY": "x" * 10}, "Set SECRET_KEY"),
])
def test_production_refuses_to_start_on_a_fatal_setting(overrides, says):
    with pytest.raises(InsecureConfiguration, match=says):
        create_app("production", **{**SAFE, "SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})


def test_production_starts_on_loopback_http_with_memory_limits_and_console_mail():
    """What bench/run.py and tests/live_server.py run: unsafe for the internet, but not fatal."""
    app = create_app("production", SECRET_KEY=STRONG_KEY, SQLALCHEMY_DATABASE_URI="sqlite://",
                     VH_BASE_URL="http://127.0.0.1:5150", VH_MAIL_BACKEND="console", RATELIMIT_STORAGE_URI="memory://",
                     SESSION_COOKIE_SECURE=False)
    assert app.config["VH_ENV"] == "production"


@pytest.mark.slow
def test_gunicorn_refuses_to_start_with_a_weak_secret_key(tmp_path):
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "volunteer_hub:create_app()"],
                          env=_production_environment(SECRET_KEY="weak"), cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "Refusing to start with unsafe production settings" in done.stderr
    assert "SECRET_KEY is missing or weak" in done.stderr
