"""Each worker keeps the signed-in person between requests (volunteer_hub/signed_in_cache.py), and
any change to any account, made by any worker or command, is seen by the next request of every
worker: signing out everywhere, a deactivation or a role taken away take effect at once."""
from __future__ import annotations

import pytest
import redis
from sqlalchemy import text, update

from tests.factories import make_user, sign_in_as
from volunteer_hub import create_app, signed_in_cache
from volunteer_hub.models import Role, User, db
from volunteer_hub.services import auth as auth_service
from volunteer_hub.services.people import remove_role

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture()
def counting(app):
    app.config["VH_COUNT_QUERIES"] = True
    return app


_WORKERS: list = []


@pytest.fixture(autouse=True)
def _close_other_workers():
    yield
    while _WORKERS:
        with _WORKERS.pop().app_context():
            db.session.remove()
            db.engine.dispose()


def other_worker(app, **overrides):
    """A second app on the same database: another gunicorn worker, or a `flask` command."""
    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "VH_SIGNED_IN_STAMP_FILE": app.config["VH_SIGNED_IN_STAMP_FILE"], **overrides}
    worker = create_app("testing", **settings)
    _WORKERS.append(worker)
    return worker


def in_other_worker(app, change, **overrides):
    """Run `change(person)` for the person with `person_id` in another worker, and commit."""
    worker = other_worker(app, **overrides)
    with worker.app_context():
        change()
        db.session.commit()
        db.session.remove()


def queries(client, path="/accessibility") -> int:
    response = client.get(path)
    assert response.status_code == 200
    return int(response.headers["X-Query-Count"])


def test_the_person_is_read_once_then_kept_while_no_account_changes(counting, client):
    person = make_user(Role.VOLUNTEER, name="Vera Volunteer")
    sign_in_as(client, person)
    assert [queries(client) for _ in range(3)] == [1, 0, 0]
    assert "Vera Volunteer" in client.get("/accessibility").text
    # A change to anyone's account (here someone else's) reads the person again, once.
    make_user(Role.VOLUNTEER)
    db.session.commit()
    assert [queries(client) for _ in range(2)] == [1, 0]


def test_signing_out_everywhere_in_another_worker_ends_this_workers_session(counting, client):
    person = make_user(Role.VOLUNTEER)
    sign_in_as(client, person)
    first = queries(client, "/training/mine")
    assert queries(client, "/training/mine") == first - 1  # now from this worker's cache

    person_id = person.id
    in_other_worker(counting, lambda: auth_service.sign_out_everywhere(db.session.get(User, person_id)))

    response = client.get("/training/mine")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_a_role_taken_away_elsewhere_is_refused_at_once(counting, client):
    coordinator = make_user(Role.COORDINATOR)
    admin = make_user(Role.ADMIN)
    sign_in_as(client, coordinator)
    first = queries(client, "/people")
    assert queries(client, "/people") == first - 1

    ids = coordinator.id, admin.id
    in_other_worker(counting, lambda: remove_role(db.session.get(User, ids[0]), Role.COORDINATOR,
                                                  by=db.session.get(User, ids[1])))
    assert client.get("/people").status_code == 403


def test_a_deactivation_by_a_bulk_update_is_seen_at_once(counting, client):
    person = make_user(Role.VOLUNTEER)
    sign_in_as(client, person)
    first = queries(client, "/training/mine")
    assert queries(client, "/training/mine") == first - 1
    db.session.execute(update(User).where(User.id == person.id).values(is_active=False))
    db.session.commit()
    assert client.get("/training/mine").status_code == 302


def test_a_change_behind_the_orms_back_lasts_no_longer_than_the_age_limit(counting, client, monkeypatch):
    import time

    person = make_user(Role.VOLUNTEER)
    sign_in_as(client, person)
    assert client.get("/training/mine").status_code == 200
    db.session.execute(text("UPDATE users SET is_active = :no WHERE id = :id"), {"no": False, "id": person.id})
    db.session.commit()
    assert client.get("/training/mine").status_code == 200  # raw SQL writes no stamp: still kept...
    later = time.monotonic() + counting.config["VH_SIGNED_IN_CACHE_SECONDS"] + 1
    monkeypatch.setattr(signed_in_cache.time, "monotonic", lambda: later)
    assert client.get("/training/mine").status_code == 302  # ...until the age limit: read again



def test_a_change_in_raw_sql_that_says_so_is_seen_at_once(counting, client):
    person = make_user(Role.VOLUNTEER)
    sign_in_as(client, person)
    first = queries(client, "/training/mine")
    assert queries(client, "/training/mine") == first - 1
    db.session.execute(text("UPDATE users SET is_active = :no WHERE id = :id"), {"no": False, "id": person.id})
    db.session.commit()
    signed_in_cache.accounts_changed()
    assert client.get("/training/mine").status_code == 302


def test_a_commit_in_a_request_does_not_leave_a_person_that_cannot_be_read(app):
    """A commit expires the person's attributes; the kept copy is then not used again (reading an
    expired, detached row would fail with DetachedInstanceError, a 500)."""
    from volunteer_hub.login import _user_for

    person = make_user(Role.VOLUNTEER, name="Vera Volunteer")
    db.session.commit()
    cookie_id = person.get_id()
    for _ in range(3):
        with app.app_context(), app.test_request_context():
            user = _user_for(cookie_id)
            assert user.display_name == "Vera Volunteer"
            db.session.commit()
            db.session.remove()
    with app.app_context(), app.test_request_context():
        assert _user_for(cookie_id).organisation is None  # a lazy load works on the kept person
        db.session.remove()


@pytest.mark.parametrize("setting", ["a stamp that cannot be read", "the cache switched off"])
def test_without_the_cache_every_request_reads_the_person(app, client, tmp_path, setting):
    unreadable = tmp_path / "a-folder-not-a-file"
    unreadable.mkdir()
    overrides = ({"VH_SIGNED_IN_STAMP_FILE": str(unreadable)} if setting == "a stamp that cannot be read"
                 else {"VH_SIGNED_IN_CACHE": False})
    worker = other_worker(app, VH_COUNT_QUERIES=True, **overrides)
    person = make_user(Role.VOLUNTEER)
    db.session.commit()
    worker.test_client_class = type(client)
    their_client = worker.test_client()
    sign_in_as(their_client, person)
    assert [queries(their_client) for _ in range(2)] == [1, 1]


def test_with_redis_the_stamp_is_shared_by_every_host(app, client):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is needed on 127.0.0.1:6379 for this test: {error}")
    here = other_worker(app, RATELIMIT_STORAGE_URI=REDIS_URL, VH_SIGNED_IN_STAMP_FILE="/nonexistent/here",
                        VH_COUNT_QUERIES=True)
    here.test_client_class = type(client)
    assert isinstance(signed_in_cache.store_for(here.config), signed_in_cache.RedisStamp)
    person = make_user(Role.VOLUNTEER)
    db.session.commit()
    person_id = person.id
    browser = here.test_client()
    sign_in_as(browser, person)
    first = queries(browser, "/training/mine")
    assert queries(browser, "/training/mine") == first - 1

    # Another host: its own stamp file, the same Redis.
    in_other_worker(app, lambda: auth_service.sign_out_everywhere(db.session.get(User, person_id)),
                    RATELIMIT_STORAGE_URI=REDIS_URL, VH_SIGNED_IN_STAMP_FILE="/nonexistent/there")
    assert browser.get("/training/mine").status_code == 302


def test_a_new_secret_key_keeps_sessions_signed_with_a_fallback_and_ends_the_rest(app, client):
    """The session's signing serializer is built once per key (login.CookieSessions): a key rotated
    with the old one kept as a fallback keeps people signed in; without the fallback it ends them."""
    sign_in_as(client, make_user())
    assert client.get("/training/mine").status_code == 200
    old = app.secret_key
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = "a-new-key-" + "x" * 32, [old]
    assert client.get("/training/mine").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/training/mine").status_code == 302  # to the sign-in page
