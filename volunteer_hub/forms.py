"""Form pieces every area uses: the base form, a CSRF-only form for buttons, the project's
<select>, and mapping a DomainError onto a form. Fields are drawn by the `render_field` macro
(templates/_macros/forms.html)."""
from __future__ import annotations

import functools

import wtforms
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import HiddenInput, Select, html_params

from volunteer_hub.errors import DomainError


class Form(FlaskForm):
    """Every form's base. `hidden_tag()` writes the CSRF token without an id, so a page with
    several forms (a session page has five) has no duplicate ids."""

    def hidden_tag(self, *fields):
        hidden = (getattr(self, f, None) if isinstance(f, str) else f for f in (fields or self))
        # Markup.join escapes anything that is not already markup; widgets return Markup.
        return Markup("\n").join(f(id=False) if f.name == "csrf_token" else f()
                                  for f in hidden if f is not None and isinstance(f.widget, HiddenInput))


class ButtonForm(Form):
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
    """WTForms' <select> widget, with each plain <option> written directly (through the field's
    public `iter_choices`): the stock widget builds every option through html_params (about 5 us
    each), which showed in the profile of pages with long lists (the organisation filter has up
    to 300). Output is the same markup."""

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in self.validation_attrs:
            if k not in kwargs and getattr(flags, k, False):
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        plain = []  # a run of plain options, written by _plain_options (cached)
        for value, label, selected, render_kw in field.iter_choices():
            if render_kw:
                html.append(_plain_options(tuple(plain)))
                plain.clear()
                html.append(self.render_option(value, label, selected, **render_kw))
                continue
            value = str(value) if isinstance(value, bool) else value
            plain.append((value, label or value, bool(selected)))
        html.append(_plain_options(tuple(plain)))
        html.append("</select>")
        # bandit B704 (Markup on a variable) is answered here: every piece is escaped already
        # (html_params and _plain_options escape values and labels, render_option returns Markup),
        # and Markup.join would escape the plain strings a second time.
        escaped = "".join(html)
        return Markup(escaped)  # nosec B704


@functools.lru_cache(maxsize=256)
def _plain_options(options: tuple[tuple[object, object, bool], ...]) -> str:
    """<option>s from (value, label, selected): the same list (the 300 organisations of a
    filter, with the same one chosen) comes back on request after request, so it is escaped
    and joined once per process. The key is the whole content, so a changed list is a new entry."""
    return "".join(f'<option{" selected" if selected else ""} value="{escape(value)}">{escape(label)}</option>'
                   for value, label, selected in options)


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


class PeoplePickerField(SelectMultipleField):
    """Ticked people from a searchable picker (queries/pickers.py): the page lists only the matches
    for what was typed and those already ticked, so the choices are the ticked ids themselves;
    views still load each through get_person_or_404, which refuses anyone the viewer may not see."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("choices", [])
        kwargs.setdefault("default", list)  # nobody ticked yet (a new list each time)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        # Ids only (nonsense and numbers no row could have are dropped: the view then says who is missing).
        self.data = [int(v) for v in valuelist if str(v).isdigit() and int(v) <= 2**31 - 1]

    def pre_validate(self, form):
        return None
