from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from volunteer_hub.forms import Form
from volunteer_hub.services.auth import MIN_PASSWORD_LENGTH

EMAIL = [DataRequired("Enter your email address."), Email("Enter an email address like name@example.org."), Length(max=254)]
NEW_PASSWORD_HELP = f"At least {MIN_PASSWORD_LENGTH} characters. A few random words work well."


class SignUpForm(Form):
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("Email address", validators=EMAIL, render_kw={"autocomplete": "email"})
    password = PasswordField("Create a password", validators=[DataRequired("Create a password."), Length(max=128)],
                             description=NEW_PASSWORD_HELP, render_kw={"autocomplete": "new-password"})
    agree_privacy = BooleanField("I have read the privacy notice and agree to my details being used as it describes",
                                 validators=[InputRequired("Tick the box to agree to the privacy notice.")])


class SignInForm(Form):
    email = EmailField("Email address", validators=EMAIL, render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device",
                            description="For volunteers. Coordinators and admins are signed out after a working day.")


class PasswordForgotForm(Form):
    email = EmailField("Email address", validators=EMAIL, render_kw={"autocomplete": "email"})


class PasswordResetForm(Form):
    password = PasswordField("New password", validators=[DataRequired("Enter a new password."), Length(max=128)],
                             description=NEW_PASSWORD_HELP, render_kw={"autocomplete": "new-password"})


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."), Length(max=128)],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", validators=[DataRequired("Enter a new password."), Length(max=128)],
                             description=NEW_PASSWORD_HELP, render_kw={"autocomplete": "new-password"})


class EmailChangeForm(Form):
    email = EmailField("New email address", validators=EMAIL, render_kw={"autocomplete": "email"})
    password = PasswordField("Your password", validators=[DataRequired("Enter your password."), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})


# Codes are typed on a phone's number pad and filled in by password managers and the OS.
CODE_INPUT = {"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off", "spellcheck": "false"}
CODE_HELP = "The 6-digit code your authenticator app shows now. Lost your phone? Enter one of your recovery codes."


def _code_field(label: str, message: str, description: str = CODE_HELP) -> StringField:
    return StringField(label, validators=[DataRequired(message), Length(max=32)], description=description,
                       render_kw=CODE_INPUT)


class SignInCodeForm(Form):
    code = _code_field("Code", "Enter the code from your authenticator app, or a recovery code.")


class TwoFactorSetupForm(Form):
    current_code = _code_field("Code from your old app, or a recovery code",
                               "Enter a code from your old app, or one of your recovery codes.",
                               "You have two-step sign-in already: prove it is you before moving it to a new app.")
    code = _code_field("Code from your app", "Enter the 6-digit code your app shows.",
                       "After scanning, your app shows 6 digits that change every 30 seconds.")


class TwoFactorOffForm(Form):
    code = _code_field("Code from your app, or a recovery code", "Enter a code from your app, or a recovery code.")
