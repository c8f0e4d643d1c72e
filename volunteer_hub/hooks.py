"""Per-request hooks: security headers (a strict CSP) and, in development, sending the outbox."""
from __future__ import annotations

import logging

from flask import current_app, request

from volunteer_hub.models import db

log = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def register(app) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

    @app.after_request
    def send_outbox_in_development(response):
        if current_app.config["VH_SEND_OUTBOX_AFTER_REQUEST"] and request.method == "POST":
            from volunteer_hub.services.outbox import send_pending

            try:
                send_pending()
                db.session.commit()
            except Exception:  # noqa: BLE001 - development convenience only; the outbox keeps it
                db.session.rollback()
                log.exception("could not send the outbox after the request")
        return response
