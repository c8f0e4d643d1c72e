from wtforms import DateField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from volunteer_hub.audit import ACTIONS
from volunteer_hub.forms import Form, SelectField, choices
from volunteer_hub.queries.audit import OBJECT_LABELS

PERSON_HINT = "Email address or account number"


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    actor = StringField("Person acting", description=PERSON_HINT, validators=[Optional(), Length(max=254)])
    subject = StringField("Person affected", description=PERSON_HINT, validators=[Optional(), Length(max=254)])
    action = SelectField("Action", choices=choices([("", "Any action")] + sorted(ACTIONS.items(), key=lambda a: a[1])),
                         validators=[Optional()])
    object_type = SelectField("Object", choices=choices([("", "Any object")] + list(OBJECT_LABELS.items())),
                              validators=[Optional()])
    object_id = IntegerField("Object number", validators=[Optional(), NumberRange(min=1, max=2**31 - 1,
                                                                                  message="Enter a number from 1.")],
                             render_kw={"inputmode": "numeric"})
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be on or after the start date.")
