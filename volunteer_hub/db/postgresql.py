"""PostgreSQL: each new connection turns off JIT compilation, and a connection that sat idle in
the pool is pinged before use.

This site's statements are short; the longest are the reports' aggregates over a few hundred
thousand rows. Their cost estimates cross PostgreSQL's `jit_above_cost`, and JIT then compiles
for longer than the query runs: 258 ms of 558 ms for the impact report's compliance figures at
scale 100, paid on every request. Set once per connection (not per request), so it costs no
statement on a page. Imported once by `volunteer_hub.models.base`, like the SQLite listeners.
"""
from __future__ import annotations

import time

from sqlalchemy import Engine, event, exc
from sqlalchemy.pool import Pool

IDLE_SECONDS = 30  # a connection back in use within this is not pinged


@event.listens_for(Engine, "connect")
def _postgresql_connect(dbapi_connection, connection_record):
    if "psycopg" not in type(dbapi_connection).__module__:
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


# SQLAlchemy's pool_pre_ping sends "SELECT 1" on every checkout: a round trip on every request
# (about 70 us of a signed-in page's 600 here). A connection in steady use is alive; the ones a
# database restart, a failover or an idle-timeout firewall drop are those that sat in the pool.
# So only those are pinged, SQLAlchemy's documented "pessimistic disconnect" recipe: raising
# DisconnectionError makes the pool discard the connection and hand out a fresh one.
@event.listens_for(Pool, "checkin")
def _note_return(dbapi_connection, connection_record):
    connection_record.info["vh_returned_at"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):
    if "psycopg" not in type(dbapi_connection).__module__:
        return
    returned = connection_record.info.get("vh_returned_at")
    if returned is None or time.monotonic() - returned < IDLE_SECONDS:
        return
    try:
        _ping(dbapi_connection)
    except Exception as error:  # noqa: BLE001 - any failure here means "this connection is gone"
        raise exc.DisconnectionError() from error


def _ping(dbapi_connection) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    dbapi_connection.rollback()
