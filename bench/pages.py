"""The pages the benchmark measures: one list, extended by each area.

Each page is fetched by a signed-in demo account (`as_user`: a key of DEMO_USERS). `path` is a
string, or a function given a SQLAlchemy connection to the benchmark database that returns the
path (to pick an id from the generated data). POSTs give `method="POST"` and `form` (a dict or a
function of the connection); the CSRF token is taken from `csrf_from` with the same session, and
wrk repeats the same body, so choose a POST that stays valid when repeated (a redirect counts as
success; 4xx/5xx are reported as errors).

To come (issues 3-5): session list, session page, my training, the register, compliance matrix
(first page), stock by holder, impact report, booking and hand-out POSTs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text

DEMO_USERS = {
    "volunteer": "volunteer@example.org",
    "trainer": "trainer@example.org",
    "coordinator": "coordinator@example.org",
    "admin": "admin@example.org",
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str | Callable
    as_user: str | None = "coordinator"  # None: signed out
    method: str = "GET"
    form: dict | Callable | None = None
    csrf_from: str | None = None
    tags: tuple[str, ...] = field(default=())


def _last_person(conn) -> str:
    return f"/people/{conn.execute(text('SELECT max(id) FROM users')).scalar_one()}"


# /healthz is measured separately, first, as the baseline every page is compared with.
PAGES: list[Page] = [
    Page("volunteer directory (first page)", "/people"),
    Page("home (coordinator)", "/home"),
    Page("person page", _last_person),
]
