"""Schemas of the compliance API (docs/compliance.md, API): plans, events, periodic reports."""

from marshmallow import EXCLUDE, Schema, fields, validate

from tracker.api.schemas import (
    StrictSchema,
    UTCDateTime,
    WholeNumber,
    clinic_day,
    multi_line,
    required_text,
)
from tracker.followup.reporting import CAUSALITY, SERIOUSNESS, STATUSES
from tracker.models.adverse_event import OUTCOMES
from tracker.models.plan import PLAN_STATUSES, RISK_CLASSES
from tracker.services.plans import TEXT_FIELDS
from tracker.services.validation import text_pattern

CLINIC_ZONE = "the clinic's"


def plan_text(name: str, description: str = "", **kwargs) -> fields.String:
    """One line the service checks, so every field's message comes at once; the pattern says how."""
    required, max_length = TEXT_FIELDS[name]
    return fields.String(
        required=required,
        metadata={
            "pattern": text_pattern(max_length, required=required),
            "description": f"{description} One line: no control characters; at most "
            f"{max_length} characters besides blanks around them.".strip(),
        },
        **kwargs,
    )


class PlanCreate(StrictSchema):
    plan_number = plan_text("plan_number", "計画番号.")
    title = plan_text("title")
    risk_class = WholeNumber(required=True, metadata={"enum": list(RISK_CLASSES)})
    committee_name = plan_text("committee_name", "The certified committee (認定再生医療等委員会).")
    committee_number = plan_text("committee_number")
    submitted_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Required with accepted_on."}
    )
    # Which day comes first is beyond JSON Schema: the description says it.
    accepted_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Needs submitted_on, and cannot be before it."},
    )
    processing_facility = plan_text(
        "processing_facility", "The cell processing facility.", load_default=""
    )
    status = fields.String(load_default="active", validate=validate.OneOf(PLAN_STATUSES))


class PlanYearOut(Schema):
    year_index = fields.Integer(attribute="year.index")
    from_ = fields.Date(attribute="year.starts_on", data_key="from")
    to = fields.Date(attribute="year.ends_on")
    due_on = fields.Date(attribute="year.due_on")
    days_left = fields.Integer()
    submitted_on = fields.Date(allow_none=True)


class PlanOut(Schema):
    id = fields.Integer()
    plan_number = fields.String()
    title = fields.String()
    risk_class = fields.Integer()
    committee_name = fields.String()
    committee_number = fields.String()
    submitted_on = fields.Date(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    processing_facility = fields.String()
    status = fields.String()
    next_periodic_report = fields.Nested(PlanYearOut, allow_none=True)
    created_at = UTCDateTime()


class PlansOut(Schema):
    plans = fields.List(fields.Nested(PlanOut))


class AdverseEventQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(
        load_default="open",
        validate=validate.OneOf(["open", "all", *STATUSES]),
        metadata={"description": "open (to assess or to report), all, or one status."},
    )


class AdverseEventCreate(StrictSchema):
    patient_id = WholeNumber(required=True)
    description = required_text("What happened.")
    aware_on = clinic_day(
        "The day the clinic learned of it; defaults to today.",
        CLINIC_ZONE,
        load_default=None,
        allow_none=True,
    )
    onset_on = clinic_day(
        "The day it began: not after aware_on.", CLINIC_ZONE, load_default=None, allow_none=True
    )
    treatment_id = WholeNumber(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "One of the patient's treatments; defaults to the latest on or "
            "before the onset (or aware_on)."
        },
    )


class AssessmentIn(StrictSchema):
    # Refused words are the service's to explain, with every field's message at once.
    seriousness = fields.String(required=True, metadata={"enum": list(SERIOUSNESS)})
    causality = fields.String(required=True, metadata={"enum": list(CAUSALITY)})
    outcome = fields.String(
        load_default=None, allow_none=True, metadata={"enum": [*OUTCOMES, None]}
    )
    onset_on = clinic_day(
        "The day it began: not after aware_on.", CLINIC_ZONE, load_default=None, allow_none=True
    )


def report_day(description: str) -> fields.Date:
    return clinic_day(
        f"{description} Not before aware_on.", CLINIC_ZONE, load_default=None, allow_none=True
    )


class ReportedIn(StrictSchema):
    reported_to_committee_on = report_day(
        "Reported to the certified committee on. Give at least one of the three dates, or the "
        "committee's opinion."
    )
    reported_to_minister_on = report_day("Reported to the minister on.")
    processor_notified_on = report_day("Cell processing facility notified on.")
    committee_opinion = multi_line()


class AdverseEventOut(Schema):
    id = fields.Integer(attribute="event.id")
    patient_id = fields.Integer(attribute="event.patient_id")
    treatment_id = fields.Integer(attribute="event.treatment_id", allow_none=True)
    plan_id = fields.Integer(attribute="event.plan_id", allow_none=True)
    checkin_id = fields.Integer(attribute="event.checkin_id", allow_none=True)
    source = fields.String(attribute="event.source")
    aware_on = fields.Date(attribute="event.aware_on")
    onset_on = fields.Date(attribute="event.onset_on", allow_none=True)
    description = fields.String(attribute="event.description")
    seriousness = fields.String(attribute="event.seriousness", allow_none=True)
    causality = fields.String(attribute="event.causality", allow_none=True)
    outcome = fields.String(attribute="event.outcome", allow_none=True)
    assessed_at = UTCDateTime(attribute="event.assessed_at", allow_none=True)
    reported_to_committee_on = fields.Date(
        attribute="event.reported_to_committee_on", allow_none=True
    )
    reported_to_minister_on = fields.Date(
        attribute="event.reported_to_minister_on", allow_none=True
    )
    processor_notified_on = fields.Date(attribute="event.processor_notified_on", allow_none=True)
    committee_opinion = fields.String(attribute="event.committee_opinion")
    status = fields.String(attribute="event.status")
    category = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    days_left = fields.Integer(allow_none=True)


class AdverseEventsOut(Schema):
    adverse_events = fields.List(fields.Nested(AdverseEventOut))


class ReportedEventOut(Schema):
    id = fields.Integer()
    aware_on = fields.Date()
    status = fields.String()
    reported_to_committee_on = fields.Date(allow_none=True)
    reported_to_minister_on = fields.Date(allow_none=True)


class PeriodicReportOut(PlanYearOut):
    evaluation = fields.String()
    counts = fields.Method("counts_of")

    def counts_of(self, draft) -> dict:
        return {
            "patients": draft.patients,
            "treatments": draft.treatments,
            "adverse_events": {
                seriousness: ReportedEventOut(many=True).dump(events)
                for seriousness, events in draft.events.items()
            },
            "course": draft.course,
        }


class PeriodicReportsOut(Schema):
    periodic_reports = fields.List(fields.Nested(PeriodicReportOut))
