"""Figures worked out from the whole database (the impact report), kept by each worker until any
data changes.

The impact report reads every row of its period: 30 ms at 1,000 people, 540 ms at 100,000 (SQL
aggregates over the roll-up tables, already read from covering indexes). A coordinator who opens
it, changes the organisation, prints it and downloads the CSV asks for the same figures several
times in a few minutes, and nothing has changed in between. So each worker keeps what it built,
under a **data stamp** that changes after every committed write to the database by any process:

- every statement that is not a read (an INSERT, UPDATE, DELETE, a schema change; whether from
  the ORM, Core or raw SQL) marks its connection; the commit that follows makes the stamp due;
  the stamp is written when the connection goes back to the pool, after the commit (so a reader
  never sees the new stamp before the new rows);
- the stamp lives in Redis when rate limits do (every host sees it), else in a file in the
  instance folder (`VH_DATA_STAMP_FILE`), like the signed-in person's stamp;
- a stamp that cannot be read means no cache; an entry is also built again after
  `VH_REPORT_CACHE_SECONDS`, which bounds what a write on an autocommit connection leaves unseen.

Exact figures, not figures "up to five minutes old": a cached report is used only while no write
has been committed since it was built. `VH_REPORT_CACHE=false` builds it on every request.
What is kept is shared by the requests that use it: callers must not change it.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from volunteer_hub.signed_in_cache import StampStore, store_for

log = logging.getLogger(__name__)
T = TypeVar("T")

REDIS_KEY = "volunteer_hub:data-stamp"
_STORES: dict[tuple, StampStore] = {}
_WROTE, _DUE = "vh_data_wrote", "vh_data_stamp_due"
_READS = re.compile(r"\s*(SELECT|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|SET|SHOW|EXPLAIN)\b", re.IGNORECASE)


class DataCache:
    """Per worker: (what, key) -> (time built, value), for the current data stamp only."""

    def __init__(self, store: StampStore, seconds: float, size: int = 8):
        self.store, self.seconds, self.size = store, seconds, size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        stamp = self.store.read()  # read before the rows: a write after it is seen next time
        if stamp is None:
            return make()
        full = (key, stamp)
        with self._lock:
            entry = self._entries.get(full)
            if entry is not None and time.monotonic() - entry[0] <= self.seconds:
                self._entries.move_to_end(full)
                return entry[1]
        value = make()
        with self._lock:
            for old in [k for k in self._entries if k[1] != stamp]:  # built before a write: never used again
                del self._entries[old]
            self._entries[full] = (time.monotonic(), value)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def cached(what: str, key: Hashable, make: Callable[[], T]) -> T:
    """`make()`, or what it returned before for (what, key) if nothing was written since."""
    kept = current_app.extensions.get("vh_data_cache") if has_app_context() else None
    return kept.get_or_make((what, key), make) if kept else make()


def register(app) -> None:
    store = store_for(app.config, "VH_DATA_STAMP_FILE", REDIS_KEY, _STORES)
    if not app.config["VH_REPORT_CACHE"]:
        return
    if store.read() is None:
        try:
            store.write()
        except Exception:  # noqa: BLE001 - no stamp, no cache: the report is built every time
            log.exception("could not write the data stamp: the impact report is built on every request")
    app.extensions["vh_data_cache"] = DataCache(store, app.config["VH_REPORT_CACHE_SECONDS"])


def data_changed() -> None:
    """Tell every worker that the data changed (called after each commit that wrote)."""
    for store in list(_STORES.values()):
        try:
            store.write()
        except Exception:  # noqa: BLE001 - kept figures still expire within the age limit
            log.exception("could not write the data stamp: kept reports expire within the age limit")


# --- every process: a committed write makes the stamp due; it is written once the connection is back
@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if not _READS.match(statement):
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
def _note_commit(conn) -> None:
    if conn.info.pop(_WROTE, False):
        conn.info[_DUE] = True


@event.listens_for(Engine, "rollback")
def _forget_write(conn) -> None:
    conn.info.pop(_WROTE, None)


@event.listens_for(Pool, "checkin")
def _stamp_after_commit(_dbapi_connection, record) -> None:
    if record is not None and record.info.pop(_DUE, False):
        data_changed()
