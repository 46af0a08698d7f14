"""Forms of the clinician UI; the rules themselves live in the services."""

from collections.abc import Callable
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker.clinic_words import ROUTE_LABELS, TREATMENT_KIND_LABELS, translated
from tracker.compliance_text import SEX_LABELS
from tracker.models.outcome_event import KINDS as OUTCOME_EVENT_KINDS
from tracker.services.validation import (
    SMALLEST_DOSE,
    Conflict,
    InvalidInput,
    multi_line_error,
    single_line_error,
)
from tracker.vocabulary import LANGUAGE_CHOICES, TEXT_LIMIT

TIMEZONES = sorted(available_timezones())
SCORE_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(11)]


def optional_int(value):
    return int(value) if value not in (None, "") else None


def single_line(form, field) -> None:
    """Refuse line breaks and other control characters, as the services do."""
    if single_line_error(field.data or ""):
        raise ValidationError(
            _(
                "Please keep this on one line, without line breaks, tabs, NUL or other control characters."
            )
        )


def no_nul(form, field) -> None:
    if multi_line_error(field.data or ""):
        raise ValidationError(_("Please remove the NUL characters."))


class PatientForm(FlaskForm):
    external_id = StringField(
        _("External ID (MRN)"), validators=[DataRequired(), Length(max=64), single_line]
    )
    name = StringField(_("Name"), validators=[DataRequired(), Length(max=200), single_line])
    email = EmailField(_("Email"), validators=[Optional(), Length(max=254)])
    phone = TelField(_("Phone"), validators=[Optional(), Length(max=40), single_line])
    timezone = StringField(_("Time zone"), validators=[Optional(), Length(max=64)])
    language = SelectField(_("Language"), choices=LANGUAGE_CHOICES)
    frozen_doses = IntegerField(
        _("Frozen doses in the cell bank"), default=0, validators=[Optional(), NumberRange(0, 100)]
    )
    date_of_birth = DateField(_("Date of birth"), validators=[Optional()])
    sex = SelectField(_("Sex"), choices=[("", "—"), *SEX_LABELS.items()], validate_choice=False)
    address = StringField(_("Address (optional)"), validators=[Optional(), Length(max=500)])
    diagnosis = StringField(_("Diagnosis"), validators=[Optional(), Length(max=500)])

    def values(self) -> dict:
        return {
            "external_id": self.external_id.data,
            "name": self.name.data,
            "email": self.email.data or None,
            "phone": self.phone.data or None,
            "timezone": self.timezone.data or None,
            "language": self.language.data,
            "frozen_doses": self.frozen_doses.data or 0,
            "date_of_birth": self.date_of_birth.data,
            "sex": self.sex.data or None,
            "address": self.address.data or None,
            "diagnosis": self.diagnosis.data or None,
        }


class TreatmentForm(FlaskForm):
    treated_on = DateField(_("Treated on"), validators=[InputRequired()])
    kind = SelectField(_("Kind"), choices=list(TREATMENT_KIND_LABELS.items()))
    route = SelectField(_("Route"), choices=list(ROUTE_LABELS.items()))
    site = StringField(_("Site"), validators=[DataRequired(), Length(max=200), single_line])
    kl_grade = SelectField(
        _("KL grade"),
        choices=[("", "—")] + [(str(n), str(n)) for n in range(5)],
        coerce=optional_int,
    )
    cell_dose_million = DecimalField(
        _("Cell dose (million)"),
        places=2,
        validators=[
            Optional(),
            NumberRange(
                min=SMALLEST_DOSE,
                message=_("Please enter at least 0.01 million cells (two decimals are kept)."),
            ),
        ],
    )
    booster_of = SelectField(_("Booster of"), coerce=optional_int, validate_choice=False)
    plan_id = SelectField(_("Provision plan"), coerce=optional_int, validate_choice=False)
    used_frozen_dose = BooleanField(_("Uses a frozen dose from the cell bank"))
    baseline_pain = SelectField(_("Pain (0-10)"), choices=SCORE_CHOICES, coerce=optional_int)
    baseline_stiffness = SelectField(
        _("Morning stiffness (0-10)"), choices=SCORE_CHOICES, coerce=optional_int
    )
    baseline_morning_stiffness_minutes = IntegerField(
        _("Minutes of morning stiffness"), validators=[Optional(), NumberRange(0, 1440)]
    )
    baseline_function = SelectField(
        _("Daily activities limited (0-10)"), choices=SCORE_CHOICES, coerce=optional_int
    )
    baseline_global_assessment = SelectField(
        _("Overall (0 very well - 10 very poorly)"), choices=SCORE_CHOICES, coerce=optional_int
    )
    notes = TextAreaField(_("Notes"), validators=[Optional(), Length(max=TEXT_LIMIT), no_nul])

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class OutcomeEventForm(FlaskForm):
    treatment_id = SelectField(_("Treatment"), coerce=optional_int, validate_choice=False)
    kind = SelectField(
        _("What happened"),
        choices=[(code, _(label)) for code, label in OUTCOME_EVENT_KINDS.items()],
    )
    occurred_on = DateField(_("On"), validators=[InputRequired()])
    note = StringField(_("Note"), validators=[Optional(), Length(max=TEXT_LIMIT)])

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "occurred_on": self.occurred_on.data,
            "note": self.note.data or "",
        }


def copy_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Show a service's rule violations next to the form fields they concern."""
    for field_name, english in errors.items():
        message = translated(english)
        field = getattr(form, field_name, None)
        if field is None:
            form.form_errors.append(message)
        elif not field.errors:
            # A field the form refused already says what is wrong with what was typed.
            field.errors = [*field.errors, message]


def validate_with_rules(form: FlaskForm, check_rules: Callable[[], object]) -> bool:
    """Validate a sent form; when it fails, also show what the service's rules refuse.

    check_rules runs the service's checks on form.values() and writes nothing. Without it, an
    error only the service sees would appear after the form's own were fixed: every error is
    shown in one pass.
    """
    if form.validate_on_submit():
        return True
    if form.is_submitted():
        try:
            check_rules()
        except (InvalidInput, Conflict) as error:
            copy_errors(form, error.errors)
    return False
