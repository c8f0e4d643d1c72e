"""Form pieces every area uses: a CSRF-only form for buttons, and mapping DomainError onto a form."""
from __future__ import annotations

import wtforms
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectChoice
from wtforms.widgets import Select, html_params

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


class QuickSelect(Select):
    """WTForms' <select> widget, with each plain <option> written directly: the stock widget
    builds every option through html_params (about 5 us each), which showed in the profile of
    pages with long lists (the organisation filter has up to 300). Output is the same markup."""

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in self.validation_attrs:
            if k not in kwargs and getattr(flags, k, False):
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for choice in field._iter_choices_normalized():
            if choice.render_kw:
                html.append(self.render_option(choice))
                continue
            value = str(choice.value) if isinstance(choice.value, bool) else choice.value
            selected = " selected" if choice.selected else ""
            html.append(f'<option{selected} value="{escape(value)}">{escape(choice.label or choice.value)}</option>')
        html.append("</select>")
        return Markup("".join(html))


class SelectField(wtforms.SelectField):
    """The project's <select>: WTForms' field with the quicker widget."""

    widget = QuickSelect()


class OptionalIntSelectField(SelectField):
    """A <select> whose blank first option means None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", lambda v: int(v) if v not in (None, "", "None") else None)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)
