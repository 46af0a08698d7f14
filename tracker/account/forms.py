"""Forms of one's own account: password, language, two-factor sign-in, API tokens."""

from flask_babel import lazy_gettext as _l  # lazy: shown in each request's language
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from tracker.vocabulary import LANGUAGE_CHOICES


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password.")), Length(max=200)],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Choose a password.")), Length(max=200)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("new_password", message=_l("The two passwords are not the same."))],
    )


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language of pages and emails"), choices=LANGUAGE_CHOICES)


class PasswordAgainForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(message=_l("Enter your password.")), Length(max=200)],
    )


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name (what the token is for)"),
        validators=[InputRequired(message=_l("Name the token.")), Length(max=100)],
    )


class ButtonForm(FlaskForm):
    """A button alone: only the CSRF token."""
