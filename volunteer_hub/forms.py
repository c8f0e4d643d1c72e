"""Form pieces every area uses: a CSRF-only form for buttons, and mapping DomainError onto a form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from volunteer_hub.services.errors import DomainError


class ButtonForm(FlaskForm):
    """A bare POST button (sign out, cancel, deactivate): carries only the CSRF token."""


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put the service's message next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class OptionalIntSelectField(SelectField):
    """A <select> whose blank first option means None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", lambda v: int(v) if v not in (None, "", "None") else None)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)
