"""Per-request hooks: staff without two-step sign-in sent to set it up first, anyone who has not
accepted the current privacy notice sent to read it first, security headers (a
strict CSP; HSTS in production), in development sending the outbox, and
(only with VH_COUNT_QUERIES) an X-Query-Count header for the benchmark and the query-count test."""
from __future__ import annotations

import logging

from flask import current_app, g, has_request_context, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Engine, event

from volunteer_hub.models import db
from volunteer_hub.security import must_set_up_second_factor
from volunteer_hub.services.privacy import notice

log = logging.getLogger(__name__)

# What a coordinator or admin without a second factor may still reach: setting it up, leaving,
# the files the page needs, and the health checks (which never look at the session).
BEFORE_SECOND_FACTOR = {"auth.two_factor_setup", "auth.sign_out", "static", "bootstrap.static",
                        "main.healthz", "main.readyz"}

# What a person who has not accepted the current privacy notice may still reach: the notice, the
# acceptance, leaving, and (staff) setting up two-step sign-in, which comes first.
BEFORE_NOTICE = BEFORE_SECOND_FACTOR | {"privacy.notice_accept", "main.privacy"}

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
        "base-uri 'none'",  # no page uses <base>; an injected one could not redirect relative URLs
        "object-src 'none'",
    ]
)


def _count_query(conn, cursor, statement, parameters, context, executemany):
    if has_request_context() and "vh_query_count" in g:
        g.vh_query_count += 1


def register(app) -> None:
    if not event.contains(Engine, "before_cursor_execute", _count_query):
        event.listen(Engine, "before_cursor_execute", _count_query)

    @app.before_request
    def start_counting_queries():
        if current_app.config["VH_COUNT_QUERIES"]:
            g.vh_query_count = 0

    @app.before_request
    def staff_set_up_two_step_sign_in_first():
        if request.endpoint is None or request.endpoint in BEFORE_SECOND_FACTOR:
            return None
        if must_set_up_second_factor(current_user):
            return redirect(url_for("auth.two_factor_setup"))
        return None

    @app.before_request
    def accept_the_privacy_notice_first():
        if request.endpoint is None or request.endpoint in BEFORE_NOTICE:
            return None
        if notice.must_accept(current_user):
            next_url = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("privacy.notice_accept", next=next_url))
        return None

    @app.after_request
    def report_query_count(response):
        # Queries made while a response streams (the CSV export) come after this and are not counted.
        if "vh_query_count" in g:
            response.headers["X-Query-Count"] = str(g.pop("vh_query_count"))
        return response

    headers = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
               ("Permissions-Policy", "camera=(), microphone=(), geolocation=()")]
    if seconds := app.config["VH_HSTS_SECONDS"]:
        # Browsers ignore it over plain HTTP, so sending it on every response is safe.
        subdomains = "; includeSubDomains" if app.config["VH_HSTS_INCLUDE_SUBDOMAINS"] else ""
        headers.append(("Strict-Transport-Security", f"max-age={seconds}{subdomains}"))

    @app.after_request
    def security_headers(response):
        # Built once: no view sets any of these, so one look at the first says whether to add them.
        if "Content-Security-Policy" not in response.headers:
            response.headers.extend(headers)
        return response

    @app.after_request
    def send_outbox_in_development(response):
        if current_app.config["VH_SEND_OUTBOX_AFTER_REQUEST"] and request.method == "POST":
            from volunteer_hub.jobs import send_batch

            try:
                send_batch()
            except Exception:  # noqa: BLE001 - development convenience only; the outbox keeps it
                db.session.rollback()
                log.exception("could not send the outbox after the request")
        return response
