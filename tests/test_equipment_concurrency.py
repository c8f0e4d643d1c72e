"""200 simultaneous issue requests against a real multi-worker gunicorn server.

A store holds 50 personal alarms; 200 requests each ask for 1: exactly 50 succeed, the other
150 are refused with the message, the balance ends at 0 and the ledger still sums. Runs on the
test database (SQLite: a temporary file made by the migrations; PostgreSQL: TEST_DATABASE_URL).
"""
from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.factories_equipment import assert_ledger_balances, make_item, make_store, stock
from tests.ports import free_port
from volunteer_hub.clock import now
from volunteer_hub.login import SIGNED_IN_AT
from volunteer_hub.models import MovementKind, Role, StockBalance, StockMovement, db

REQUESTS = 200
STOCK = 50
WORKERS = 4
PORTS = range(5200, 5300)
SECRET_KEY = "concurrency-test-" + uuid.uuid4().hex + uuid.uuid4().hex


@pytest.fixture()
def server(app, tmp_path):
    """gunicorn with 4 workers on the test database; yields its port."""
    db.session.commit()
    port = free_port(PORTS)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {
        **os.environ,
        "VH_CONFIG": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "FLASK_VH_SEND_OUTBOX_AFTER_REQUEST": "false",
        "FLASK_VH_MAIL_BACKEND": '"console"',
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--backlog", "512", "volunteer_hub:create_app()"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    break
            except OSError:
                pass
            finally:
                conn.close()
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _session_cookie(app, user) -> str:
    """A signed session cookie for `user`, made with the server's SECRET_KEY (no password hashing)."""
    app.config["SECRET_KEY"] = SECRET_KEY
    serializer = app.session_interface.get_signing_serializer(app)
    # Staff sessions carry when they began (a working day's sign-in: volunteer_hub/login.py).
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True, SIGNED_IN_AT: int(now().timestamp())})


def _get(port, path, cookie):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
    response = conn.getresponse()
    body = response.read().decode()
    set_cookie = response.getheader("Set-Cookie") or ""
    conn.close()
    return response.status, body, set_cookie


@pytest.mark.slow
def test_two_hundred_simultaneous_issues_from_fifty_give_exactly_fifty(app, server):
    coordinator = make_user(Role.COORDINATOR, password=None)
    volunteers = [make_user(password=None) for _ in range(10)]
    store = make_store("Central store")
    alarm = make_item("Personal alarm", plural="personal alarms")
    stock(store, alarm, STOCK)
    db.session.commit()

    # Keep CSRF on: fetch the form once for its token (the token lives in the session cookie).
    status, body, set_cookie = _get(server, "/equipment/issue", _session_cookie(app, coordinator))
    assert status == 200, body[:500]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    cookie = re.search(r"session=([^;]+)", set_cookie).group(1)

    store_id, alarm_id, volunteer_ids = store.id, alarm.id, [v.id for v in volunteers]
    start = threading.Barrier(REQUESTS)

    def issue(n):
        data = urllib.parse.urlencode({
            "csrf_token": token, "idempotency_key": uuid.uuid4().hex, "from_holder_id": store_id,
            "item_id": alarm_id, "quantity": 1, "volunteer_ids": volunteer_ids[n % len(volunteer_ids)],
        })
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=120)
        start.wait()
        conn.request("POST", "/equipment/issue", body=data, headers={
            "Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        text = response.read().decode()
        conn.close()
        return response.status, text

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(issue, range(REQUESTS)))

    statuses = [s for s, _ in results]
    assert statuses.count(302) == STOCK, sorted(set(statuses))
    refused = [text for s, text in results if s == 400]
    assert len(refused) == REQUESTS - STOCK
    assert all("Central store holds 0 personal alarms; you asked for 1." in text for text in refused)

    db.session.rollback()
    assert db.session.scalar(select(StockBalance.quantity).where(StockBalance.holder_id == store.id)) == 0
    issued = db.session.scalar(select(func.count()).where(StockMovement.kind == MovementKind.ISSUE,
                                                          StockMovement.from_holder_id == store.id))
    assert issued == STOCK
    assert_ledger_balances()
