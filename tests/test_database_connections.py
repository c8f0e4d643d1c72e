"""PostgreSQL connections: no JIT, and a pooled connection the server dropped while it sat idle
is replaced before a request uses it (instead of SQLAlchemy's ping on every checkout)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from volunteer_hub.db import postgresql
from volunteer_hub.models import db


@pytest.fixture()
def pg(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections (set TEST_DATABASE_URL; CI runs both)")
    return db.engine


def test_connections_run_without_jit(pg):
    assert db.session.scalar(text("SHOW jit")) == "off"


def test_an_idle_connection_dropped_by_the_server_is_replaced(pg, monkeypatch):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    with pg.connect() as conn:
        dropped = conn.scalar(text("SELECT pg_backend_pid()"))
    other = create_engine(pg.url, poolclass=NullPool)
    with other.connect() as killer:
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    other.dispose()
    monkeypatch.setattr(postgresql, "IDLE_SECONDS", 0)  # the pooled connection counts as idle
    with pg.connect() as conn:
        assert conn.scalar(text("SELECT 1")) == 1
        assert conn.scalar(text("SELECT pg_backend_pid()")) != dropped


def test_a_connection_in_steady_use_is_not_pinged(pg, monkeypatch):
    pings = []
    real = postgresql._ping
    monkeypatch.setattr(postgresql, "_ping", lambda dbapi_connection: (pings.append(1), real(dbapi_connection)))
    with pg.connect():
        pass
    with pg.connect() as conn:
        conn.scalar(text("SELECT 2"))
    assert pings == []
    monkeypatch.setattr(postgresql, "IDLE_SECONDS", 0)
    with pg.connect() as conn:
        conn.scalar(text("SELECT 2"))
    assert pings == [1]
