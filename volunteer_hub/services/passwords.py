"""Password hashing: Argon2id with parameters chosen on purpose (see config VH_ARGON2_*)."""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers: dict[tuple[int, int, int], PasswordHasher] = {}

# A real hash to verify against when the account does not exist, so that a sign-in for an
# unknown email takes as long as one for a known email.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"
_dummy_hash: dict[tuple[int, int, int], str] = {}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    params = (cfg["VH_ARGON2_MEMORY_KIB"], cfg["VH_ARGON2_TIME_COST"], cfg["VH_ARGON2_PARALLELISM"])
    if params not in _hashers:
        memory, time_cost, parallelism = params
        _hashers[params] = PasswordHasher(
            time_cost=time_cost, memory_cost=memory, parallelism=parallelism, type=Type.ID
        )
    return _hashers[params]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if not password_hash:
        key = (hasher.memory_cost, hasher.time_cost, hasher.parallelism)
        if key not in _dummy_hash:
            _dummy_hash[key] = hasher.hash(_DUMMY_PASSWORD)
        password_hash = _dummy_hash[key]
        _safe_verify(hasher, password_hash, password)
        return False
    return _safe_verify(hasher, password_hash, password)


def _safe_verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
