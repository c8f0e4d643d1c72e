"""Settings. Defaults live here; secrets and anything per-deployment come from the environment.

`create_app()` loads one of these classes, then every environment variable that starts with
`FLASK_` (Flask's `from_prefixed_env`), then the plain names below that deployments set
(`DATABASE_URL`, `SECRET_KEY`, `MAIL_*`, `RATELIMIT_STORAGE_URI`).
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path

PLAIN_ENV_KEYS = (
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
    "RATELIMIT_STORAGE_URI",
    "VH_MAIL_BACKEND",
    "VH_BASE_URL",
    "VH_TRUSTED_PROXIES",
)
BOOLEAN_KEYS = {"MAIL_USE_TLS", "MAIL_USE_SSL"}
INTEGER_KEYS = {"MAIL_PORT", "VH_TRUSTED_PROXIES"}


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production settings are unsafe."""


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class BaseConfig:
    VH_ENV = "base"
    SQLALCHEMY_DATABASE_URI = None  # set in load_config
    # No ping before every checkout (a round trip on each request); volunteer_hub/db/postgresql.py
    # pings a connection only when it has been idle, which is when a restart or a firewall can
    # have dropped it.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}
    SQLALCHEMY_RECORD_QUERIES = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Keep me signed in" (volunteers only: staff never get the long-lived cookie).
    REMEMBER_COOKIE_DURATION = dt.timedelta(days=30)
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a tablet all evening still posts
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # uploads (CSV import) are small
    BOOTSTRAP_SERVE_LOCAL = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_DEFAULT_SENDER = "volunteer_hub <no-reply@volunteer-hub.local>"
    VH_MAIL_BACKEND = "smtp"  # smtp | console
    VH_SEND_OUTBOX_AFTER_REQUEST = False
    VH_BASE_URL = "http://127.0.0.1:5000"
    # How many proxies in front of the site set X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix).
    # None (unset) and 0 trust no header; `flask check-deploy` asks production to say which.
    VH_TRUSTED_PROXIES: int | None = None
    # Strict-Transport-Security max-age in seconds; 0 sends no header (development, tests).
    VH_HSTS_SECONDS = 0
    VH_HSTS_INCLUDE_SUBDOMAINS = True
    VH_PARTNERSHIP_NAME = "Town Centre Community Safety Partnership"
    VH_PRIVACY_NOTICE_VERSION = "2026-11"
    VH_PRIVACY_NOTICE_DATE = "2026-11-01"  # when this version of the notice took effect
    # Who answers questions about personal data (the controller's data protection contact), on the notice.
    VH_PRIVACY_CONTACT = ""
    VH_RETENTION_YEARS = 3  # a person with no activity this long is warned, then erased
    VH_RETENTION_WARNING_DAYS = 30  # the warning goes out this long before the erasure
    VH_ERASURE_REQUEST_DAYS = 30  # admins answer an erasure request within this many days
    VH_OUTBOX_BODY_DAYS = 90  # sent emails keep their bodies this long (subject and status stay)
    VH_AUDIT_YEARS = 6  # audit entries older than this are deleted by `flask jobs run`
    VH_CONFIRM_EMAIL_MAX_AGE = 3 * 24 * 3600
    VH_PASSWORD_RESET_MAX_AGE = 2 * 3600
    VH_SET_PASSWORD_MAX_AGE = 14 * 24 * 3600
    VH_OUTBOX_MAX_ATTEMPTS = 10
    VH_PAGE_SIZE = 25
    VH_LIST_COUNT_CAP = 1000  # long lists count this many rows past the page, then say "more than"
    VH_OFFER_HOURS = 24  # how long a waitlist offer stays open (never past the session's booking close)
    VH_PATROL_SHORT_WARNING_HOURS = 48  # a patrol below its minimum this long before the start is flagged
    VH_PATROL_HOME_SAFE_MINUTES = 45  # not checked out this long after a patrol's end: the lead and on-call hear
    VH_PATROL_SECOND_ESCALATION_MINUTES = 90  # ...and again at this
    VH_REMINDER_HOURS = "48,2"  # reminders before a session, in hours (a session may set its own)
    # Argon2id at OWASP's minimum: 19 MiB, 2 passes, 1 lane.
    VH_ARGON2_MEMORY_KIB = 19 * 1024
    VH_ARGON2_TIME_COST = 2
    VH_ARGON2_PARALLELISM = 1
    VH_SIGN_IN_LIMIT_PER_ADDRESS = "20 per 5 minutes"
    VH_SIGN_IN_LIMIT_PER_ACCOUNT = "5 per 5 minutes"
    VH_PUBLIC_FORM_LIMIT = "10 per 5 minutes"
    VH_EXPORT_LIMIT = "20 per hour"  # CSV downloads of personal data, per person
    # Two-step sign-in: wrong codes (at sign-in, set-up and turning it off) per account and per address.
    VH_CODE_LIMIT_PER_ACCOUNT = "5 per 5 minutes"
    VH_CODE_LIMIT_PER_ADDRESS = "20 per 5 minutes"
    # Coordinators' and admins' sessions end after a working day, whatever the browser keeps.
    VH_STAFF_SESSION_HOURS = 10
    # Certificates: "expiring soon" window, reminder thresholds (days before expiry), the
    # coordinators' weekly summary window, and the public verification page's rate limit.
    VH_CERT_EXPIRING_DAYS = 60
    VH_CERT_REMINDER_DAYS = [60, 30, 7]
    VH_CERT_SUMMARY_DAYS = 60
    VH_VERIFY_LIMIT = "30 per minute"
    VH_VERIFY_NUMBER_LIMIT = "20 per 10 minutes"  # look-ups by the printed (sequential) number
    # Benchmarks and the query-count test: count SQL statements per request and answer with
    # an X-Query-Count header. Off in normal running.
    VH_COUNT_QUERIES = False
    # The signed-in person kept by each worker until an account changes (volunteer_hub/signed_in_cache.py);
    # the file that tells workers on one host that accounts changed (default: instance/signed-in.stamp),
    # and the longest an entry is used before the row is read again whatever the stamp says.
    VH_SIGNED_IN_CACHE = True
    VH_SIGNED_IN_STAMP_FILE = None
    VH_SIGNED_IN_CACHE_SECONDS = 60
    VH_REPORT_CACHE = True  # the impact report kept by each worker until any data changes (data_cache.py)
    VH_REPORT_CACHE_SECONDS = 300
    VH_DATA_STAMP_FILE = None


class DevelopmentConfig(BaseConfig):
    VH_ENV = "development"
    DEBUG = False
    VH_MAIL_BACKEND = "console"
    VH_SEND_OUTBOX_AFTER_REQUEST = True


class TestingConfig(BaseConfig):
    VH_ENV = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "testing-only-" + "x" * 40
    SERVER_NAME = None
    VH_BASE_URL = "http://localhost"
    MAIL_SUPPRESS_SEND = False  # tests send through a real SMTP server on loopback


class ProductionConfig(BaseConfig):
    VH_ENV = "production"
    # Cookies only over HTTPS, never to scripts, not on cross-site POSTs (the same in BaseConfig
    # for HttpOnly and SameSite; said again here because production is where they matter).
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "https"
    VH_HSTS_SECONDS = 365 * 24 * 3600  # one year: browsers then refuse plain HTTP to this host


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _coerce(key: str, value: str):
    if key in BOOLEAN_KEYS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if key in INTEGER_KEYS:
        return int(value)
    return value


def load_config(app, config: str | type | None, overrides: dict) -> None:
    """Fill app.config: class defaults, then the environment, then explicit overrides."""
    name = config if isinstance(config, str) else os.environ.get("VH_CONFIG", "development")
    cls = config if isinstance(config, type) else CONFIGS.get(name)
    if cls is None:
        raise InsecureConfiguration(f"VH_CONFIG={name!r} is not one of {', '.join(CONFIGS)}.")
    app.config.from_object(cls)
    for key in PLAIN_ENV_KEYS:
        if os.environ.get(key):
            app.config[key] = _coerce(key, os.environ[key])
    app.config.from_prefixed_env()
    database_url = os.environ.get("DATABASE_URL")
    if cls is TestingConfig:
        database_url = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    if not database_url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        database_url = "sqlite:///" + str(Path(app.instance_path) / "volunteer_hub.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config["VH_SIGNED_IN_STAMP_FILE"]:
        # Tests: one stamp per test process, so a site running beside them cannot change their query counts.
        folder, name = ((tempfile.gettempdir(), f"vh-signed-in-{os.getpid()}.stamp") if cls is TestingConfig
                        else (app.instance_path, "signed-in.stamp"))
        app.config["VH_SIGNED_IN_STAMP_FILE"] = str(Path(folder) / name)
    if not app.config["VH_DATA_STAMP_FILE"]:
        folder, name = ((tempfile.gettempdir(), f"vh-data-{os.getpid()}.stamp") if cls is TestingConfig
                        else (app.instance_path, "data.stamp"))
        app.config["VH_DATA_STAMP_FILE"] = str(Path(folder) / name)
    _check_secret_key(app, cls)


def _check_secret_key(app, cls) -> None:
    # Production refuses a missing or weak key at start-up (volunteer_hub/deploy_checks.py).
    if cls is ProductionConfig or app.config.get("SECRET_KEY"):
        return
    # Development: a random key kept in instance/ so sessions survive restarts.
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
