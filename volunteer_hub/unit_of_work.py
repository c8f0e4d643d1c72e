"""The one transaction boundary. Every POST view and every command that writes runs its service
call inside `unit_of_work`:

    form = CourseEditForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            course = courses.save_course(course, **form.values())
        if work.ok:
            flash("Saved.", "success")
            return redirect(...)
    return render_template(...), refused_status(form)

- success: commits; `work.ok` is True;
- a `DomainError`: rolls back (nothing half-written), puts the message next to its field on the
  form (or at the top of it), or, with no form (a button), flashes it; `work.ok` is False and
  `work.error` holds it. Outside a request (a command) the error is raised again after the
  rollback, so the command can report it;
- any other exception: rolls back and propagates (the 500 page says nothing was saved).

It also knows who is acting (`volunteer_hub.actor`): the signed-in person, or whoever the
command names. The audit trail reads the actor from there, in the same transaction.
"""
from __future__ import annotations

from flask import flash, g, has_request_context
from flask_wtf import FlaskForm

from volunteer_hub.actor import set_actor
from volunteer_hub.db.sqlite import immediate_transactions
from volunteer_hub.errors import DomainError
from volunteer_hub.forms import show_domain_error
from volunteer_hub.models import db

REFUSED = 400  # a refused form re-renders with this status and its errors, in every area

_SIGNED_IN = object()


class UnitOfWork:
    def __init__(self, form: FlaskForm | None = None, *, actor=_SIGNED_IN, flash_category: str | None = "danger"):
        self.form = form
        self.actor = actor
        self.flash_category = flash_category
        self.ok = False
        self.error: DomainError | None = None
        self._writing = None

    def __enter__(self) -> UnitOfWork:
        self._previous_actor = g.get("actor", _SIGNED_IN)
        if self.actor is not _SIGNED_IN:
            set_actor(self.actor)
        if not has_request_context():
            # A command or job: end any read it began, so the write starts as a writer (SQLite's
            # BEGIN IMMEDIATE) and sees the latest data.
            db.session.commit()
        self._writing = immediate_transactions()
        self._writing.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is None:
                db.session.commit()
                self.ok = True
                return False
            db.session.rollback()
        finally:
            self._writing.__exit__(None, None, None)
            if self._previous_actor is _SIGNED_IN:
                g.pop("actor", None)
            else:
                g.actor = self._previous_actor
        if not isinstance(exc, DomainError) or not has_request_context():
            return False
        self.error = exc
        if self.form is not None:
            show_domain_error(self.form, exc)
        elif self.flash_category:  # None: the caller answers with `work.error` itself (JSON)
            flash(exc.message, self.flash_category)
        return True


def unit_of_work(form: FlaskForm | None = None, *, actor=_SIGNED_IN, flash_category: str | None = "danger") -> UnitOfWork:
    """A transaction around one service call: see the module's docstring."""
    return UnitOfWork(form, actor=actor, flash_category=flash_category)


def refused_status(form: FlaskForm) -> int:
    """The status of a page that shows `form`: REFUSED if it carries errors, else 200."""
    return REFUSED if form.errors or getattr(form, "form_errors", None) else 200
