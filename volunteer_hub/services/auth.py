"""Accounts: sign-up, confirmation, sign-in, passwords and email changes."""
from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select

from volunteer_hub import audit
from volunteer_hub.errors import Conflict, ValidationFailed
from volunteer_hub.models import Role, User, UserRole, db, utcnow
from volunteer_hub.services.outbox import queue_email
from volunteer_hub.services.passwords import hash_password, verify_password
from volunteer_hub.services.privacy import notice
from volunteer_hub.services.tokens import make_token, read_token
from volunteer_hub.urls import external_url

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    # An erased person cannot be found by an address, not even the placeholder they now carry.
    return db.session.scalar(select(User).where(User.email == normalise_email(email), User.erased_at.is_(None)))


def check_password_rules(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field)
    if password.strip() == "" or len(set(password)) < 4:
        raise ValidationFailed("Choose a password that is harder to guess.", field)


def set_password(user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)


def sign_up(name: str, email: str, password: str) -> User | None:
    """Create an unconfirmed volunteer and email the confirmation link.

    If the email already has an account, nothing is created and that person is emailed
    instead, so the page can answer the same either way. Returns the new user or None.
    """
    check_password_rules(password)
    email = normalise_email(email)
    existing = find_user_by_email(email)
    password_hash = hash_password(password)  # hashed either way, so both answers take as long
    if existing is not None:
        queue_email(
            key=f"signup-existing:{existing.id}:{secrets.token_hex(8)}",
            recipient=existing.email, recipient_id=existing.id,
            subject="Someone tried to sign up with your email",
            template="account_exists",
            user=existing,
            sign_in_url=external_url("auth.sign_in"),
            reset_url=external_url("auth.password_forgot"),
        )
        return None
    user = User(name=name.strip(), email=email)
    user.password_hash = password_hash
    user.role_rows.append(UserRole(role=Role.VOLUNTEER))
    db.session.add(user)
    db.session.flush()
    notice.accept(user)  # the sign-up form's tick box: the current version, kept and audited
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    if user.is_confirmed:
        raise Conflict("Your email address is already confirmed.")
    token = make_token("confirm", {"uid": user.id, "email": user.email})
    queue_email(
        key=f"confirm:{user.id}:{secrets.token_hex(8)}",
        recipient=user.email, recipient_id=user.id,
        subject="Confirm your email address",
        template="confirm_email",
        user=user,
        confirm_url=external_url("auth.email_confirm", token=token),
        hours=current_app.config["VH_CONFIRM_EMAIL_MAX_AGE"] // 3600,
    )


def confirm_email(token: str) -> User:
    data = read_token("confirm", token, current_app.config["VH_CONFIRM_EMAIL_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise ValidationFailed("This link is not valid any more. Ask for a new one.")
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
    db.session.flush()
    return user


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists. Silent either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    queue_email(
        key=f"reset:{user.id}:{secrets.token_hex(8)}",
        recipient=user.email, recipient_id=user.id,
        subject="Reset your password",
        template="reset_password",
        user=user,
        reset_url=external_url("auth.password_reset", token=reset_token(user)),
        hours=current_app.config["VH_PASSWORD_RESET_MAX_AGE"] // 3600,
    )


def reset_token(user: User) -> str:
    # The session version makes the link single-use: resetting bumps it.
    return make_token("reset", {"uid": user.id, "v": user.session_version})


def _user_from_reset_token(token: str, max_age: int) -> User:
    data = read_token("reset", token, max_age)
    user = db.session.get(User, data.get("uid"))
    if user is None or user.session_version != data.get("v") or not user.is_active:
        raise ValidationFailed("This link has already been used or is no longer valid. Ask for a new one.")
    return user


def check_reset_token(token: str, *, setting: bool = False) -> User:
    cfg = current_app.config
    max_age = cfg["VH_SET_PASSWORD_MAX_AGE"] if setting else cfg["VH_PASSWORD_RESET_MAX_AGE"]
    return _user_from_reset_token(token, max_age)


def reset_password(token: str, password: str, *, setting: bool = False) -> User:
    user = check_reset_token(token, setting=setting)
    set_password(user, password)
    user.session_version += 1
    if user.confirmed_at is None:
        # The link arrived at this address, which proves it.
        user.confirmed_at = utcnow()
    db.session.flush()
    return user


def sign_out_everywhere(user: User) -> None:
    """End every session of `user` (the caller signs this one in again)."""
    user.session_version += 1
    db.session.flush()
    audit.record("auth.signed_out_everywhere", user, subject=user)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ValidationFailed("Your current password is not right.", "current_password")
    set_password(user, new)
    user.session_version += 1  # ends sessions elsewhere; the caller signs this one in again
    db.session.flush()


def request_email_change(user: User, new_email: str, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise ValidationFailed("Your password is not right.", "password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ValidationFailed("That is already your email address.", "email")
    user.pending_email = new_email
    db.session.flush()
    if find_user_by_email(new_email) is not None:
        return  # say nothing: the page answers the same
    token = make_token("change-email", {"uid": user.id, "email": new_email})
    queue_email(
        key=f"change-email:{user.id}:{secrets.token_hex(8)}",
        recipient=new_email, recipient_id=user.id,
        subject="Confirm your new email address",
        template="change_email",
        user=user,
        confirm_url=external_url("auth.email_change_confirm", token=token),
        hours=current_app.config["VH_CONFIRM_EMAIL_MAX_AGE"] // 3600,
    )


def confirm_email_change(token: str) -> User:
    data = read_token("change-email", token, current_app.config["VH_CONFIRM_EMAIL_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    new_email = data.get("email")
    if user is None or user.pending_email != new_email:
        raise ValidationFailed("This link is not valid any more. Ask for a new one.")
    if find_user_by_email(new_email) is not None:
        raise Conflict("That email address now belongs to another account.")
    user.email = new_email
    user.pending_email = None
    user.confirmed_at = utcnow()
    db.session.flush()
    return user
