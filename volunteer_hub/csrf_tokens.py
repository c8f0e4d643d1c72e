"""Flask-WTF's CSRF token, signed once per worker for each session's token, not on every page.

Every signed-in page carries a token (the menu's "Sign out" form, and any form on the page), and
Flask-WTF signs it afresh on each request: ~45 us, more than the rest of the menu. Tokens here have
no time limit (`WTF_CSRF_TIME_LIMIT = None`, a form left open on a tablet all evening still posts),
so a token signed earlier for the same session token and key is checked exactly as a new one.
Each worker keeps the signed tokens it made (at most `KEPT`), keyed by the key and the session's
own token; before a request, the one for this session is put where Flask-WTF looks first
(`g.csrf_token`). With a time limit set, nothing is kept: every page signs its own.
"""
from __future__ import annotations

import base64
import binascii
import json
from contextlib import suppress

from flask import current_app, g, session

KEPT = 4096
_EXTENSION = "vh_signed_csrf_tokens"


def _settings() -> tuple[str, str] | None:
    """(the session key of the raw token, the signing key), or None when tokens expire."""
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None or not config.get("WTF_CSRF_ENABLED", True):
        return None
    return config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key


def _raw_of(token: str) -> str | None:
    """The session token a signed token carries (its first part is that value as JSON, base64)."""
    payload = token.split(".", 1)[0]
    try:
        raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return raw if isinstance(raw, str) else None


def use_kept_token() -> None:
    settings = _settings()
    if settings is None:
        return
    field, secret = settings
    raw = session.get(field)
    token = current_app.extensions[_EXTENSION].get((secret, raw)) if isinstance(raw, str) else None
    if token is not None:
        setattr(g, field, token)


def keep_new_token(response):
    settings = _settings()
    token = g.get(settings[0]) if settings else None
    if isinstance(token, str) and (raw := _raw_of(token)) is not None:
        kept = current_app.extensions[_EXTENSION]
        key = (settings[1], raw)
        if key not in kept:
            kept[key] = token
            if len(kept) > KEPT:
                with suppress(KeyError, RuntimeError, StopIteration):  # another thread trimmed it first
                    del kept[next(iter(kept))]
    return response


def register(app) -> None:
    app.extensions[_EXTENSION] = {}
    app.before_request(use_kept_token)
    app.after_request(keep_new_token)
