"""Flask-Login wiring. The cookie's id is "<user id>:<session version>": bumping the version
(password change, deactivation) ends every other session, which a signed cookie alone cannot."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from volunteer_hub.models import User, db

# Every signed-in request runs this: one query with the roles joined in (not a second SELECT),
# built once (the statement is the same each time; only the id changes).
_USER_WITH_ROLES = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("user_id"))


def load_user(value: str):
    try:
        user_id, version = (int(part) for part in value.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.scalars(_USER_WITH_ROLES, {"user_id": user_id}).unique().one_or_none()
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def configure_login(login_manager) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
