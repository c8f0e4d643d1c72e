"""A real multi-worker server for tests: gunicorn (4 workers, production settings) against the
test's own database, and sign-in cookies made with its SECRET_KEY (no password hashing)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask import g
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf

from tests.ports import free_port
from volunteer_hub.clock import now
from volunteer_hub.login import SIGNED_IN_AT
from volunteer_hub.models import User, db

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def server(app, tmp_path):
    """gunicorn, 4 workers, production settings, the same database as the test."""
    port = free_port(range(5150, 5200))
    env = {
        **os.environ,
        "VH_CONFIG": "production",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "VH_MAIL_BACKEND": "console",
        "VH_BASE_URL": f"http://127.0.0.1:{port}",
        "FLASK_SESSION_COOKIE_SECURE": "false",
    }
    env.pop("TEST_DATABASE_URL", None)
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "volunteer_hub:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                raise RuntimeError((tmp_path / "gunicorn.log").read_text())
            time.sleep(0.05)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()
        db.session.rollback()
        db.session.expire_all()


def credentials(app, user: User) -> tuple[str, str]:
    """(session cookie, CSRF token) as the server would have issued them."""
    with app.test_request_context():
        flask_session["_user_id"] = user.get_id()
        flask_session["_fresh"] = True
        flask_session[SIGNED_IN_AT] = int(now().timestamp())
        g.pop("csrf_token", None)  # generate_csrf caches on g, which outlives this request context
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(flask_session))
    return cookie, token
