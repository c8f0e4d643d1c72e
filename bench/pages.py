"""The pages the benchmark measures: one list, extended by each area.

Each page is fetched by a signed-in demo account (`as_user`: a key of DEMO_USERS). `path` is a
string, or a function given a SQLAlchemy connection to the benchmark database that returns the
path (to pick an id from the generated data). POSTs give `method="POST"` and `form` (a dict or a
function of the connection); the CSRF token is taken from `csrf_from` with the same session, and
wrk repeats the same body, so choose a POST that stays valid when repeated (a redirect counts as
success; 4xx/5xx are reported as errors). `__UNIQUE__` in a form value is replaced by a fresh
32-hex-digit value on every request (bench/wrk_report.lua), for forms with an idempotency key.

The two POSTs:
- booking: the demo volunteer books a session they are already booked on. Every request takes the
  whole path (CSRF, loading the session, BEGIN IMMEDIATE on SQLite or the session's row lock on
  PostgreSQL, the booking rules) and is refused by the rule "already booked" with a redirect back
  to the session. A booking that succeeds each time would need a new person or a new session per
  request, which wrk cannot give, and would fill the session within seconds anyway.
- hand-out: the demo volunteer hands out one personal alarm from their kit bag, with a new
  idempotency key per request, so each one is recorded (a ledger row, the balance updated under
  its lock). The generated data gives that bag a million of each item, so it never runs out.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from volunteer_hub.models import utcnow

DEMO_PASSWORD = "demo-password-2026"
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # the demo staff's second factor (volunteer_hub.demo)


def demo_codes() -> list[str]:
    """Codes for the demo staff's second step, to try in order: the site takes the step before, at
    and after now, each once, so a run soon after another may need the second or third."""
    import pyotp

    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    step = totp.timecode(utcnow())
    return [totp.generate_otp(s) for s in (step - 1, step, step + 1)]
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


def _bench_booking_session(conn) -> int:
    """A future session the demo volunteer is booked on (the demo seed books them on one)."""
    return conn.execute(text(
        "SELECT b.session_id FROM bookings b JOIN users u ON u.id = b.user_id "
        "JOIN training_sessions s ON s.id = b.session_id "
        "WHERE u.email = 'volunteer@example.org' AND b.status = 'confirmed' AND s.starts_at > :now "
        "ORDER BY s.starts_at, s.id LIMIT 1"), {"now": utcnow()}).scalar_one()


def _busiest_future_session(conn) -> str:
    session_id = conn.execute(text(
        "SELECT s.id FROM training_sessions s JOIN bookings b ON b.session_id = s.id "
        "WHERE s.starts_at > :now GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1"), {"now": utcnow()}).scalar_one()
    return f"/training/sessions/{session_id}"


def _trainers_register(conn) -> str:
    """The register of the demo trainer's session with the most people on it."""
    session_id = conn.execute(text(
        "SELECT st.session_id FROM session_trainers st JOIN users u ON u.id = st.user_id "
        "JOIN bookings b ON b.session_id = st.session_id "
        "WHERE u.email = 'trainer@example.org' GROUP BY st.session_id ORDER BY count(*) DESC, st.session_id "
        "LIMIT 1")).scalar_one()
    return f"/training/sessions/{session_id}/register"


def _first_store(conn) -> int:
    return conn.execute(text("SELECT min(id) FROM equipment_holders WHERE kind = 'store'")).scalar_one()


def _busiest_kit_bag_stocktake(conn) -> str:
    """The stocktake form of the kit bag that holds the most kinds of item."""
    holder = conn.execute(text(
        "SELECT b.holder_id FROM stock_balances b JOIN equipment_holders h ON h.id = b.holder_id "
        "WHERE h.kind = 'kit_bag' GROUP BY b.holder_id ORDER BY count(*) DESC, b.holder_id LIMIT 1")).scalar_one()
    return f"/equipment/holders/{holder}/stocktake"


def _first_asset_check_out(conn) -> str:
    return f"/equipment/assets/{conn.execute(text('SELECT min(id) FROM equipment_assets')).scalar_one()}/check-out"


def _hand_out_form(conn) -> dict:
    alarm = conn.execute(text("SELECT id FROM equipment_items WHERE name = 'Personal alarm'")).scalar_one()
    place = conn.execute(text("SELECT min(id) FROM equipment_places")).scalar_one()
    return {f"qty_{alarm}": "1", "place_id": str(place), "place_text": "", "event_name": "",
            "occurred_on": utcnow().date().isoformat(), "time_band": "late_evening", "idempotency_key": "__UNIQUE__"}


# /healthz is measured separately, first, as the baseline every page is compared with.
# Reference rows, reported beside the key pages but not held to the targets: what a page costs
# before it does any work of its own (the layout signed out; signed in, which adds the session
# cookie and the one query that loads the person and their roles).
REFERENCE_PAGES: list[Page] = [
    Page("layout only, signed out (accessibility statement)", "/accessibility", as_user=None, tags=("reference",)),
    Page("layout only, signed in (accessibility statement)", "/accessibility", tags=("reference",)),
]

PAGES: list[Page] = [
    Page("volunteer directory (first page)", "/people"),
    Page("home (coordinator)", "/home"),
    Page("person page", _last_person),
    Page("session list", "/training/sessions", as_user="volunteer"),
    Page("session page (busiest future session)", _busiest_future_session),
    Page("my training", "/training/mine", as_user="volunteer"),
    Page("register (demo trainer's biggest session)", _trainers_register, as_user="trainer"),
    Page("my certificates", "/certificates", as_user="volunteer"),
    Page("compliance matrix (first page)", "/certificates/compliance"),
    Page("stock by holder", "/equipment/stock"),
    Page("hand-out report", "/equipment/report"),
    Page("impact report (last 12 months)", "/reports/impact", tags=("alone",)),
    Page("issue stock form (people picker)", "/equipment/issue"),
    Page("issue stock form, people found", "/equipment/issue?find=volunteer_ids&people_q=smith"),
    Page("new session form (trainer picker)", "/training/sessions/new"),
    Page("receive stock form", "/equipment/receive"),
    Page("stocktake form (a kit bag)", _busiest_kit_bag_stocktake),
    Page("write-off form (first store)", lambda conn: f"/equipment/holders/{_first_store(conn)}/write-off"),
    Page("radios and other assets", "/equipment/assets"),
    Page("check a radio out (person picker)", _first_asset_check_out),
    Page("stock movements (first page)", "/equipment/movements"),
    Page("booking POST (refused: already booked)", lambda conn: f"/training/sessions/{_bench_booking_session(conn)}/book",
         as_user="volunteer", method="POST", form={},
         csrf_from="/training/sessions"),
    Page("hand-out POST (one alarm)", "/equipment/kit-bag/hand-out", as_user="volunteer", method="POST",
         form=_hand_out_form, csrf_from="/equipment/kit-bag/hand-out"),
]
