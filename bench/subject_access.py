"""Time the subject-access download for the busiest people of a generated database.

    export DATABASE_URL=sqlite:////tmp/s100.db
    .venv/bin/flask --app volunteer_hub db upgrade && .venv/bin/flask --app volunteer_hub demo seed --scale 100
    .venv/bin/python bench/subject_access.py [-n 3]

"Busiest" counts every row the zip would hold: bookings, attendance marks, certificates, the
stock movements of their kit bag or recorded by them, loans, emails and audit entries about them.
It writes each zip to a temporary file n times and prints the rows, the zip's size and the
median time (the target is under 10 seconds at scale 100). Read-only: the exports are not audited.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, union_all  # noqa: E402

from volunteer_hub import create_app  # noqa: E402
from volunteer_hub.models import Booking, Holder, StockMovement, User, db  # noqa: E402
from volunteer_hub.services.privacy import subject_access  # noqa: E402


def busiest(limit: int) -> list[User]:
    """The people with the most bookings plus kit-bag movements plus movements they recorded."""
    m = StockMovement
    rows = union_all(
        select(Booking.user_id.label("who")),
        select(m.recorded_by_id.label("who")).where(m.recorded_by_id.is_not(None)),
        select(Holder.user_id.label("who")).join(m, m.from_holder_id == Holder.id).where(Holder.user_id.is_not(None)),
        select(Holder.user_id.label("who")).join(m, m.to_holder_id == Holder.id).where(Holder.user_id.is_not(None)),
    ).subquery()
    ids = db.session.scalars(select(rows.c.who).group_by(rows.c.who).order_by(func.count().desc()).limit(limit)).all()
    return [db.session.get(User, i) for i in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="exports per person (the median is printed)")
    parser.add_argument("--people", type=int, default=2, help="how many of the busiest people")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        print(f"{db.session.scalar(select(func.count()).select_from(User)):,} people in {app.config['SQLALCHEMY_DATABASE_URI']}")
        for person in busiest(args.people):
            times = []
            for _ in range(args.n):
                with tempfile.TemporaryFile() as target:
                    started = time.perf_counter()
                    counts = subject_access.write_zip(person, target, app.config["VH_PARTNERSHIP_NAME"])
                    times.append(time.perf_counter() - started)
                    size = target.tell()
            print(f"person #{person.id}: {sum(counts.values()):,} rows, zip {size / 1e6:.1f} MB, "
                  f"median {statistics.median(times):.2f} s (fastest {min(times):.2f} s, n={args.n})")


if __name__ == "__main__":
    main()
