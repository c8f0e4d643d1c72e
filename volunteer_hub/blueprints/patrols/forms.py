import datetime as dt

from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from volunteer_hub.blueprints.training.forms import MultiCheckboxField
from volunteer_hub.forms import Form, PeoplePickerField, choices

NIGHTS = [(4, "Friday"), (5, "Saturday"), (6, "Sunday"), (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"),
          (3, "Thursday")]


class ShiftForm(Form):
    title = StringField("Title", default="Town centre patrol",
                        validators=[DataRequired("Give the shift a title."), Length(max=160)])
    area = StringField("Area or route", validators=[Optional(), Length(max=300)])
    meeting_point = StringField("Meeting point", validators=[Optional(), Length(max=300)])
    date = DateField("First night", validators=[DataRequired("Enter the date of the (first) night.")])
    start_time = TimeField("Starts (UK time)", default=dt.time(22, 0), validators=[DataRequired("Enter the start time.")])
    end_time = TimeField("Ends (UK time)", default=dt.time(3, 0), validators=[DataRequired("Enter the end time.")],
                         description="An end before the start is the next morning (22:00 to 03:00).")
    repeat = BooleanField("Repeat every week, on the nights ticked below, for the number of weeks below", default=True)
    weekdays = MultiCheckboxField("Nights of the week", coerce=int, choices=choices(NIGHTS), default=[4, 5])
    weeks = IntegerField("Weeks", default=8, validators=[Optional(), NumberRange(1, 12, "Between 1 and 12 weeks.")])
    min_people = IntegerField("Fewest people", default=2,
                              validators=[DataRequired("Enter the fewest people."),
                                          NumberRange(2, 50, "At least 2 people: nobody patrols alone.")],
                              description="Nobody patrols alone: 2 or more.")
    max_people = IntegerField("Most people", default=6,
                              validators=[DataRequired("Enter the most people."), NumberRange(1, 50)])
    course_ids = MultiCheckboxField("Volunteers must hold a current certificate for", coerce=int, choices=[])
    needs_dbs = BooleanField("Volunteers must have a current DBS check", default=True)
    lead_id = PeoplePickerField("Shift lead", validators=[Optional()])
    notes = TextAreaField("Notes for volunteers", validators=[Optional(), Length(max=3000)], render_kw={"rows": 3})


class CancelShiftForm(Form):
    reason = StringField("Reason (sent to everyone on it)", validators=[DataRequired("Say why."), Length(max=500)])
    too_few = BooleanField("Cancelled because too few people joined")
