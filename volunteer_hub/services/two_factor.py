"""Two-step sign-in: a TOTP secret (an authenticator app) and ten single-use recovery codes.

- A code is accepted for the time-step before, at or after now (30 s each, for phones whose clock
  is a little off), and only for a step later than the last one accepted: a code seen over
  someone's shoulder cannot be used again. The check and the write are one conditional UPDATE, so
  two requests racing with the same code cannot both win.
- Recovery codes are 12 random digits (about 40 bits; typed on the same numeric keypad), stored
  as SHA-256 (a slow hash would add nothing to a random code), each good once.
- Coordinators and admins must keep it on; anyone may set it up again with a new phone by giving
  a current code (or a recovery code). Only an admin can reset someone else's.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import secrets

import pyotp
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from volunteer_hub import audit
from volunteer_hub.clock import now
from volunteer_hub.errors import Conflict, NotAllowed, ValidationFailed
from volunteer_hub.models import RecoveryCode, User, db

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_DIGITS = 12
CODE_DIGITS = 6

WRONG_CODE = "That code is not right. Enter the 6-digit code your app shows now, or one of your recovery codes."
REUSED_CODE = "That code has been used already. Wait for your app to show the next one, then enter it."
STAFF_KEEP_IT = ("Coordinators and admins must keep two-step sign-in on. To move it to a new phone, "
                 "set it up again instead.")


class CodeCheck(enum.Enum):
    TOTP = "code"
    RECOVERY = "recovery_code"
    REUSED = "reused"
    WRONG = "wrong"

    @property
    def accepted(self) -> bool:
        return self in (CodeCheck.TOTP, CodeCheck.RECOVERY)

    @property
    def message(self) -> str | None:
        return {CodeCheck.REUSED: REUSED_CODE, CodeCheck.WRONG: WRONG_CODE}.get(self)


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address the QR code carries (the account is shown as the email in the app)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["VH_PARTNERSHIP_NAME"])


def _digits(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _matching_step(secret: str, code: str) -> int | None:
    """The time-step (now ±1) whose code is `code`, latest first, or None."""
    if len(code) != CODE_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now())
    for step in (current + 1, current, current - 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, code: str) -> CodeCheck | None:
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return None
    won = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        return CodeCheck.REUSED
    user.totp_last_step = step
    db.session.flush()
    return CodeCheck.TOTP


def _accept_recovery(user: User, code: str) -> bool:
    if len(code) != RECOVERY_CODE_DIGITS or not code.isdigit():
        return False
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=now()).execution_options(synchronize_session=False)
    ).rowcount
    return bool(used)


def check_code(user: User, code: str | None) -> CodeCheck:
    """Accept a current TOTP code or an unused recovery code for `user` (and use it up), or say why
    not. Writes only what an accepted code uses, so a refusal can still commit its audit entry."""
    code = _digits(code)
    if not user.has_two_factor:
        return CodeCheck.WRONG
    result = _accept_totp(user, code)
    if result is not None:
        return result
    return CodeCheck.RECOVERY if _accept_recovery(user, code) else CodeCheck.WRONG


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice("0123456789") for _ in range(RECOVERY_CODE_DIGITS))
             for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes)
    return [" ".join(c[i:i + 4] for i in range(0, RECOVERY_CODE_DIGITS, 4)) for c in codes]


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def enable_two_factor(user: User, secret: str, code: str, current_code: str | None = None) -> list[str]:
    """Turn on two-step sign-in with `secret`, once `code` from the app proves it holds it. Someone
    who has it on already (setting it up on a new phone) must also give a code from the old one or
    a recovery code. Returns the ten new recovery codes, to be shown once."""
    again = user.has_two_factor
    if again and not check_code(user, current_code).accepted:
        raise ValidationFailed("Enter a code from your old app, or one of your recovery codes.", "current_code")
    step = _matching_step(secret, _digits(code))
    if step is None:
        raise ValidationFailed("That code is not right. Check you scanned the code on this page, "
                               "then enter the 6 digits your app shows now.", "code")
    user.totp_secret = secret
    user.totp_enabled_at = now()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record("auth.two_factor_enabled", user, subject=user, facts={"again": again})
    return codes


def turn_off_two_factor(user: User, code: str) -> None:
    """A volunteer (or trainer) turns two-step sign-in off, with a current code or a recovery code."""
    if user.is_coordinator:
        raise NotAllowed(STAFF_KEEP_IT)
    if not user.has_two_factor:
        raise Conflict("Two-step sign-in is already off.")
    result = check_code(user, code)
    if not result.accepted:
        raise ValidationFailed(result.message, "code")
    _clear(user)
    audit.record("auth.two_factor_reset", user, subject=user, facts={"turned_off": True})


def reset_two_factor(person: User, by: User) -> None:
    """An admin clears someone else's second factor (a lost phone): secret and recovery codes go,
    and every session of theirs ends. They set it up again at their next sign-in (staff must)."""
    if person.id == by.id:
        raise NotAllowed("You cannot reset your own two-step sign-in. Sign in with a recovery code, "
                         "then set it up again from Your details, or ask another admin.")
    if person.totp_secret is None and person.totp_enabled_at is None:
        raise Conflict(f"{person.name} has not set up two-step sign-in.")
    _clear(person)
    person.session_version += 1
    db.session.flush()
    audit.record("auth.two_factor_reset", person, subject=person)
