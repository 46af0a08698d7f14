"""Schemas of section 10's API: provision plans, adverse events, periodic reports."""

from marshmallow import EXCLUDE, Schema, fields, validate

from tracker.api.schemas import StrictSchema, UTCDateTime
from tracker.followup.reporting import CAUSALITY, SERIOUSNESS
from tracker.models.adverse_event import OUTCOMES
from tracker.models.plan import PLAN_STATUSES


class PlanCreate(StrictSchema):
    plan_number = fields.String(required=True, metadata={"description": "計画番号"})
    title = fields.String(required=True)
    risk_class = fields.Integer(strict=True, required=True, metadata={"enum": [1, 2, 3]})
    committee_name = fields.String(required=True)
    committee_number = fields.String(required=True)
    submitted_on = fields.Date(load_default=None, allow_none=True)
    accepted_on = fields.Date(load_default=None, allow_none=True)
    processing_facility = fields.String(load_default="")
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
        metadata={"description": "open (to assess or to report), all, or one status."},
    )


class AdverseEventCreate(StrictSchema):
    patient_id = fields.Integer(strict=True, required=True)
    description = fields.String(required=True)
    aware_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "The day the clinic learned of it; defaults to today."},
    )
    onset_on = fields.Date(load_default=None, allow_none=True)
    treatment_id = fields.Integer(strict=True, load_default=None, allow_none=True)


class AssessmentIn(StrictSchema):
    # Refused words are the service's to explain, with every field's message at once.
    seriousness = fields.String(
        load_default=None, allow_none=True, metadata={"enum": list(SERIOUSNESS)}
    )
    causality = fields.String(
        load_default=None, allow_none=True, metadata={"enum": list(CAUSALITY)}
    )
    outcome = fields.String(load_default=None, allow_none=True, metadata={"enum": list(OUTCOMES)})
    onset_on = fields.String(load_default=None, allow_none=True, metadata={"format": "date"})


class ReportedIn(StrictSchema):
    reported_to_committee_on = fields.String(
        load_default=None, allow_none=True, metadata={"format": "date"}
    )
    reported_to_minister_on = fields.String(
        load_default=None, allow_none=True, metadata={"format": "date"}
    )
    processor_notified_on = fields.String(
        load_default=None, allow_none=True, metadata={"format": "date"}
    )
    committee_opinion = fields.String(load_default="")


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
