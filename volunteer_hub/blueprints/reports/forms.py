from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import Length, Optional

from volunteer_hub.forms import Form, SelectField, choices
from volunteer_hub.models import OrganisationKind
from volunteer_hub.queries.impact_report import PRESETS


class ImpactForm(Form):
    """The report's period and whose figures (a GET form: the address says what is shown)."""
    class Meta:
        csrf = False

    period = SelectField("Period", choices=choices(PRESETS.items()), default="last12")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    organisation = SelectField("Organisation", default="", validate_choice=False)
    kind = SelectField("Kind of organisation", default="",
                       choices=choices([("", "Every kind")] + [(k.value, k.label) for k in OrganisationKind]))


class PublishForm(Form):
    text = TextAreaField("A short text for the page", validators=[Length(max=2000)],
                         description="What the year meant, in a few sentences. Shown above the figures.")


def figure_switches(form_class, keys_and_labels):
    """A PublishForm with one switch per headline figure of the report."""
    class WithSwitches(form_class):
        pass

    for key, label in keys_and_labels:
        setattr(WithSwitches, f"show_{key}", BooleanField(label))
    return WithSwitches
