"""Forms of signing in and of the emailed account links; the rules live in the services."""

from flask_babel import lazy_gettext as _l  # lazy: shown in each request's language
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[InputRequired(message=_l("Enter the code.")), Length(max=32)],
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("6-digit code from the app"),
        validators=[InputRequired(message=_l("Enter the code.")), Length(max=32)],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Choose a password.")), Length(max=200)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class AcceptInvitationForm(NewPasswordForm):
    name = StringField(
        _l("Your name, as colleagues will see it"),
        validators=[InputRequired(message=_l("Enter your name.")), Length(max=200)],
    )
