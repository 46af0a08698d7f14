"""The patient's check-in form, shared by the emailed link and the portal.

The rules themselves live in services/checkins.py; the form only turns what the browser sent
into values and says what is wrong in the patient's language.
"""

# Lazy, because labels are built at import and shown in each request's language; named _ so
# that `pybabel extract` finds the strings with its default keywords.
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import Length, StopValidation

from tracker.vocabulary import TEXT_LIMIT

SCORES = [(n, str(n)) for n in range(11)]

CHOOSE_SCORE = _("Please choose a number from 0 to 10.")
MINUTES_RANGE = _("Please enter the minutes as a whole number from 0 to 1440.")
DESCRIBE_EVENT = _("Please tell us briefly what happened.")
TEXT_TOO_LONG = _("Please keep this under %(limit)d characters.", limit=TEXT_LIMIT)
CHECK_ANSWER = _("Please check this answer.")
ANSWER_SIDE_EFFECT = _(
    "Please tell us whether you have had a side effect or a new symptom: choose Yes or No."
)
YES_OR_NO = [("no", _("No")), ("yes", _("Yes"))]

# What to tell the patient when the service refuses a value the form let through.
SERVICE_MESSAGES = {
    "pain": CHOOSE_SCORE,
    "stiffness": CHOOSE_SCORE,
    "swelling": CHOOSE_SCORE,
    "function": CHOOSE_SCORE,
    "global_assessment": CHOOSE_SCORE,
    "morning_stiffness_minutes": MINUTES_RANGE,
    "adverse_event_details": DESCRIBE_EVENT,
    "notes": CHECK_ANSWER,
}


def whole_number(value):
    """Turn form text into an int; leave anything else for the validator to refuse."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


class WholeNumber:
    """Accept a whole number in a range (or nothing, when optional)."""

    def __init__(self, high: int, message, required: bool = False):
        self.high = high
        self.message = message
        self.required = required

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            if self.required:
                raise StopValidation(str(self.message))
            return
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= self.high:
            raise StopValidation(str(self.message))


class Answered:
    """Accept only one of the field's choices: an unanswered question is no answer at all."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise StopValidation(str(self.message))


def plain_text(form, field) -> None:
    """Refuse control characters a keyboard does not type (PostgreSQL cannot store NUL)."""
    if "\x00" in (field.data or ""):
        raise StopValidation(str(CHECK_ANSWER))


def score_field(label, required: bool) -> RadioField:
    return RadioField(
        label,
        choices=SCORES,
        coerce=whole_number,
        validate_choice=False,
        validators=[WholeNumber(10, CHOOSE_SCORE, required=required)],
    )


class CheckinForm(FlaskForm):
    pain = score_field(_("Pain"), required=True)
    stiffness = score_field(_("Morning stiffness"), required=True)
    morning_stiffness_minutes = StringField(
        _("How many minutes did the morning stiffness last?"),
        filters=[whole_number],
        validators=[WholeNumber(1440, MINUTES_RANGE)],
    )
    swelling = score_field(_("Swelling"), required=False)
    function = score_field(_("Daily activities"), required=False)
    global_assessment = score_field(_("Overall"), required=False)
    # No default: a patient skimming past the question must not report "no" by omission.
    adverse_event = RadioField(
        _("Side effects or new symptoms"),
        choices=YES_OR_NO,
        validate_choice=False,
        validators=[Answered(ANSWER_SIDE_EFFECT)],
    )
    adverse_event_details = TextAreaField(
        _("What happened, and when?"),
        validators=[plain_text, Length(max=TEXT_LIMIT, message=TEXT_TOO_LONG)],
    )
    notes = TextAreaField(
        _("Anything else you would like your care team to know?"),
        validators=[plain_text, Length(max=TEXT_LIMIT, message=TEXT_TOO_LONG)],
    )

    def validate_adverse_event_details(self, field) -> None:
        if self.adverse_event.data == "yes" and not (field.data or "").strip():
            raise StopValidation(str(DESCRIBE_EVENT))

    def values(self) -> dict:
        """Return the answers as record_checkin expects them."""
        reported = self.adverse_event.data == "yes"
        return {
            "pain": self.pain.data,
            "stiffness": self.stiffness.data,
            "morning_stiffness_minutes": self.morning_stiffness_minutes.data,
            "swelling": self.swelling.data,
            "function": self.function.data,
            "global_assessment": self.global_assessment.data,
            "adverse_event": reported,
            # Details typed before switching back to "no" are not a report.
            "adverse_event_details": (self.adverse_event_details.data or "") if reported else "",
            "notes": self.notes.data or "",
        }

    def show_service_errors(self, errors: dict[str, str]) -> None:
        """Put the service's refusals next to the questions, in the patient's words."""
        for field_name, message in errors.items():
            field = getattr(self, field_name, None)
            text = SERVICE_MESSAGES.get(field_name)
            if field is not None and text is not None:
                field.errors = [*field.errors, str(text)]
            else:
                self.form_errors.append(message)
