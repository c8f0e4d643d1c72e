"""Unsafe production settings, kept as data: `CHECKS` is a list of functions, each looking at the
settings (and the environment the server runs in) and returning a `Problem` (what is wrong and
how to fix it) or None. `DATABASE_CHECKS` also read the database.

Two users: `flask check-deploy` prints every problem and exits 1 if there is any; and a
production start-up (`create_app` under gunicorn) refuses the fatal ones with InsecureConfiguration
and logs the rest.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import shlex
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import click
from flask.cli import ScriptInfo, pass_script_info

from volunteer_hub.config import BaseConfig, InsecureConfiguration

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    setting: str
    message: str
    fix: str
    fatal: bool = False  # production refuses to start

    def __str__(self) -> str:
        return f"{self.setting}: {self.message} Fix: {self.fix}"


Check = Callable[[Mapping[str, Any], Mapping[str, str]], "Problem | None"]


# --- the settings --------------------------------------------------------------------------------
def check_production_config(config, environ):
    if config.get("VH_ENV") != "production":
        return Problem("VH_CONFIG", f"the site runs with the {config.get('VH_ENV')!r} settings, not production.",
                       "Set VH_CONFIG=production where the server and the jobs run.")
    return None


def check_debug(config, environ):
    if config.get("DEBUG"):
        return Problem("DEBUG", "debug mode is on: errors show code and settings to whoever caused them.",
                       "Remove FLASK_DEBUG (or set FLASK_DEBUG=0).", fatal=True)
    return None


def check_secret_key(config, environ):
    key = config.get("SECRET_KEY")
    if not key or len(key) < 32 or len(set(key)) < 10:
        return Problem("SECRET_KEY", "SECRET_KEY is missing or weak: anyone who guesses it can sign in as anyone.",
                       "Set SECRET_KEY in the environment to a random value of at least 32 characters, for example "
                       "the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'", fatal=True)
    return None


def gunicorn_workers(environ: Mapping[str, str]) -> int | None:
    """The number of gunicorn workers the environment asks for (GUNICORN_CMD_ARGS, then
    WEB_CONCURRENCY, as gunicorn reads them), or None if it does not say."""
    words = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    for i, word in enumerate(words):
        value = None
        if word in ("-w", "--workers") and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith("--workers="):
            value = word.split("=", 1)[1]
        elif word.startswith("-w") and word[2:].isdigit():
            value = word[2:]
        if value is not None and value.isdigit():
            return int(value)
    concurrency = environ.get("WEB_CONCURRENCY", "")
    return int(concurrency) if concurrency.isdigit() else None


def check_sqlite_workers(config, environ):
    workers = gunicorn_workers(environ)
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite") and workers and workers > 1:
        return Problem("DATABASE_URL", f"the database is SQLite and gunicorn runs {workers} workers: they queue for "
                       "one file lock, and the data lives on this machine alone.",
                       "Use PostgreSQL (DATABASE_URL=postgresql://user:pass@host/db), or run one worker.")
    return None


def check_rate_limit_storage(config, environ):
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        return Problem("RATELIMIT_STORAGE_URI", "rate limits are kept in each worker's memory: every worker counts "
                       "on its own (four workers allow four times the sign-in guesses) and a restart forgets them; "
                       "and without Redis, a second host does not hear that an account changed (signing out "
                       "everywhere reaches it only after VH_SIGNED_IN_CACHE_SECONDS) nor that data changed (its impact "
                       "report may be up to VH_REPORT_CACHE_SECONDS old).",
                       "Set RATELIMIT_STORAGE_URI=redis://host:6379/0, one Redis shared by every worker and host.")
    return None


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(config, environ):
    url = config.get("VH_BASE_URL") or ""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and url != BaseConfig.VH_BASE_URL:
        return None
    unset = url in ("", BaseConfig.VH_BASE_URL)
    said = "is not set" if unset else f"is {url!r}, not an https:// address"
    # Fatal only for a public host: the benchmark and the tests serve plain HTTP on loopback.
    return Problem("VH_BASE_URL", f"VH_BASE_URL {said}: links in emails, calendar feeds and QR codes would not "
                   "reach the site, or would reach it without TLS.",
                   "Set VH_BASE_URL to the site's public address, e.g. https://volunteers.example.org",
                   fatal=not unset and not is_loopback(parts.hostname))


def check_mail_backend(config, environ):
    if config.get("VH_MAIL_BACKEND") == "console":
        return Problem("VH_MAIL_BACKEND", "email is printed to the console, never sent: nobody gets confirmations, "
                       "reminders or password resets, and their links end up in the logs.",
                       "Set VH_MAIL_BACKEND=smtp and the MAIL_* settings of your mail server.")
    return None


def check_trusted_proxies(config, environ):
    if config.get("VH_TRUSTED_PROXIES") is None:
        return Problem("VH_TRUSTED_PROXIES", "the number of proxies in front of the site is not set: behind one, every "
                       "request seems to come from the proxy (one rate limit for everybody, the proxy's address in "
                       "the audit trail).",
                       "Set VH_TRUSTED_PROXIES to the number of proxies that add X-Forwarded-For (usually 1), "
                       "or to 0 if browsers connect to gunicorn directly.")
    return None


def check_cookies(config, environ):
    weak = [name for name, want in [("SESSION_COOKIE_SECURE", True), ("REMEMBER_COOKIE_SECURE", True),
                                    ("SESSION_COOKIE_HTTPONLY", True), ("REMEMBER_COOKIE_HTTPONLY", True),
                                    ("SESSION_COOKIE_SAMESITE", "Lax"), ("REMEMBER_COOKIE_SAMESITE", "Lax")]
            if config.get(name) != want]
    if weak:
        return Problem("cookies", f"{', '.join(weak)} differ from the production settings: the sign-in cookie could "
                       "travel over plain HTTP, be read by scripts or ride on other sites' forms.",
                       "Remove FLASK_" + " and FLASK_".join(weak) + " from the environment.")
    return None


def check_hsts(config, environ):
    if int(config.get("VH_HSTS_SECONDS") or 0) < 180 * 24 * 3600:
        return Problem("VH_HSTS_SECONDS", "browsers are not told to use HTTPS only (Strict-Transport-Security is off "
                       "or shorter than six months).", "Remove FLASK_VH_HSTS_SECONDS from the environment (a year).")
    return None


def check_privacy_contact(config, environ):
    if not str(config.get("VH_PRIVACY_CONTACT") or "").strip():
        return Problem("VH_PRIVACY_CONTACT", "the privacy notice names no one to write to about personal data.",
                       "Set FLASK_VH_PRIVACY_CONTACT to the partnership's data protection email address.")
    return None


CHECKS: list[Check] = [
    check_production_config,
    check_debug,
    check_secret_key,
    check_sqlite_workers,
    check_rate_limit_storage,
    check_base_url,
    check_mail_backend,
    check_trusted_proxies,
    check_cookies,
    check_hsts,
    check_privacy_contact,
]


# --- the database --------------------------------------------------------------------------------
def _second_factor_column():
    """users.totp_enabled_at once two-step sign-in exists; None before (the check is skipped)."""
    from volunteer_hub.models import User

    return getattr(User, "totp_enabled_at", None)


def check_staff_second_factor(config, environ):
    from sqlalchemy import select

    from volunteer_hub.models import Role, User, UserRole, db

    column = _second_factor_column()
    if column is None:
        return None
    ids = db.session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.COORDINATOR, Role.ADMIN]), User.is_active.is_(True), column.is_(None))
        .distinct().order_by(User.id)
    ).all()
    if ids:
        shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
        return Problem("two-step sign-in", f"{len(ids)} coordinator(s) or admin(s) have no second factor "
                       f"(user ids {shown}): a stolen password opens everyone's personal data.",
                       "Ask each to sign in and set up two-step sign-in (the site makes them before any other page).")
    return None


DATABASE_CHECKS: list[Check] = [check_staff_second_factor]


# --- using them ----------------------------------------------------------------------------------
def settings_problems(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[Problem]:
    environ = os.environ if environ is None else environ
    return [p for check in CHECKS if (p := check(config, environ)) is not None]


def database_problems(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Needs an app context. A database that cannot be read is itself a problem."""
    from sqlalchemy.exc import SQLAlchemyError

    from volunteer_hub.models import db

    environ = os.environ if environ is None else environ
    found = []
    for check in DATABASE_CHECKS:
        try:
            problem = check(config, environ)
        except SQLAlchemyError as error:
            db.session.rollback()
            problem = Problem("DATABASE_URL", f"could not read the database ({type(error).__name__}).",
                              "Run `flask db upgrade`, and run this check where DATABASE_URL is reachable.")
        if problem is not None:
            found.append(problem)
    return found


_checking: ContextVar[bool] = ContextVar("vh_checking_deploy", default=False)


@contextmanager
def reporting_instead_of_refusing():
    """While `flask check-deploy` loads the app: fatal problems are reported, not raised."""
    token = _checking.set(True)
    try:
        yield
    finally:
        _checking.reset(token)


def refuse_unsafe_production(app) -> None:
    """At start-up in production: raise InsecureConfiguration for the fatal problems, log the others."""
    if app.config.get("VH_ENV") != "production" or _checking.get():
        return
    problems = settings_problems(app.config)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise InsecureConfiguration("Refusing to start with unsafe production settings:\n"
                                    + "\n".join(f"- {p}" for p in fatal))
    for problem in problems:
        if not problem.fatal:
            log.warning("unsafe production setting (see `flask check-deploy`): %s", problem)


@click.command("check-deploy", help="List every unsafe production setting with its fix; exit 1 if there is any. "
               "Run it with the server's environment before each release.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="The number of gunicorn workers you run (else read from GUNICORN_CMD_ARGS or WEB_CONCURRENCY).")
@pass_script_info
def check_deploy_command(info: ScriptInfo, workers: int | None):
    with reporting_instead_of_refusing():
        app = info.load_app()
    environ = dict(os.environ)
    if workers is not None:
        environ["GUNICORN_CMD_ARGS"] = f"--workers {workers}"
    with app.app_context():
        problems = settings_problems(app.config, environ) + database_problems(app.config, environ)
    for problem in problems:
        label = "FATAL (production will not start)" if problem.fatal else "problem"
        click.echo(f"{label}: {problem.setting}: {problem.message}\n    fix: {problem.fix}")
    if problems:
        click.echo(f"{len(problems)} unsafe setting(s) for production.")
        raise click.exceptions.Exit(1)
    click.echo("No problems: these settings are safe for production.")
