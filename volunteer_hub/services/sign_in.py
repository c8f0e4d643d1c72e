"""Signing in, in one or two steps, with its audit trail.

A refused sign-in is an answer, not an error: these functions return a `SignIn` saying what
happened instead of raising, so the "sign-in failed" entry they write commits with the rest of the
unit of work (a raised DomainError would roll it back). Entries name the account by id only,
never the email that was typed.
"""
from __future__ import annotations

from dataclasses import dataclass

from volunteer_hub import audit
from volunteer_hub.models import User, db
from volunteer_hub.services import two_factor
from volunteer_hub.services.auth import find_user_by_email, reset_password
from volunteer_hub.services.passwords import hash_password, needs_rehash, verify_password
from volunteer_hub.services.privacy import retention

WRONG_PASSWORD = "The email or password is not right."
DEACTIVATED = "This account has been deactivated. Contact your coordinator."


@dataclass(frozen=True)
class SignIn:
    """What a sign-in step came to: `user` is signed in now (`refusal` and `needs_code` unset),
    or must give a code next (`needs_code`), or was refused (`refusal` says why, to show)."""
    user: User | None
    needs_code: bool = False
    refusal: str | None = None


def _failed(user: User | None, reason: str) -> SignIn:
    audit.record("auth.sign_in_failed", object_type="users" if user else None, object_id=user.id if user else None,
                 subject_id=user.id if user else None, facts={"reason": reason})
    return SignIn(None, refusal={"code_reused": two_factor.REUSED_CODE, "code": two_factor.WRONG_CODE,
                                 "deactivated": DEACTIVATED}.get(reason, WRONG_PASSWORD))


def _signed_in(user: User, method: str) -> SignIn:
    retention.seen(user)  # activity: the retention clock starts again
    if user.is_coordinator:
        audit.record("auth.signed_in", user, subject=user, actor_id=user.id, facts={"method": method})
    return SignIn(user)


def password_accepted(user: User, method: str = "password") -> SignIn:
    """The person has proved their password: signed in now, or a code next if they use two steps."""
    if user.has_two_factor:
        return SignIn(user, needs_code=True)
    return _signed_in(user, method)


def sign_in_with_password(email: str, password: str) -> SignIn:
    """Step one: email and password (hashed either way, so an unknown email takes as long)."""
    user = find_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return _failed(user, "password")
    if not user.is_active:
        return _failed(user, "deactivated")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return password_accepted(user)


def sign_in_with_code(user: User, code: str) -> SignIn:
    """Step two: a code from the person's app, or one of their recovery codes (used up)."""
    if not user.is_active:
        return _failed(user, "deactivated")
    result = two_factor.check_code(user, code)
    if not result.accepted:
        return _failed(user, "code_reused" if result is two_factor.CodeCheck.REUSED else "code")
    return _signed_in(user, result.value)


def sign_in_after_reset(token: str, password: str, *, setting: bool = False) -> SignIn:
    """A password set from an emailed link signs the person in, or asks for their code next: the
    email alone must not get past the second step."""
    return password_accepted(reset_password(token, password, setting=setting), "password_reset")
