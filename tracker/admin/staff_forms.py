"""Forms of the staff pages; the rules live in tracker.services.staff."""

from flask_babel import lazy_gettext as _l  # lazy: shown in each request's language
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField
from wtforms.validators import InputRequired, Length

from tracker.vocabulary import LANGUAGE_CHOICES

ROLE_CHOICES = [("clinician", _l("Clinician")), ("admin", _l("Admin"))]


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(message=_l("Enter the colleague's email address.")),
            Length(max=254),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    language = SelectField(
        _l("Language of the invitation and of their pages"), choices=LANGUAGE_CHOICES
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class TwoFactorRequirementForm(FlaskForm):
    required = BooleanField(_l("Require two-factor sign-in for all staff of the clinic"))
