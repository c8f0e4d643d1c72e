from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from volunteer_hub.forms import Form, OptionalIntSelectField


class EraseForm(Form):
    reason = TextAreaField("Why is this person being erased?", validators=[
        DataRequired("Say why this person is being erased."), Length(max=500)],
        description="Kept in the audit trail. Do not write their name or contact details here.",
        render_kw={"rows": 3})
    confirmation = StringField("Type their name to confirm", validators=[DataRequired("Type their name to confirm.")],
                               render_kw={"autocomplete": "off", "spellcheck": "false"})
    store_id = OptionalIntSelectField("Return their kit to", choices=[])


class DeclineForm(Form):
    reason = TextAreaField("Why is the request declined?", validators=[
        DataRequired("Say why the request is declined."), Length(max=500)],
        description="The person is told this reason by email.", render_kw={"rows": 3})
