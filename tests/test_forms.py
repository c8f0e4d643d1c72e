"""The project's <select>: the same markup as WTForms' own widget, and a list that changes (a new
organisation, another one chosen) shows the change at once, although option lists are cached."""
from __future__ import annotations

from wtforms import Form
from wtforms import SelectField as WTFormsSelectField

from volunteer_hub.forms import SelectField, choices


def _forms(options, chosen):
    class Ours(Form):
        organisation = SelectField("Organisation", choices=choices(options))

    class Theirs(Form):
        organisation = WTFormsSelectField("Organisation", choices=choices(options))

    return Ours(data={"organisation": chosen}).organisation(), Theirs(data={"organisation": chosen}).organisation()


def test_the_select_is_written_as_wtforms_writes_it_with_names_escaped():
    ours, theirs = _forms([("", "Any organisation"), ("1", "Bar <Baz> & Co"), ("2", 'The "Anchor"')], "1")
    assert str(ours) == str(theirs)
    assert "Bar &lt;Baz&gt; &amp; Co" in ours and '<option selected value="1">' in ours


def test_a_changed_list_or_choice_shows_at_once():
    first, _ = _forms([("1", "Ambassadors"), ("2", "Pastors")], "1")
    assert '<option selected value="1">Ambassadors' in first
    renamed, _ = _forms([("1", "Ambassadors"), ("2", "Street Pastors"), ("3", "Youth Club")], "1")
    assert "Street Pastors" in renamed and "Youth Club" in renamed
    other, _ = _forms([("1", "Ambassadors"), ("2", "Pastors")], "2")
    assert '<option value="1">Ambassadors' in other and '<option selected value="2">Pastors' in other
