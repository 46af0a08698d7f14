"""Forms of the admin pages; the rules themselves live in tracker.services.clinic_settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TelField

from tracker.compliance_text import REGIME_LABELS
from tracker.models import Clinic
from tracker.phones import format_phone
from tracker.services.clinic_settings import NUMBER_RANGES


class RetryForm(FlaskForm):
    """A Retry button: only the CSRF token."""


class ClinicSettingsForm(FlaskForm):
    timezone = StringField(_l("Time zone"))
    milestone_weeks = StringField(_l("Check-in milestones (weeks after treatment)"))
    send_hour = StringField(_l("Send reminders at (hour, 0-23, patient's time)"))
    window_before_days = StringField(_l("Window opens (days before the due date)"))
    window_after_days = StringField(_l("Window closes (days after the due date)"))
    nudge_after_days = StringField(_l("Nudge after (days without a check-in)"))
    early_days = StringField(_l("Ignore check-ins in the first (days after treatment)"))
    min_improvement = StringField(_l("Minimum improvement for a responder (points)"))
    rise_points = StringField(_l("Rise in stiffness that counts (points above the nadir)"))
    sustain_days = StringField(_l("A rise is sustained after (days)"))
    severe_pain = StringField(_l("Severe pain (0-10)"))
    non_responder_days = StringField(_l("Non-responder after (days without improvement)"))
    regulatory_regime = SelectField(
        _l("Regulatory regime"), choices=list(REGIME_LABELS.items()), validate_choice=False
    )
    phone = TelField(_l("Clinic phone"))
    contact_email = EmailField(_l("Contact email for patients"))
    country = StringField(_l("Country (for phone numbers)"))

    def fill_from(self, clinic: Clinic) -> None:
        """Show the clinic's current settings."""
        self.timezone.data = clinic.timezone
        self.milestone_weeks.data = ", ".join(str(week) for week in clinic.milestone_weeks)
        for name in NUMBER_RANGES:
            getattr(self, name).data = str(getattr(clinic, name))
        self.regulatory_regime.data = clinic.regulatory_regime
        self.phone.data = format_phone(clinic.phone, clinic.phone_country)
        self.contact_email.data = clinic.contact_email or ""
        self.country.data = clinic.country or ""

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
