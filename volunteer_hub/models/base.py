"""The database object, the declarative base and the column types every area shares."""
from __future__ import annotations

import contextvars
import datetime as dt
from contextlib import contextmanager

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, event, types
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC. Use as a callable default, never `default=utcnow()`."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(types.TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    registry = registry(type_annotation_map={dt.datetime: UTCDateTime})
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


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
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")
