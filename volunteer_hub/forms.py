"""Form pieces every area uses: a CSRF-only form for buttons, and mapping DomainError onto a form."""
from __future__ import annotations

import functools

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
        plain = []  # a run of plain options, written by _plain_options (cached)
        for choice in field._iter_choices_normalized():
            if choice.render_kw:
                html.append(_plain_options(tuple(plain)))
                plain.clear()
                html.append(self.render_option(choice))
                continue
            value = str(choice.value) if isinstance(choice.value, bool) else choice.value
            plain.append((value, choice.label or choice.value, bool(choice.selected)))
        html.append(_plain_options(tuple(plain)))
        html.append("</select>")
        return Markup("".join(html))


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


_SELECT_TYPES = frozenset({"SelectField", "OptionalIntSelectField", "QuerySelectField"})
_CHOICE_GROUP_TYPES = frozenset({"MultiCheckboxField", "RadioField"})


def render_field(field, class_: str = "", hint=None) -> Markup:
    """One way to render a field: label, hint, the error next to it, aria wiring (WCAG: the
    hint and error are announced with the input). The `render_field` macro in
    templates/_macros/forms.html calls this; it was a Jinja macro, and filter forms render on
    most list pages, where its per-field template logic showed in the profiles."""
    has_error = len(field.errors) > 0
    hint_text = hint or field.description
    described = []
    if hint_text:
        described.append(f"{field.id}-hint")
    if has_error:
        described.append(f"{field.id}-error")
    attrs = {"aria-describedby": " ".join(described)} if described else {}
    if has_error:
        attrs["aria-invalid"] = "true"
    if field.flags.required:
        attrs["required"] = True
    hint_html = Markup('<div id="{}-hint" class="form-text{}">{}</div>')
    error_html = Markup('<div id="{}-error" class="invalid-feedback d-block{}">{}</div>')
    errors = " ".join(str(e) for e in field.errors) if has_error else ""
    if field.type == "BooleanField":
        parts = [
            Markup('<div class="mb-3 form-check {}">').format(class_),
            field(class_="form-check-input" + (" is-invalid" if has_error else ""), **attrs),
            field.label(class_="form-check-label"),
            hint_html.format(field.id, "", hint_text) if hint_text else "",
            error_html.format(field.id, "", errors) if has_error else "",
            Markup("</div>"),
        ]
    elif field.type in _CHOICE_GROUP_TYPES:
        described_attr = Markup(' aria-describedby="{}"').format(" ".join(described)) if described else ""
        parts = [
            Markup('<fieldset class="mb-3 {}"{}>').format(class_, described_attr),
            Markup('<legend class="form-label fs-6 fw-semibold">{}</legend>').format(field.label.text),
            hint_html.format(field.id, "", hint_text) if hint_text else "",
            error_html.format(field.id, "", errors) if has_error else "",
            *(Markup('<div class="form-check">{} {}</div>').format(
                option(class_="form-check-input"), option.label(class_="form-check-label")) for option in field),
            Markup("</fieldset>"),
        ]
    else:
        base_class = "form-select" if field.type in _SELECT_TYPES else "form-control"
        parts = [
            Markup('<div class="mb-3 {}">').format(class_),
            field.label(class_="form-label fw-semibold"),
            hint_html.format(field.id, " mt-0 mb-1", hint_text) if hint_text else "",
            error_html.format(field.id, " mb-1", errors) if has_error else "",
            field(class_=base_class + (" is-invalid" if has_error else ""), **attrs),
            Markup("</div>"),
        ]
    return Markup("\n").join(p for p in parts if p)
