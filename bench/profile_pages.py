"""Time (and optionally profile) the benchmark's pages in-process, without HTTP or wrk.

    DATABASE_URL=sqlite:////tmp/s1.db .venv/bin/flask --app volunteer_hub db upgrade
    DATABASE_URL=sqlite:////tmp/s1.db .venv/bin/flask --app volunteer_hub demo seed --scale 1
    DATABASE_URL=sqlite:////tmp/s1.db .venv/bin/python bench/profile_pages.py [name ...] [--profile] [-n 30]

Each GET page of bench/pages.py whose name contains one of the given words (all pages without
any) is fetched n times through Flask's test client, signed in as its demo account, in the
production configuration; it prints the median and fastest time, the size and the query count.
With --profile, pyinstrument (pip install pyinstrument) shows where the time goes. Quicker to
iterate with than `make bench`, and steadier on a busy machine; `make bench` is the real figure.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("VH_CONFIG", "production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.update({"FLASK_SESSION_COOKIE_SECURE": "false", "FLASK_REMEMBER_COOKIE_SECURE": "false",
                   "VH_MAIL_BACKEND": "console", "FLASK_VH_COUNT_QUERIES": "true"})

from bench.pages import DEMO_PASSWORD, DEMO_USERS, PAGES, REFERENCE_PAGES, demo_codes  # noqa: E402
from volunteer_hub import create_app  # noqa: E402
from volunteer_hub.extensions import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL to a database made with `flask demo seed --scale N`")
    app = create_app()
    app.config["WTF_CSRF_SSL_STRICT"] = False  # the test client sends no Referer
    clients: dict = {}

    def client_for(user):
        if user not in clients:
            client = app.test_client()
            page = client.get("/auth/sign-in").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            response = client.post("/auth/sign-in", data={"email": DEMO_USERS[user], "password": DEMO_PASSWORD,
                                                           "csrf_token": token})
            for code in demo_codes() if response.headers.get("Location", "").endswith("/auth/sign-in/code") else []:
                page = client.get("/auth/sign-in/code").text
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
                response = client.post("/auth/sign-in/code", data={"code": code, "csrf_token": token})
                if response.status_code == 302:
                    break
            if response.status_code != 302:
                raise SystemExit(f"could not sign in as {user}")
            clients[user] = client
        return clients[user]

    with app.app_context(), db.engine.connect() as conn:
        paths = {p.name: p.path(conn) if callable(p.path) else p.path for p in REFERENCE_PAGES + PAGES if p.method == "GET"}
    plain = app.test_client()
    started = time.perf_counter()
    for _ in range(args.n * 5):
        plain.get("/healthz")
    print(f"{'/healthz':45s} {'':36s} mean {(time.perf_counter() - started) / (args.n * 5) * 1000:7.2f} ms")
    for page in REFERENCE_PAGES + PAGES:
        if page.method != "GET" or (args.names and not any(w in page.name for w in args.names)):
            continue
        client, path = client_for(page.as_user) if page.as_user else plain, paths[page.name]
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{page.name}: {path} answered {response.status_code}")
        profiler = None
        if args.profile:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
        times = []
        for _ in range(args.n):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        if profiler:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False))
        print(f"{page.name:45s} {path:36s} median {statistics.median(times):7.2f} ms, fastest {min(times):7.2f} ms, "
              f"{len(response.data) // 1024} KB, {response.headers.get('X-Query-Count')} queries")


if __name__ == "__main__":
    main()
