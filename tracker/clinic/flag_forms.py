"""Forms for decisions on flags and for check-ins taken by phone; the rules live in the services."""

from flask_babel import lazy_gettext as _  # lazy: shown in each request's language
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from tracker.checkin.forms import YES_OR_NO, Answered
from tracker.clinic.forms import optional_int
from tracker.vocabulary import TEXT_LIMIT

# A clinician's decisions; "checked_in" is only ever set by the system.
RESOLUTION_CHOICES = [
    ("booster_scheduled", _("Booster scheduled")),
    ("booster_given", _("Booster given")),
    ("monitor", _("Keep monitoring")),
    ("dismissed", _("Dismiss")),
]
# Nothing chosen at first: a decision on a patient is made, never defaulted.
CHOOSE_DECISION = [("", _("— choose —"))]
SCALE = [(str(n), str(n)) for n in range(11)]
ANSWER_ADVERSE_EVENT = _(
    "Please say whether the patient had an adverse event since the treatment or the last "
    "check-in: choose Yes or No."
)


class AcknowledgeForm(FlaskForm):
    next_url = HiddenField()


class ResolveForm(FlaskForm):
    resolution = SelectField(
        _("Decision"),
        choices=CHOOSE_DECISION + RESOLUTION_CHOICES,
        validators=[InputRequired(_("Choose what was decided."))],
    )
    note = TextAreaField(_("Note"), validators=[Optional(), Length(max=TEXT_LIMIT)])
    next_url = HiddenField()


class CheckinForm(FlaskForm):
    # Ranges are checked by record_checkin, so its messages appear next to these fields.
    recorded_on = DateField(_("Day of the check-in"), validators=[Optional()])
    # Pain first, as on the patient's own form, so both read the same over the phone.
    pain = RadioField(_("Pain (0-10)"), choices=SCALE, coerce=optional_int, validate_choice=False)
    stiffness = RadioField(
        _("Morning stiffness (0-10)"), choices=SCALE, coerce=optional_int, validate_choice=False
    )
    morning_stiffness_minutes = IntegerField(
        _("Minutes of morning stiffness"), validators=[Optional()]
    )
    swelling = RadioField(
        _("Swelling (0-10)"), choices=SCALE, coerce=optional_int, validate_choice=False
    )
    function = RadioField(
        _("Daily activities limited (0 not at all - 10 cannot do them)"),
        choices=SCALE,
        coerce=optional_int,
        validate_choice=False,
    )
    global_assessment = RadioField(
        _("Overall (0 very well - 10 very poorly)"),
        choices=SCALE,
        coerce=optional_int,
        validate_choice=False,
    )
    # No default, as on the patient's own form: "no adverse event" is said, never assumed.
    adverse_event = RadioField(
        _("Adverse event since the treatment or the last check-in"),
        choices=YES_OR_NO,
        validate_choice=False,
        validators=[Answered(ANSWER_ADVERSE_EVENT)],
    )
    adverse_event_details = TextAreaField(_("What happened"), validators=[Length(max=TEXT_LIMIT)])
    notes = TextAreaField(_("Notes"), validators=[Length(max=TEXT_LIMIT)])

    def values(self) -> dict:
        return {
            "recorded_on": self.recorded_on.data,
            "pain": self.pain.data,
            "stiffness": self.stiffness.data,
            "morning_stiffness_minutes": self.morning_stiffness_minutes.data,
            "swelling": self.swelling.data,
            "function": self.function.data,
            "global_assessment": self.global_assessment.data,
            "adverse_event": self.adverse_event.data == "yes",
            "adverse_event_details": self.adverse_event_details.data or "",
            "notes": self.notes.data or "",
        }
