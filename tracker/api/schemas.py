"""Request and response schemas: the one definition behind validation and the OpenAPI document."""

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from tracker.api.answers import AnswerSchema, UTCDateTime
from tracker.models.outcome_event import KINDS as OUTCOME_EVENT_KINDS
from tracker.models.patient import SEXES
from tracker.models.treatment import KINDS as TREATMENT_KINDS
from tracker.models.treatment import ROUTES
from tracker.phones import format_phone
from tracker.services.flagging import CLINICIAN_RESOLUTIONS
from tracker.services.validation import (
    EARLIEST_DATE,
    EMAIL_PATTERN,
    IANA_ZONES,
    LARGEST_DOSE,
    MULTI_LINE_PATTERN,
    PHONE_MAX_LENGTH,
    REQUIRED_TEXT_PATTERN,
    SINGLE_LINE_PATTERN,
    SMALLEST_DOSE,
    ZONE_MESSAGE,
    multi_line_error,
    single_line_error,
)
from tracker.vocabulary import FLAG_KINDS, FLAG_STATUSES, LANGUAGES, OPEN, TEXT_LIMIT

SCORE = validate.Range(min=0, max=10)
FUNCTION = {
    "description": "How much the joint limits daily activities (walking, stairs, getting up):"
    " 0 not at all, 10 completely."
}
GLOBAL = {
    "description": "Considering everything, how the joint is doing: 0 very well, 10 very poorly."
}
# A format of our own for a day that has come: OpenAPI can bound a number, never a date by today.
PAST_DATE = "past-date"


def refuse_blank_or_control_characters(value: str) -> None:
    """Refuse what the services would: a blank value, or a line break or other control."""
    if not value.strip():
        raise ValidationError("Must not be blank.")
    message = single_line_error(value)
    if message:
        raise ValidationError(message)


def refuse_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def refuse_nul(value: str) -> None:
    """Refuse NUL, which PostgreSQL cannot store in text."""
    message = multi_line_error(value)
    if message:
        raise ValidationError(message)


def single_line(max_length: int, description: str = "", **kwargs) -> fields.String:
    """A one-line text field; the document states its rule as a pattern."""
    return fields.String(
        validate=[validate.Length(min=1, max=max_length), refuse_blank_or_control_characters],
        metadata={
            "pattern": SINGLE_LINE_PATTERN,
            "description": (description + " One line: no control characters.").strip(),
        },
        **kwargs,
    )


def multi_line(description: str = "") -> fields.String:
    """A free-text field that may hold line breaks, but no NUL."""
    return fields.String(
        load_default="",
        validate=[validate.Length(max=TEXT_LIMIT), refuse_nul],
        metadata={
            "pattern": MULTI_LINE_PATTERN,
            "description": (description + " Line breaks allowed; no NUL.").strip(),
        },
    )


def clinic_day(description: str, zone: str = "the patient's", **kwargs) -> fields.Date:
    """A day in the patient's life, as the services accept it: from 1950, never in the future."""
    return fields.Date(
        metadata={
            "format": PAST_DATE,
            "description": f"{description} A date (YYYY-MM-DD) from {EARLIEST_DATE.isoformat()} "
            f"up to today in {zone} time zone, never in the future. {PAST_DATE} is a format of "
            "our own: OpenAPI cannot bound a date by today.",
        },
        **kwargs,
    )


def required_text(description: str = "") -> fields.String:
    """A free-text field that must say something; line breaks allowed, no NUL."""
    return fields.String(
        required=True,
        validate=[validate.Length(min=1, max=TEXT_LIMIT), refuse_blank, refuse_nul],
        metadata={
            "pattern": REQUIRED_TEXT_PATTERN,
            "description": (description + " Not blank; line breaks allowed; no NUL.").strip(),
        },
    )


class WholeNumber(fields.Integer):
    """An integer as JSON Schema reads one: 5 and 5.0 are the same number, 5.5 is refused."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class Dose(fields.Decimal):
    """Million cells: a JSON number both ways, kept to two decimals."""

    def _deserialize(self, value, attr, data, **kwargs):
        # A string or a boolean is not a number, whatever Decimal() would make of it.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(value)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class PatientCreate(StrictSchema):
    external_id = single_line(64, "The clinic's own patient number (MRN).", required=True)
    name = single_line(200, required=True)
    email = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=254),
        metadata={
            "format": "email",
            "pattern": EMAIL_PATTERN,
            "description": "Leave out, or null, for no email. The domain must be one mail can "
            "reach: not a special-use name such as .test or .local.",
        },
    )
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(min=1, max=PHONE_MAX_LENGTH), refuse_blank_or_control_characters],
        metadata={
            # A format of our own: which digits make a number depends on its country, which
            # no pattern can say; the description does.
            "format": "phone",
            "description": "Leave out, or null, for no phone. E.164 (+81312345678), any number "
            "with its + country code, or a national number as dialled in the clinic's country "
            "(03-1234-5678 for a clinic in Japan). Stored and answered as E.164.",
            "example": "+81312345678",
        },
    )
    timezone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(IANA_ZONES, error=ZONE_MESSAGE),
        metadata={"description": "IANA time zone; defaults to the clinic's."},
    )
    language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))
    frozen_doses = WholeNumber(load_default=0, validate=validate.Range(0, 100))
    # Kept for Japan's regenerative-medicine act; the service checks them.
    date_of_birth = clinic_day("Date of birth.", "the clinic's", load_default=None, allow_none=True)
    sex = fields.String(load_default=None, allow_none=True, metadata={"enum": [*SEXES, None]})
    address = single_line(500, "Postal address (optional).", load_default=None, allow_none=True)
    diagnosis = single_line(500, "The diagnosis treated.", load_default=None, allow_none=True)


class BaselineIn(StrictSchema):
    pain = WholeNumber(required=True, validate=SCORE)
    stiffness = WholeNumber(required=True, validate=SCORE)
    morning_stiffness_minutes = WholeNumber(
        load_default=None, allow_none=True, validate=validate.Range(0, 1440)
    )
    function = WholeNumber(load_default=None, allow_none=True, validate=SCORE, metadata=FUNCTION)
    global_assessment = WholeNumber(
        load_default=None, allow_none=True, validate=SCORE, metadata=GLOBAL
    )


class TreatmentCreate(StrictSchema):
    treated_on = clinic_day("The day of the treatment.", required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(TREATMENT_KINDS)))
    route = fields.String(required=True, validate=validate.OneOf(list(ROUTES)))
    site = single_line(200, "Where it was given, e.g. left knee.", required=True)
    kl_grade = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(0, 4))
    cell_dose_million = Dose(
        load_default=None,
        allow_none=True,
        validate=validate.Range(
            min=SMALLEST_DOSE,
            max=LARGEST_DOSE,
            error=f"Must be from {SMALLEST_DOSE} to {LARGEST_DOSE} million cells "
            "(the dose is kept to two decimals).",
        ),
        metadata={"description": "Million cells, kept to two decimals."},
    )
    booster_of = WholeNumber(load_default=None, allow_none=True)
    plan_id = WholeNumber(
        load_default=None,
        allow_none=True,
        metadata={"description": "The provision plan; required under jp_asrm."},
    )
    used_frozen_dose = fields.Boolean(load_default=False)
    baseline = fields.Nested(BaselineIn, load_default=None, allow_none=True)
    notes = multi_line()


class CheckInCreate(StrictSchema):
    recorded_on = clinic_day(
        "The day the answers describe; defaults to today.", load_default=None, allow_none=True
    )
    pain = WholeNumber(required=True, validate=SCORE)
    stiffness = WholeNumber(required=True, validate=SCORE)
    morning_stiffness_minutes = WholeNumber(
        load_default=None, allow_none=True, validate=validate.Range(0, 1440)
    )
    swelling = WholeNumber(load_default=None, allow_none=True, validate=SCORE)
    function = WholeNumber(load_default=None, allow_none=True, validate=SCORE, metadata=FUNCTION)
    global_assessment = WholeNumber(
        load_default=None, allow_none=True, validate=SCORE, metadata=GLOBAL
    )
    adverse_event = fields.Boolean(load_default=False)
    adverse_event_details = multi_line("Required when adverse_event is true.")
    notes = multi_line()


class FlagQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=OPEN, validate=validate.OneOf([*FLAG_STATUSES, "all"]))
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(["", *FLAG_KINDS]),
        metadata={"description": "One kind, or empty for every kind."},
    )


class FlagResolve(StrictSchema):
    resolution = fields.String(required=True, validate=validate.OneOf(list(CLINICIAN_RESOLUTIONS)))
    note = multi_line()


class ReminderOut(AnswerSchema):
    id = fields.Integer()
    kind = fields.String()
    milestone_weeks = fields.Integer(allow_none=True)
    due_at = UTCDateTime()
    window_closes_at = UTCDateTime(allow_none=True)
    status = fields.String()
    sent_at = UTCDateTime(allow_none=True)


class RemindersOut(AnswerSchema):
    reminders = fields.List(fields.Nested(ReminderOut))


class BaselineOut(AnswerSchema):
    pain = fields.Integer(attribute="baseline_pain", allow_none=True)
    stiffness = fields.Integer(attribute="baseline_stiffness", allow_none=True)
    morning_stiffness_minutes = fields.Integer(
        attribute="baseline_morning_stiffness_minutes", allow_none=True
    )
    function = fields.Integer(attribute="baseline_function", allow_none=True)
    global_assessment = fields.Integer(attribute="baseline_global_assessment", allow_none=True)


BASELINE = BaselineOut()  # one instance: building a schema costs more than dumping with it


class TreatmentOut(AnswerSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    treated_on = fields.Date()
    kind = fields.String()
    route = fields.String()
    site = fields.String()
    kl_grade = fields.Integer(allow_none=True)
    cell_dose_million = Dose(allow_none=True)
    booster_of = fields.Integer(attribute="booster_of_id", allow_none=True)
    plan_id = fields.Integer(allow_none=True)
    used_frozen_dose = fields.Boolean()
    baseline = fields.Function(lambda treatment: BASELINE.dump(treatment))
    notes = fields.String()
    created_at = UTCDateTime()


class TreatmentWithReminders(TreatmentOut):
    reminders = fields.List(fields.Nested(ReminderOut))


class PatientOut(AnswerSchema):
    id = fields.Integer()
    external_id = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(
        allow_none=True,
        metadata={"description": "E.164, or null for none.", "example": "+81312345678"},
    )
    phone_display = fields.Method(
        "display_phone",
        metadata={
            "type": "string",
            "nullable": True,
            "description": "The phone as the clinic's staff dial it: national format for a "
            "number in the clinic's country, international otherwise; null for none.",
            "example": "03-1234-5678",
        },
    )
    timezone = fields.String()
    language = fields.String()
    frozen_doses = fields.Integer()
    opted_out_at = UTCDateTime(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    sex = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    diagnosis = fields.String(allow_none=True)
    archived_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()

    def display_phone(self, patient) -> str | None:
        return format_phone(patient.phone, patient.clinic.phone_country) or None


class PatientWithTreatments(PatientOut):
    treatments = fields.List(fields.Nested(TreatmentOut))


class FlagOut(AnswerSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    treatment_id = fields.Integer(allow_none=True)
    kind = fields.String()
    status = fields.String()
    opened_at = UTCDateTime()
    evidence = fields.Dict()
    owner_id = fields.Integer(allow_none=True)
    acknowledged_at = UTCDateTime(allow_none=True)
    resolved_at = UTCDateTime(allow_none=True)
    resolution = fields.String(allow_none=True)
    note = fields.String()


class FlagsOut(AnswerSchema):
    flags = fields.List(fields.Nested(FlagOut))


class CheckInOut(AnswerSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    treatment_id = fields.Integer(allow_none=True)
    recorded_on = fields.Date()
    submitted_at = UTCDateTime()
    source = fields.String()
    pain = fields.Integer()
    stiffness = fields.Integer()
    morning_stiffness_minutes = fields.Integer(allow_none=True)
    swelling = fields.Integer(allow_none=True)
    function = fields.Integer(allow_none=True)
    global_assessment = fields.Integer(allow_none=True)
    adverse_event = fields.Boolean()
    adverse_event_details = fields.String()
    notes = fields.String()
    flags = fields.List(fields.Nested(FlagOut), attribute="active_flags")


class OutcomeEventCreate(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(list(OUTCOME_EVENT_KINDS)))
    occurred_on = clinic_day(
        "The day of the procedure, on or after the treatment's day.", required=True
    )
    note = multi_line()


class OutcomeEventOut(Schema):
    id = fields.Integer()
    treatment_id = fields.Integer()
    patient_id = fields.Integer()
    kind = fields.String()
    occurred_on = fields.Date()
    note = fields.String()
    recorded_by = fields.Integer(attribute="recorded_by_id", allow_none=True)
    created_at = UTCDateTime()


class OutcomeQueryArgs(StrictSchema):
    group_by = fields.String(
        load_default=None,
        validate=validate.OneOf(["kind", "kl_grade", "route"]),
        metadata={
            "description": "Figures per group as well: treatment kind, KL grade group, route."
        },
    )
    kind = fields.String(load_default=None, validate=validate.OneOf(list(TREATMENT_KINDS)))
    kl_grade = fields.Integer(
        load_default=None,
        validate=validate.Range(0, 4),
        metadata={"description": "Only treatments of this KL grade (0-4)."},
    )
    route = fields.String(load_default=None, validate=validate.OneOf(list(ROUTES)))
    treated_from = fields.Date(load_default=None, metadata={"description": "Inclusive."})
    treated_to = fields.Date(
        load_default=None, metadata={"description": "Inclusive; on or after treated_from."}
    )


class RateOut(Schema):
    value = fields.Float()
    ci95 = fields.List(fields.Float(), metadata={"description": "95% Wilson interval [lo, hi]."})


class PerDefinitionCounts(Schema):
    pain_halved = fields.Integer()
    omeract_oarsi = fields.Integer()


class PerDefinitionRates(Schema):
    pain_halved = fields.Nested(RateOut, allow_none=True)
    omeract_oarsi = fields.Nested(RateOut, allow_none=True)


class MilestoneFiguresOut(Schema):
    weeks = fields.Integer()
    answered = fields.Integer()
    missed = fields.Integer()
    pending = fields.Integer()
    responders = fields.Nested(PerDefinitionCounts)
    denominators = fields.Nested(PerDefinitionCounts)
    rates = fields.Nested(
        PerDefinitionRates, metadata={"description": "null for a denominator under 5."}
    )


class CurveRowOut(Schema):
    day = fields.Integer()
    at_risk = fields.Integer()
    events = fields.Integer()
    censored = fields.Integer(metadata={"description": "Competing exits included."})
    survival = fields.Float()
    ci95 = fields.List(fields.Float(allow_none=True))


class ExcludedOut(Schema):
    no_baseline = fields.Integer()
    never_responded = fields.Integer()


class SurvivalAtOut(Schema):
    day_182 = fields.Float(data_key="182", attribute="182", allow_none=True)
    day_365 = fields.Float(data_key="365", attribute="365", allow_none=True)
    day_730 = fields.Float(data_key="730", attribute="730", allow_none=True)


class DurabilityOut(Schema):
    cohort = fields.Integer()
    excluded = fields.Nested(ExcludedOut)
    events = fields.Integer()
    competing_events = fields.Integer()
    censored = fields.Integer()
    median_days = fields.Integer(allow_none=True)
    median_ci95 = fields.List(fields.Integer(allow_none=True))
    survival_at = fields.Nested(SurvivalAtOut)
    curve = fields.List(fields.Nested(CurveRowOut))


class QuartilesOut(Schema):
    median = fields.Float(allow_none=True)
    q1 = fields.Float(allow_none=True)
    q3 = fields.Float(allow_none=True)


class OutcomeFiguresOut(Schema):
    milestones = fields.List(fields.Nested(MilestoneFiguresOut))
    durability = fields.Nested(DurabilityOut)
    onset_days = fields.Nested(QuartilesOut)
    nadir_days = fields.Nested(QuartilesOut)


class OutcomeGroupOut(OutcomeFiguresOut):
    key = fields.String(metadata={"description": "KL groups: 0-1, 2-3, 4, unknown."})


class OutcomesOut(OutcomeFiguresOut):
    groups = fields.List(fields.Nested(OutcomeGroupOut))
    logrank_p = fields.Float(allow_none=True)
