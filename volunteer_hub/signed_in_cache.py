"""The signed-in person, kept by each worker between their requests, for as long as no account changed.

Every signed-in request used to read the person and their roles from the database before doing any
work: a query that cost more than the whole signed-out page. Each worker thread now keeps the person
it last loaded for each account, and uses it again while a **stamp** shared by every process reads
the same as when it was loaded. Any committed change to any account or role (a password change, a
deactivation, "sign out everywhere", a role taken away, an erasure, a new sign-up) writes a new
stamp after the commit, so the next request of every worker reads the row again: sessions still end
at once. An entry is also read again after `VH_SIGNED_IN_CACHE_SECONDS` whatever the stamp says,
which bounds what a change made behind the ORM's back (raw SQL) can leave stale.

The stamp lives where every process that writes accounts can reach it:
- in Redis, when rate limits are kept there (`RATELIMIT_STORAGE_URI=redis://...`), which is what a
  deployment on several hosts has (`flask check-deploy` insists on it);
- otherwise in a file in the instance folder (`VH_SIGNED_IN_STAMP_FILE`), for one host: its
  workers, `flask` commands and the jobs all see it.
`VH_SIGNED_IN_CACHE=false` switches the cache off: every request reads the person, as before.

A stamp that cannot be read (Redis down, file missing) means "no cache": the row is read.
"""
from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from volunteer_hub.models import User, UserRole

log = logging.getLogger(__name__)

_CHANGED = "vh_accounts_changed"
_ACCOUNT_TABLES = frozenset({User.__tablename__, UserRole.__tablename__})
_RELATIONSHIPS = tuple(User.__mapper__.relationships.keys())
_STORES: dict[tuple, StampStore] = {}  # one per stamp location, shared by every app of the process


class StampStore:
    """Where the stamp is read (every request) and written (after a commit that changed accounts)."""

    def read(self) -> bytes | None:
        raise NotImplementedError

    def write(self) -> None:
        raise NotImplementedError


class FileStamp(StampStore):
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> bytes | None:
        try:
            with open(self.path, "rb") as f:
                return f.read() or None
        except OSError:
            return None

    def write(self) -> None:
        # A new random value each time, written whole (rename), so no reader sees half of it and
        # two changes in the same clock tick still differ.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".stamp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(16))
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise


class RedisStamp(StampStore):
    KEY = "volunteer_hub:accounts-stamp"

    def __init__(self, url: str, key: str = KEY):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.key = key

    def read(self) -> bytes | None:
        try:
            return self.client.get(self.key)
        except Exception:  # noqa: BLE001 - Redis away: no cache, the row is read
            return None

    def write(self) -> None:
        self.client.set(self.key, secrets.token_bytes(16))


def store_for(config, file_setting: str = "VH_SIGNED_IN_STAMP_FILE", redis_key: str = RedisStamp.KEY,
              stores: dict | None = None) -> StampStore:
    """The stamp's store: in Redis when rate limits are kept there, else the file `file_setting` names."""
    stores = _STORES if stores is None else stores
    limits = str(config.get("RATELIMIT_STORAGE_URI") or "")
    key = ("redis", limits, redis_key) if limits.startswith(("redis://", "rediss://")) else ("file", config[file_setting])
    if key not in stores:
        stores[key] = RedisStamp(limits, redis_key) if key[0] == "redis" else FileStamp(Path(key[1]))
    return stores[key]


class SignedInCache:
    """Per worker thread: account id -> (stamp when read, time read, the person)."""

    def __init__(self, store: StampStore, seconds: float):
        self.store, self.seconds = store, seconds
        self._local = threading.local()

    def _entries(self) -> dict:
        entries = getattr(self._local, "entries", None)
        if entries is None:
            entries = self._local.entries = {}
        return entries

    def get(self, user_id: int, stamp: bytes | None) -> User | None:
        entry = self._entries().get(user_id)
        if entry is None or stamp is None or entry[0] != stamp or time.monotonic() - entry[1] > self.seconds:
            return None
        user = entry[2]
        state = inspect(user)
        # Used again only as it was read: not expired by a commit or rollback, not changed, not
        # attached to another session, and with no related rows (an organisation, role rows)
        # loaded beside it, whose own changes the stamp does not follow.
        if not state.detached or state.expired_attributes or state.modified or any(
                name in user.__dict__ for name in _RELATIONSHIPS):
            return None
        return user

    def put(self, user_id: int, stamp: bytes | None, user: User) -> None:
        if stamp is not None:
            self._entries()[user_id] = (stamp, time.monotonic(), user)

    def clear(self) -> None:
        self._entries().clear()


def cache() -> SignedInCache | None:
    return current_app.extensions.get("vh_signed_in_cache")


def register(app) -> None:
    # The stamp is written by every process that changes accounts, even one that keeps no cache.
    store = store_for(app.config)
    if app.config["VH_SIGNED_IN_CACHE"]:
        if store.read() is None:  # a new deployment: the first stamp
            try:
                store.write()
            except Exception:  # noqa: BLE001 - no stamp, no cache: every request reads the person
                log.exception("could not write the signed-in stamp: the signed-in person is read on every request")
        app.extensions["vh_signed_in_cache"] = SignedInCache(store, app.config["VH_SIGNED_IN_CACHE_SECONDS"])


def accounts_changed() -> None:
    """Tell every worker that accounts changed (for changes made without the ORM session)."""
    stores = [store_for(current_app.config)] if has_app_context() else list(_STORES.values())
    for store in stores:
        try:
            store.write()
        except Exception:  # noqa: BLE001 - the entries' age limit still ends stale ones
            log.exception("could not write the signed-in stamp: cached people expire within the age limit")


# --- every process: a commit that changed an account or a role writes a new stamp -----------------
@event.listens_for(Session, "after_flush")
def _note_account_changes(session: Session, _context) -> None:
    if _CHANGED not in session.info and any(
            isinstance(obj, User | UserRole) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_account_changes(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _ACCOUNT_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _stamp_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        accounts_changed()

# No listener clears the note on a rollback: a note carried over writes one stamp too many, which
# costs a query per worker, while one lost would leave a closed session open.
