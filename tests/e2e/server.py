"""The real site for browser journeys: gunicorn (2 workers) in a subprocess, on a loopback port,
against the test database, sending email to the test SMTP server on loopback."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.ports import free_port
from tests.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


class LiveServer:
    def __init__(self, database_url: str, smtp: SmtpSink, log_path: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.smtp = smtp
        self.log_path = log_path
        self.workers = workers
        self.env = {
            **os.environ,
            "VH_CONFIG": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "e2e-only-" + "k" * 40,
            "VH_BASE_URL": self.url,
            "VH_MAIL_BACKEND": "smtp",
            "MAIL_SERVER": smtp.host,
            "MAIL_PORT": str(smtp.port),
            # The tests send the outbox themselves, as the scheduled job does in production.
            "FLASK_VH_SEND_OUTBOX_AFTER_REQUEST": "false",
            # Every journey signs up from the same address; the limit itself is tested in tests/views.
            "FLASK_VH_PUBLIC_FORM_LIMIT": "200 per minute",
        }
        self.env.pop("TEST_DATABASE_URL", None)
        self.database_url = database_url
        self.process: subprocess.Popen | None = None
        self._app = None

    @property
    def app(self):
        """An app in this process on the server's database and SMTP server: for setting a journey's
        scene through the services (tests/e2e/scene.py) and for sending the outbox."""
        if self._app is None:
            from volunteer_hub import create_app

            self._app = create_app("testing", SQLALCHEMY_DATABASE_URI=self.database_url, VH_BASE_URL=self.url,
                                   VH_MAIL_BACKEND="smtp", MAIL_SERVER=self.smtp.host, MAIL_PORT=self.smtp.port)
        return self._app

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                 "--graceful-timeout", "5", "volunteer_hub:create_app()"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within 30 s:\n{self.log()}")

    def stop(self) -> None:
        if self._app is not None:
            from volunteer_hub.models import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    # --- email ---------------------------------------------------------------------------
    def send_outbox(self) -> str:
        """Send pending email as the scheduled job does (the job `flask outbox send` runs), here in
        this process: the messages were written, links and all, when the server queued them."""
        from volunteer_hub.jobs import send_outbox_job
        from volunteer_hub.models import db, immediate_transactions

        with self.app.app_context(), immediate_transactions():
            try:
                return send_outbox_job()
            finally:
                db.session.remove()

    def email_to(self, address: str, subject_contains: str = "", timeout: float = 10.0):
        """The newest message the SMTP server received for `address` (sending the outbox first)."""
        self.send_outbox()
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.smtp.to(address) if subject_contains.lower() in m["Subject"].lower()]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                subjects = [(m["To"], m["Subject"]) for m in self.smtp.messages]
                raise AssertionError(f"no email to {address} about {subject_contains!r}; received: {subjects}")
            time.sleep(0.1)

    def link_in(self, message, path_contains: str) -> str:
        """The first link in the plain-text body that points at this site and contains `path_contains`."""
        text = SmtpSink.text(message)
        for url in re.findall(r"https?://\S+", text):
            if url.startswith(self.url) and path_contains in url:
                return url
        raise AssertionError(f"no link containing {path_contains!r} in:\n{text}")
