"""Friendly error pages. The 500 and DomainError handlers roll back so nothing half-done is kept."""
from __future__ import annotations

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from volunteer_hub.errors import DomainError
from volunteer_hub.models import db

MESSAGES = {
    400: ("Something was wrong with that request", "The page could not use what was sent. Go back, reload the page and try again."),
    403: ("You cannot see this page", "Your account does not have access to this page. If you think it should, ask your coordinator."),
    404: ("Page not found", "The page may have moved, or the link may be incomplete."),
    405: ("That did not work", "This page cannot be used that way."),
    413: ("The file is too large", "Upload a smaller file."),
    429: ("Too many attempts", "Please wait a few minutes and try again."),
    500: ("Sorry, something went wrong", "Nothing was saved. Please try again; if it happens again, tell your coordinator."),
}


def _render(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/healthz") or request.accept_mimetypes.best == "text/plain":
        return f"{code} {title}\n", code, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, "This form had expired or was sent from somewhere else. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        return _render(error.code)

    @app.errorhandler(DomainError)
    def domain_error(error):
        # The last resort: views run services inside unit_of_work, which shows the refusal on the
        # page. One that escapes still writes nothing and gets its message, not a 500.
        db.session.rollback()
        return _render(400, error.message)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render(500)
