"""Flask-Login wiring. The cookie's id is "<user id>:<session version>": bumping the version
(password change, deactivation, signing out everywhere, a second-factor reset) ends every other
session, which a signed cookie alone cannot.

Also kept in the session:
- when this sign-in happened: a coordinator's or admin's session ends after VH_STAFF_SESSION_HOURS,
  checked here on every request (so neither an old cookie nor a browser that never closes keeps
  it), and staff never get the long-lived "remember me" cookie;
- between the password and the code of a two-step sign-in, who is part-way through (not signed in
  yet), for a few minutes.
"""
from __future__ import annotations

from flask import current_app, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from volunteer_hub import signed_in_cache
from volunteer_hub.clock import now
from volunteer_hub.models import User, UserRole, db
from volunteer_hub.queries.sql import comma_list

SIGNED_IN_AT = "vh_signed_in_at"
PENDING = "vh_pending_sign_in"
SETUP_SECRET = "vh_two_factor_secret"
PENDING_SECONDS = 10 * 60  # time to find the phone and type the code

# Every signed-in request runs this: one query, the person's row with their roles as one string
# beside it (not joined in as ORM rows: building, de-duplicating and tracking those UserRole
# objects cost more than the query itself); built once, only the id changes. The roles rows are
# still there to load (and change) for the code that asks for them.
_USER_WITH_ROLES = (select(User, select(comma_list(UserRole.role)).where(UserRole.user_id == User.id)
                           .scalar_subquery())
                    .options(lazyload(User.role_rows)).where(User.id == bindparam("user_id")))


def _user_for(value: str) -> User | None:
    try:
        user_id, version = (int(part) for part in value.split(":", 1))
    except (ValueError, AttributeError):
        return None
    kept = signed_in_cache.cache()
    stamp = kept.store.read() if kept else None  # read before the row: a change after it is seen next time
    user = kept.get(user_id, stamp) if kept else None
    if user is not None:
        db.session.add(user)  # as if just read: lazy loads and changes work as they do on a fresh row
    else:
        row = db.session.execute(_USER_WITH_ROLES, {"user_id": user_id}).one_or_none()
        if row is None:
            return None
        user, names = row
        user.loaded_roles(names)
        if kept:
            kept.put(user_id, stamp, user)
    if not user.is_active or user.session_version != version:
        return None
    return user


def _seconds_since(key: str) -> float | None:
    started = session.get(key)
    return now().timestamp() - started if isinstance(started, int | float) else None


def staff_session_over(user: User) -> bool:
    """A coordinator's or admin's session is over after a working day (or if it never said when it began)."""
    if not user.is_coordinator:
        return False
    age = _seconds_since(SIGNED_IN_AT)
    return age is None or age > current_app.config["VH_STAFF_SESSION_HOURS"] * 3600


def load_user(value: str):
    user = _user_for(value)
    if user is None or staff_session_over(user):
        return None
    return user


def start_session(user: User, remember: bool = False) -> None:
    """Sign `user` in on this device; "remember me" only for people who are not staff."""
    session.pop(PENDING, None)
    login_user(user, remember=remember and not user.is_coordinator)
    session[SIGNED_IN_AT] = int(now().timestamp())


def end_session() -> None:
    logout_user()
    for key in (SIGNED_IN_AT, PENDING, SETUP_SECRET):
        session.pop(key, None)


def hold_pending(user: User, remember: bool, next_url: str | None) -> None:
    """Password accepted, code still to come: remember who, for a few minutes."""
    end_session()
    session[PENDING] = {"id": user.get_id(), "remember": bool(remember), "next": next_url,
                        "at": int(now().timestamp())}


def pending() -> dict | None:
    """The part-way sign-in in this session ({"user", "remember", "next"}), or None if there is none
    or it is too old, or the person's sessions have been ended since."""
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    age = now().timestamp() - data.get("at", 0)
    user = _user_for(data.get("id")) if 0 <= age <= PENDING_SECONDS else None
    if user is None:
        return None
    return {"user": user, "remember": bool(data.get("remember")), "next": data.get("next")}


def pending_account_key() -> str:
    """The rate-limit key for codes typed at sign-in: the account part-way through."""
    data = session.get(PENDING)
    account = str(data.get("id", "")).split(":", 1)[0] if isinstance(data, dict) else ""
    return f"sign-in-code:{account}"


def setup_secret(make) -> str:
    """The TOTP secret being set up in this session (made with `make()` the first time): kept
    until the person confirms it, so reloading the page does not change the QR code."""
    if not isinstance(session.get(SETUP_SECRET), str):
        session[SETUP_SECRET] = make()
    return session[SETUP_SECRET]


def forget_setup_secret() -> None:
    session.pop(SETUP_SECRET, None)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key rather than
    twice on every request (open and save; building it probes its JSON serializer): about 5% of a
    signed-in page's own time. Built again when the key or its fallbacks change."""

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = app.extensions.get("vh_session_serializer")
        if kept is None or kept[0] != keys:
            kept = app.extensions["vh_session_serializer"] = (keys, super().get_signing_serializer(app))
        return kept[1]


def configure_login(login_manager) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
