"""Browser journeys: the real site (gunicorn) on loopback, a real SMTP server, Debian's Chromium
driven by Playwright. The data: the demo seed (the same people `make run` shows), made once for the
package and emptied afterwards so the rest of the suite starts clean.

Chromium is Debian's (`apt-get install chromium`); Playwright's own browser download is not used.
Missing Chromium fails the run in CI (CI=true) and skips these tests on a developer's machine.
"""
from __future__ import annotations

import os
import shutil

import pytest

from tests.e2e.server import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--lang=en-GB",  # date fields show dd/mm/yyyy, as for the site's users
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _candidates() -> list[str | None]:
    return [os.environ.get("VH_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]


def chromium_path() -> str | None:
    for candidate in _candidates():
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_chromium() -> str:
    """Debian's Chromium, or a clear stop: a failure in CI (CI=true), a skip on a developer's machine."""
    path = chromium_path()
    if path is None:
        message = ("Chromium was not found at /usr/bin/chromium (or VH_CHROMIUM, or on PATH): "
                   "the browser journeys need it. Install it with: apt-get install chromium")
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail("CI: " + message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="package")
def chromium_executable() -> str:
    return require_chromium()


@pytest.fixture(scope="package")
def live_server(chromium_executable, _schema, smtp_server, tmp_path_factory):
    from flask import Flask

    from tests.conftest import _empty_tables
    from volunteer_hub import create_app
    from volunteer_hub.demo import seed_demo
    from volunteer_hub.models import db, immediate_transactions

    app: Flask = create_app("testing", SQLALCHEMY_DATABASE_URI=_schema)
    with app.app_context():
        _empty_tables()
        with immediate_transactions():
            seed_demo()
            db.session.commit()
        db.engine.dispose()
    server = LiveServer(_schema, smtp_server, tmp_path_factory.mktemp("e2e") / "gunicorn.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            _empty_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="package")
def scene(live_server):
    """Sets a journey's scene through the services, on the live server's database (tests/e2e/scene.py)."""
    from tests.e2e.scene import Scene

    return Scene(live_server.app)


@pytest.fixture(scope="package")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


def _new_page(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, accept_downloads=True,
                                  reduced_motion="reduce",  # no menu animation to race against
                                  locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture()
def page(browser, live_server):
    """A fresh browser (no cookies) at desktop size."""
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture()
def phone_page(browser, live_server):
    """A fresh browser (no cookies) at phone size (390 × 844)."""
    context, page = _new_page(browser, live_server, PHONE)
    yield page
    context.close()
