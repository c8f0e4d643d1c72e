"""SQLite writers queue on a file lock: the next writer starts when the previous one's transaction
ends (commit, rollback or error), instead of polling SQLite's busy handler. Runs on its own
SQLite file whatever TEST_DATABASE_URL is: the lock is SQLite's, PostgreSQL has row locks."""
from __future__ import annotations

import fcntl
import os
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from volunteer_hub.db.sqlite import writers_lock_path
from volunteer_hub.models import immediate_transactions


@pytest.fixture()
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE ledger (n INTEGER)"))
    yield engine
    engine.dispose()


def lock_is_free(engine) -> bool:
    """Can someone else take the writers' lock right now?"""
    fd = os.open(writers_lock_path(engine.url.database), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops the lock if we took it
    return True


def test_a_writer_holds_the_lock_until_it_commits(engine):
    """As requests write: an ORM session hands its connection back as soon as it commits."""
    with immediate_transactions(), Session(engine) as session:
        session.execute(text("INSERT INTO ledger VALUES (1)"))
        assert not lock_is_free(engine)
        session.commit()
        assert lock_is_free(engine)
        session.execute(text("INSERT INTO ledger VALUES (2)"))  # a second transaction takes it again
        assert not lock_is_free(engine)
        session.rollback()
        assert lock_is_free(engine)


def test_a_failed_writer_lets_the_next_one_in(engine):
    with pytest.raises(RuntimeError), immediate_transactions(), engine.begin() as conn:
        conn.execute(text("INSERT INTO ledger VALUES (1)"))
        raise RuntimeError("the request failed half-way")
    assert lock_is_free(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger")).scalar_one() == 0  # rolled back


def test_readers_take_no_lock(engine):
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM ledger")).scalar_one()
        assert lock_is_free(engine)


def test_the_second_writer_waits_and_starts_when_the_first_commits(engine):
    events: list[str] = []
    first_has_lock, second_started = threading.Event(), threading.Event()

    def second_writer():
        with immediate_transactions():
            second_started.set()
            with engine.begin() as conn:  # blocks until the first commits
                events.append("second began")
                conn.execute(text("INSERT INTO ledger VALUES (2)"))

    with immediate_transactions(), engine.connect() as conn:
        conn.execute(text("INSERT INTO ledger VALUES (1)"))
        first_has_lock.set()
        thread = threading.Thread(target=second_writer)
        thread.start()
        second_started.wait(5)
        thread.join(0.3)
        assert thread.is_alive(), "the second writer should be waiting for the first"
        events.append("first commits")
        conn.commit()
    thread.join(10)
    assert not thread.is_alive()
    assert events == ["first commits", "second began"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM ledger ORDER BY n")).scalars().all() == [1, 2]
