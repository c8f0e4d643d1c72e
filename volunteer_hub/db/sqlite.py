"""SQLite as a real transactional database: foreign keys on, WAL, and writers that take the
write lock up front and queue for it on a file lock.

Imported once by `volunteer_hub.models.base` (the listeners are global); nothing else here
imports the rest of the package.
"""
from __future__ import annotations

import contextvars
import os
import threading
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool

# --- SQLite: real transactions, foreign keys, and write locks taken up front -------------
# pysqlite's own transaction handling is switched off and SQLAlchemy emits BEGIN itself (the
# documented recipe). A transaction that will write (a POST request, a job, anything inside
# `immediate_transactions()`) begins with BEGIN IMMEDIATE, so it holds SQLite's write lock
# before it reads: that is SQLite's equivalent of SELECT ... FOR UPDATE on the rows it counts.
_immediate = contextvars.ContextVar("vh_sqlite_immediate", default=False)


@contextmanager
def immediate_transactions():
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


def _wants_immediate() -> bool:
    if _immediate.get():
        return True
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # Straight to the driver: every request begins a transaction, and SQLAlchemy's statement
    # machinery around a bare BEGIN cost about 5% of a small page.
    if _wants_immediate():
        _take_writer_lock(conn)
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
    else:
        conn.connection.driver_connection.execute("BEGIN")


# --- SQLite: writers queue on a file lock, so the next one starts the moment one finishes ----
# While one connection holds SQLite's write lock, SQLite's busy handler makes the others poll,
# sleeping 1, 2, 5 ... up to 100 ms between tries: under load a writer waited hundreds of
# milliseconds after the lock had already come free. So a writer first takes an exclusive
# flock() on "<database file>-writers.lock" and the kernel wakes the next writer as soon as the
# holder's connection goes back to the pool (after its COMMIT or ROLLBACK). A process that dies
# drops its locks with its file descriptors. The busy handler stays as the fallback (for a GET
# that writes, and on systems without flock).
try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux or macOS
    fcntl = None

_LOCK_FD = "vh_writers_lock_fd"  # keys in the pooled connection's info (lives as long as it does)
_LOCK_HOLDER = "vh_writers_lock_holder"  # the thread that holds it through this connection
_holding_threads: set[int] = set()  # a thread never waits for a writer lock it already holds


def writers_lock_path(database: str | None) -> str | None:
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writers.lock"


def _take_writer_lock(conn) -> None:
    info = conn.connection.info
    if _LOCK_HOLDER in info or threading.get_ident() in _holding_threads:
        return
    fd = info.get(_LOCK_FD)
    if fd is None:
        path = writers_lock_path(conn.engine.url.database)
        if path is None:
            return
        fd = info[_LOCK_FD] = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # flock needs no write access
    fcntl.flock(fd, fcntl.LOCK_EX)
    info[_LOCK_HOLDER] = threading.get_ident()
    _holding_threads.add(info[_LOCK_HOLDER])


def _release_writer_lock(info: dict, close: bool = False) -> None:
    fd = info.get(_LOCK_FD)
    if fd is None:
        return
    if _LOCK_HOLDER in info:
        fcntl.flock(fd, fcntl.LOCK_UN)
        _holding_threads.discard(info.pop(_LOCK_HOLDER))
    if close:
        os.close(info.pop(_LOCK_FD))


@event.listens_for(Pool, "checkin")
def _writer_done(dbapi_connection, connection_record):
    if connection_record is not None:
        _release_writer_lock(connection_record.info)


@event.listens_for(Pool, "close")
def _writer_connection_closed(dbapi_connection, connection_record):
    _release_writer_lock(connection_record.info, close=True)


@event.listens_for(Pool, "invalidate")
def _writer_connection_invalidated(dbapi_connection, connection_record, exception):
    _release_writer_lock(connection_record.info, close=True)
