"""Snapshot the HTML of every GET page, as every demo account, at a frozen moment: for checking
that a refactor leaves the pages as they were.

    .venv/bin/python bench/snapshot_pages.py make-db /tmp/snap.sqlite3        # demo data, scale 0.05
    .venv/bin/python bench/snapshot_pages.py take /tmp/snap.sqlite3 /tmp/before [--tree /work/baseline]
    .venv/bin/python bench/snapshot_pages.py take /tmp/snap.sqlite3 /tmp/after
    diff -r /tmp/before /tmp/after

`take` copies the database first (a page that writes on GET cannot change the next run), brings
the copy up to this tree's migrations, freezes the clock (time-machine, so code of any age sees
it) and fetches every GET route of the URL map, with ids picked from the data, as each demo
account and signed out. CSRF tokens and idempotency keys are blanked. `--tree` runs another checkout's code (a git
worktree of the commit before the change) with this script.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

AT = dt.datetime(2026, 12, 5, 18, 30, tzinfo=dt.UTC)  # the frozen moment every snapshot shares
ACCOUNTS = {"signed-out": None, "volunteer": "volunteer@example.org", "trainer": "trainer@example.org",
            "coordinator": "coordinator@example.org", "admin": "admin@example.org"}
SKIP = {"static", "bootstrap.static", "main.healthz", "main.readyz"}
# An id for each URL argument: the first row the query finds (the same data gives the same id).
IDS = {
    "session_id": "SELECT s.id FROM training_sessions s JOIN bookings b ON b.session_id = s.id "
                  "WHERE b.status = 'waitlisted' ORDER BY s.id LIMIT 1",
    "course_id": "SELECT id FROM courses ORDER BY id LIMIT 1",
    "booking_id": "SELECT b.id FROM bookings b JOIN users u ON u.id = b.user_id "
                  "WHERE u.email = 'volunteer@example.org' ORDER BY b.id LIMIT 1",
    "user_id": "SELECT id FROM users WHERE email = 'volunteer@example.org'",
    "org_id": "SELECT id FROM organisations ORDER BY id LIMIT 1",
    "certificate_id": "SELECT c.id FROM certificates c JOIN users u ON u.id = c.user_id "
                      "WHERE u.email = 'volunteer@example.org' ORDER BY c.id LIMIT 1",
    "holder_id": "SELECT id FROM equipment_holders ORDER BY id LIMIT 1",
    "item_id": "SELECT id FROM equipment_items ORDER BY id LIMIT 1",
    "movement_id": "SELECT id FROM stock_movements ORDER BY id DESC LIMIT 1",
    "place_id": "SELECT id FROM equipment_places ORDER BY id LIMIT 1",
    "asset_id": "SELECT id FROM equipment_assets ORDER BY id LIMIT 1",
    "attendance_id": "SELECT id FROM attendances ORDER BY id LIMIT 1",
}
EXTRA_QUERIES = {  # list pages worth seeing filtered or on another page too
    "people.directory": ["?page=2", "?q=a&role=volunteer"],
    "training.session_list": ["?page=2"],
    "certificates.compliance": ["?page=2", "?status=gaps"],
    "equipment.movements": ["?page=2"],
}
# Values that differ on every request: CSRF tokens and the forms' one-time idempotency keys.
_CSRF = re.compile(r'(name="(?:csrf_token|idempotency_key)"[^>]*value=")[^"]*(")'
                   r'|(value=")[^"]*("[^>]*name="(?:csrf_token|idempotency_key)")')


_FEED = re.compile(r"/training/calendar/[A-Za-z0-9_-]{20,}\.ics")  # made on a first visit: random


def _use_tree(tree: str | None) -> None:
    if tree:
        sys.path.insert(0, str(Path(tree).resolve()))


def make_db(path: str, scale: float) -> None:
    os.environ["DATABASE_URL"] = "sqlite:///" + str(Path(path).resolve())
    from flask_migrate import upgrade

    from volunteer_hub import create_app
    from volunteer_hub.demo import seed_demo, seed_scale
    from volunteer_hub.demo._scale import Progress
    from volunteer_hub.models import db, immediate_transactions

    app = create_app("development", VH_MAIL_BACKEND="console")
    with app.app_context():
        upgrade()
        with immediate_transactions():
            seed_demo()
            db.session.commit()
            seed_scale(scale, Progress(show=False))
            db.session.commit()
    print(f"made {path}")


def take(db_path: str, out: str) -> None:
    import time_machine
    from flask_migrate import upgrade
    from sqlalchemy import text

    from volunteer_hub import create_app
    from volunteer_hub.models import User, db

    work = Path(tempfile.mkdtemp()) / "snap.sqlite3"
    shutil.copy(db_path, work)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite:///" + str(work), VH_MAIL_BACKEND="console",
                     VH_SEND_OUTBOX_AFTER_REQUEST=False, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True)
    out_dir = Path(out)
    shutil.rmtree(out_dir, ignore_errors=True)
    with time_machine.travel(AT, tick=False), app.app_context():
        upgrade()
        ids = {arg: db.session.execute(text(sql)).scalar() for arg, sql in IDS.items()}
        users = {role: db.session.query(User).filter_by(email=email).one() if email else None
                 for role, email in ACCOUNTS.items()}
        rules = sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in SKIP),
                       key=lambda r: r.rule)
        count = 0
        for role, user in users.items():
            client = app.test_client()
            if user is not None:
                with client.session_transaction() as session:
                    session["_user_id"] = user.get_id()
                    session["_fresh"] = True
            for rule in rules:
                if any(ids.get(arg) is None for arg in rule.arguments):
                    continue
                url = rule.build({arg: ids[arg] for arg in rule.arguments}, append_unknown=False)[1]
                for query in ["", *EXTRA_QUERIES.get(rule.endpoint, [])]:
                    with app.app_context():  # its own `g` and database session, as in production
                        count += _save(client, url + query, out_dir / role)
            db.session.rollback()
    print(f"{count} pages in {out_dir}")


def _save(client, url: str, folder: Path) -> int:
    response = client.get(url)
    body = response.get_data()
    if response.mimetype in ("text/html", "text/plain", "text/csv", "text/calendar", "application/json"):
        text = _CSRF.sub(lambda m: (m.group(1) or m.group(3)) + "…" + (m.group(2) or m.group(4)),
                         body.decode("utf-8", "replace"))
        text = _FEED.sub("/training/calendar/….ics", text)
    else:
        text = f"<{response.mimetype}, {len(body)} bytes>"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", url.strip("/")) or "index"
    folder.mkdir(parents=True, exist_ok=True)
    location = response.headers.get("Location", "")
    (folder / f"{name}.txt").write_text(f"{response.status_code} {location}\n{text}")
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make-db")
    p.add_argument("path")
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--tree")
    p = sub.add_parser("take")
    p.add_argument("database")
    p.add_argument("out")
    p.add_argument("--tree")
    args = parser.parse_args()
    _use_tree(args.tree)
    if args.command == "make-db":
        make_db(args.path, args.scale)
    else:
        take(args.database, args.out)


if __name__ == "__main__":
    main()
