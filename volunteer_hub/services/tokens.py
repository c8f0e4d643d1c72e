"""Signed, expiring tokens for the links we email (confirm, reset, set password, change email)."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from volunteer_hub.errors import ValidationFailed


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"volunteer_hub.{purpose}")


def make_token(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict:
    """The payload, or ValidationFailed with a message saying what to do next."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationFailed("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise ValidationFailed("This link is not valid. Check you copied all of it, or ask for a new one.") from None
