"""Request and response schemas: the one definition behind validation and the OpenAPI document."""

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from tracker.models.flag import KINDS as FLAG_KINDS
from tracker.models.outcome_event import KINDS as OUTCOME_EVENT_KINDS
from tracker.models.treatment import KINDS as TREATMENT_KINDS
from tracker.models.treatment import ROUTES
from tracker.services.flagging import CLINICIAN_RESOLUTIONS
from tracker.timeutil import isoformat_z

SCORE = validate.Range(min=0, max=10)
FUNCTION = {
    "description": "How much the joint limits daily activities (walking, stairs, getting up):"
    " 0 not at all, 10 completely."
}
GLOBAL = {
    "description": "Considering everything, how the joint is doing: 0 very well, 10 very poorly."
}


class UTCDateTime(fields.DateTime):
    """ISO 8601 UTC with a Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_z(value)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class PatientCreate(StrictSchema):
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.String(load_default=None, allow_none=True)
    timezone = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "IANA time zone; defaults to the clinic's."},
    )
    language = fields.String(load_default="en", validate=validate.OneOf(["en", "ja"]))
    frozen_doses = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 100))


class BaselineIn(StrictSchema):
    pain = fields.Integer(strict=True, required=True, validate=SCORE)
    stiffness = fields.Integer(strict=True, required=True, validate=SCORE)
    morning_stiffness_minutes = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(0, 1440)
    )
    function = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=SCORE, metadata=FUNCTION
    )
    global_assessment = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=SCORE, metadata=GLOBAL
    )


class TreatmentCreate(StrictSchema):
    treated_on = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(TREATMENT_KINDS)))
    route = fields.String(required=True, validate=validate.OneOf(list(ROUTES)))
    site = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kl_grade = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(0, 4)
    )
    cell_dose_million = fields.Decimal(
        load_default=None,
        allow_none=True,
        as_string=True,
        validate=validate.Range(min=0, min_inclusive=False),
    )
    booster_of = fields.Integer(strict=True, load_default=None, allow_none=True)
    used_frozen_dose = fields.Boolean(load_default=False)
    baseline = fields.Nested(BaselineIn, load_default=None, allow_none=True)
    notes = fields.String(load_default="", validate=validate.Length(max=4000))


class CheckInCreate(StrictSchema):
    recorded_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Defaults to today in the patient's zone."},
    )
    pain = fields.Integer(strict=True, required=True, validate=SCORE)
    stiffness = fields.Integer(strict=True, required=True, validate=SCORE)
    morning_stiffness_minutes = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(0, 1440)
    )
    swelling = fields.Integer(strict=True, load_default=None, allow_none=True, validate=SCORE)
    function = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=SCORE, metadata=FUNCTION
    )
    global_assessment = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=SCORE, metadata=GLOBAL
    )
    adverse_event = fields.Boolean(load_default=False)
    adverse_event_details = fields.String(load_default="", validate=validate.Length(max=4000))
    notes = fields.String(load_default="", validate=validate.Length(max=4000))


class FlagQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(
        load_default="open", validate=validate.OneOf(["open", "acknowledged", "resolved", "all"])
    )
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(["", *FLAG_KINDS]),
        metadata={"description": "One kind, or empty for every kind."},
    )


class FlagResolve(StrictSchema):
    resolution = fields.String(required=True, validate=validate.OneOf(list(CLINICIAN_RESOLUTIONS)))
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class ReminderOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    milestone_weeks = fields.Integer(allow_none=True)
    due_at = UTCDateTime()
    window_closes_at = UTCDateTime(allow_none=True)
    status = fields.String()
    sent_at = UTCDateTime(allow_none=True)


class RemindersOut(Schema):
    reminders = fields.List(fields.Nested(ReminderOut))


class BaselineOut(Schema):
    pain = fields.Integer(attribute="baseline_pain", allow_none=True)
    stiffness = fields.Integer(attribute="baseline_stiffness", allow_none=True)
    morning_stiffness_minutes = fields.Integer(
        attribute="baseline_morning_stiffness_minutes", allow_none=True
    )
    function = fields.Integer(attribute="baseline_function", allow_none=True)
    global_assessment = fields.Integer(attribute="baseline_global_assessment", allow_none=True)


class TreatmentOut(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    treated_on = fields.Date()
    kind = fields.String()
    route = fields.String()
    site = fields.String()
    kl_grade = fields.Integer(allow_none=True)
    cell_dose_million = fields.Decimal(as_string=True, allow_none=True)
    booster_of = fields.Integer(attribute="booster_of_id", allow_none=True)
    used_frozen_dose = fields.Boolean()
    baseline = fields.Function(lambda treatment: BaselineOut().dump(treatment))
    notes = fields.String()
    created_at = UTCDateTime()


class TreatmentWithReminders(TreatmentOut):
    reminders = fields.List(fields.Nested(ReminderOut))


class PatientOut(Schema):
    id = fields.Integer()
    external_id = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    timezone = fields.String()
    language = fields.String()
    frozen_doses = fields.Integer()
    opted_out_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()


class PatientWithTreatments(PatientOut):
    treatments = fields.List(fields.Nested(TreatmentOut))


class FlagOut(Schema):
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


class FlagsOut(Schema):
    flags = fields.List(fields.Nested(FlagOut))


class CheckInOut(Schema):
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
    flags = fields.List(fields.Nested(FlagOut))


class OutcomeEventCreate(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(list(OUTCOME_EVENT_KINDS)))
    occurred_on = fields.Date(
        required=True,
        metadata={"description": "On or after the treatment's day, and not in the future."},
    )
    note = fields.String(load_default="", validate=validate.Length(max=4000))


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
    treated_to = fields.Date(load_default=None, metadata={"description": "Inclusive."})


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
