"""Forms of the patient portal; the check-in form itself is shared with the emailed link."""

from flask_babel import lazy_gettext as _  # lazy: shown in each request's language
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import InputRequired, Length, StopValidation

VALID_EMAIL = _("Please enter a valid email address.")


class PortalRequestForm(FlaskForm):
    email = EmailField(
        _("Email address"),
        validators=[
            InputRequired(message=_("Please enter your email address.")),
            Length(max=254, message=VALID_EMAIL),
        ],
    )

    def validate_email(self, field) -> None:
        address = (field.data or "").strip()
        local, _, domain = address.rpartition("@")
        # NUL would reach the database query (PostgreSQL refuses it): no address contains one.
        if not local or "." not in domain.strip(".") or "\x00" in address:
            raise StopValidation(str(VALID_EMAIL))


class PortalOpenForm(FlaskForm):
    """A button alone: only a POST uses a single-use link (mail scanners only GET)."""
