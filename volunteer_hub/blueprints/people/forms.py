from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from volunteer_hub.forms import Form, OptionalIntSelectField, SelectField, choices
from volunteer_hub.models import OrganisationKind, Role

PHONE = [Optional(), Length(max=40), Regexp(r"^[0-9+() \-]{6,40}$", message="Enter a phone number using digits, spaces and + only.")]


class ProfileForm(Form):
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    preferred_name = StringField("Preferred name (optional)", validators=[Optional(), Length(max=120)],
                                 description="What you like to be called.", render_kw={"autocomplete": "nickname"})
    phone = TelField("Phone (optional)", validators=PHONE, render_kw={"autocomplete": "tel"})
    emergency_contact_name = StringField("Emergency contact name (optional)", validators=[Optional(), Length(max=120)])
    emergency_contact_phone = TelField("Emergency contact phone (optional)", validators=PHONE)
    organisation_id = OptionalIntSelectField("Organisation", choices=[])


class DbsForm(Form):
    dbs_checked_on = DateField("Date of DBS check", validators=[Optional()])
    dbs_renew_by = DateField("Renew DBS by", validators=[Optional()])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(Form):
    roles = MultiCheckboxField("Roles", choices=choices((r.value, r.label) for r in Role))


class AgenciesForm(Form):
    """Which organisations' people a coordinator sees (choices: the organisations in use)."""
    all_agencies = BooleanField("All agencies", description="They see everyone's personal data, as an admin does.")
    organisation_ids = MultiCheckboxField("Agencies", coerce=int, choices=[],
                                          description="Or only the people of these organisations (and themselves).")


class DirectoryFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField("Name or email", validators=[Optional(), Length(max=100)])
    organisation = OptionalIntSelectField("Organisation", choices=[], validators=[Optional()])
    role = SelectField("Role", choices=choices([("", "Any role")] + [(r.value, r.label) for r in Role]), validators=[Optional()])
    active = SelectField("Status", choices=choices([("", "Active and inactive"), ("yes", "Active"), ("no", "Deactivated")]),
                         validators=[Optional()])
    confirmed = SelectField("Email", choices=choices([("", "Confirmed or not"), ("yes", "Confirmed"), ("no", "Not confirmed")]),
                            validators=[Optional()])


class ImportForm(Form):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload."),
                                             FileAllowed(["csv", "txt"], "Upload a .csv file.")],
                     description="A .csv file with the columns above.")


class OrganisationForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter the organisation's name."), Length(max=120)])
    kind = SelectField("Kind", choices=choices((k.value, k.label) for k in OrganisationKind))
