"""PostgreSQL: each new connection turns off JIT compilation.

This site's statements are short; the longest are the reports' aggregates over a few hundred
thousand rows. Their cost estimates cross PostgreSQL's `jit_above_cost`, and JIT then compiles
for longer than the query runs: 258 ms of 558 ms for the impact report's compliance figures at
scale 100, paid on every request. Set once per connection (not per request), so it costs no
statement on a page. Imported once by `volunteer_hub.models.base`, like the SQLite listeners.
"""
from __future__ import annotations

from sqlalchemy import Engine, event


@event.listens_for(Engine, "connect")
def _postgresql_connect(dbapi_connection, connection_record):
    if "psycopg" not in type(dbapi_connection).__module__:
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()
