"""Fixtures: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL) made by the real
migrations once per run, emptied after every test; a real SMTP server on loopback; factories."""
from __future__ import annotations

import os
import pathlib

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.smtp import SmtpSink
from volunteer_hub import create_app
from volunteer_hub.models import db

pytest_plugins = [
    "tests.factories",
    "tests.factories_training",
    "tests.factories_certificates",
    "tests.factories_equipment",
    "tests.live_server",
    "tests.pages",
]


def pytest_report_header(config):
    return f"database: {os.environ.get('TEST_DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def smtp_server():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Build the schema once with the real migrations (what production runs)."""
    from flask_migrate import upgrade

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (its own `g` and database session), as in
    production; the test's own session ends its transaction around it so it sees the writes."""

    def open(self, *args, **kwargs):
        db.session.commit()
        ctx = self.application.app_context()
        ctx.push()
        try:
            return super().open(*args, **kwargs)
        finally:
            ctx.pop()
            db.session.commit()


@pytest.fixture()
def app(_schema, smtp_server, tmp_path):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=_schema,
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        VH_MAIL_BACKEND="smtp",
    )
    app.test_client_class = IsolatedClient
    app.instance_path = str(tmp_path / "instance")
    pathlib.Path(app.instance_path).mkdir()
    smtp_server.messages.clear()
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()
