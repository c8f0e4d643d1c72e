from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from volunteer_hub.forms import Form, OptionalIntSelectField, SelectField, choices
from volunteer_hub.models import Role
from volunteer_hub.queries.compliance import STATUS_FILTERS


class VerifyForm(Form):
    class Meta:
        csrf = False

    q = StringField("Certificate number or verification code", validators=[Optional(), Length(max=60)],
                    description="The number is printed on the certificate, for example VH-2026-000123.",
                    render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class ComplianceFilterForm(Form):
    class Meta:
        csrf = False

    organisation = OptionalIntSelectField("Organisation", choices=[], validators=[Optional()])
    role = SelectField("Role", choices=choices([("", "Any role")] + [(r.value, r.label) for r in Role]),
                       validators=[Optional()])
    status = SelectField("Status", choices=choices(STATUS_FILTERS.items()), validators=[Optional()])


class ExpiringFilterForm(Form):
    class Meta:
        csrf = False

    days = IntegerField("Expiring in the next (days)", default=30,
                        validators=[Optional(), NumberRange(min=1, max=730, message="Enter a number of days from 1 to 730.")])


class ExternalCertificateForm(Form):
    course_id = OptionalIntSelectField("Course", choices=[],
                                       description="Choose the course it stands for, or leave this and type a title.")
    title = StringField("Or: what the certificate is for", validators=[Optional(), Length(max=160)],
                        description="For example: Emergency first aid at work.")
    issuer = StringField("Issued by", validators=[DataRequired("Enter who issued the certificate."), Length(max=160)])
    issued_on = DateField("Date issued", validators=[DataRequired("Enter the date it was issued.")])
    expires_on = DateField("Expiry date (optional)", validators=[Optional()],
                           description="Leave empty to use the course's validity, or if it never expires.")
    evidence_note = TextAreaField("Evidence seen", validators=[Optional(), Length(max=2000)],
                                  description="For example: original certificate seen, copy kept on file.")


class CertificateRevokeForm(Form):
    reason = TextAreaField("Reason", validators=[DataRequired("Give the reason for revoking it."), Length(max=500)],
                           description="Kept in the certificate's history. The public check shows only \"revoked\".")
