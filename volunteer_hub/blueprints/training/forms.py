from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from volunteer_hub.forms import Form, OptionalIntSelectField, PeoplePickerField, SelectField, choices
from volunteer_hub.models import AttendanceStatus


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseEditForm(Form):
    title = StringField("Title", validators=[DataRequired("Enter the course title."), Length(max=160)])
    summary = StringField("Short summary", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)], render_kw={"rows": 5})
    duration_minutes = IntegerField("Duration (minutes)", default=120,
                                    validators=[DataRequired("Enter the duration in minutes."), NumberRange(1, 24 * 60)])
    audience = StringField("Who it is for", validators=[Optional(), Length(max=300)])
    validity_months = IntegerField("Certificate valid for (months)", validators=[Optional(), NumberRange(1, 240)],
                                   description="Leave blank if the certificate never expires.")
    prerequisite_id = OptionalIntSelectField("Prerequisite course", choices=[], validators=[Optional()])
    gives_certificate = BooleanField("Gives a certificate when the register is finalised", default=True)
    late_counts_as_attended = BooleanField("People marked late get the certificate too", default=True)
    is_active = BooleanField("Active (retired courses cannot get new sessions)", default=True)


class SessionEditForm(Form):
    course_id = SelectField("Course", coerce=int, choices=[])
    date = DateField("Date", validators=[DataRequired("Enter the date.")])
    start_time = TimeField("Starts (UK time)", validators=[DataRequired("Enter the start time.")])
    end_time = TimeField("Ends (UK time)", validators=[DataRequired("Enter the end time.")])
    place = StringField("Place (address)", validators=[Optional(), Length(max=300)])
    online_url = URLField("Online link", validators=[Optional(), URL(message="Enter a full web address."), Length(max=500)])
    capacity = IntegerField("Places", default=12, validators=[DataRequired("Enter the number of places."), NumberRange(1, 500)])
    trainer_ids = PeoplePickerField("Trainers", validators=[Optional()])
    booking_opens = DateTimeLocalField("Booking opens (optional)", validators=[Optional()],
                                       description="Blank: open now.")
    booking_closes = DateTimeLocalField("Booking closes (optional)", validators=[Optional()],
                                        description="Blank: when the session starts.")
    cancellation_cutoff = DateTimeLocalField("Cancel without it counting as late until (optional)",
                                             validators=[Optional()], description="Blank: 24 hours before the start.")
    reminder_hours = StringField("Reminders (hours before, optional)", validators=[Optional(), Length(max=40)],
                                 description="For example 48,2. Blank: the site default.")
    notes = TextAreaField("Notes for attendees", validators=[Optional(), Length(max=5000)],
                          description="What to bring, access, parking.", render_kw={"rows": 4})


class SessionCopyForm(Form):
    new_date = DateField("New date", validators=[DataRequired("Enter the date for the copy.")])


class SessionCancelForm(Form):
    reason = StringField("Reason (sent to everyone booked)", validators=[DataRequired("Say why."), Length(max=500)])


class SessionFilterForm(Form):
    class Meta:
        csrf = False

    course = OptionalIntSelectField("Course", choices=[], validators=[Optional()])
    month = StringField("Month", validators=[Optional(), Length(max=7)], render_kw={"type": "month"})
    place = StringField("Place", validators=[Optional(), Length(max=100)], render_kw={"list": "known-places"})


class BookPersonForm(Form):
    email = EmailField("Email of the person to book in", validators=[DataRequired("Enter their email."), Email()])


class BookingMoveForm(Form):
    session_id = SelectField("Move to", coerce=int, choices=[])


class MarkForm(Form):
    status = SelectField("Mark", choices=choices((s.value, s.label) for s in AttendanceStatus))


class WalkInForm(Form):
    email = EmailField("Email", validators=[DataRequired("Enter their email address."), Email()])
    name = StringField("Name (only if they are new to the site)", validators=[Optional(), Length(max=120)])


class CorrectionForm(Form):
    status = SelectField("Correct mark to", choices=choices((s.value, s.label) for s in AttendanceStatus))
    reason = StringField("Reason", validators=[DataRequired("Give a reason for the correction."), Length(max=500)])
