"""API endpoints of compliance: plans, adverse events, periodic reports, retention.

The rules: docs/compliance.md, API.
"""

from flask import g
from flask_smorest import abort

from tracker.api.auth import token_required
from tracker.api.compliance_schemas import (
    AdverseEventCreate,
    AdverseEventOut,
    AdverseEventQuery,
    AdverseEventsOut,
    AssessmentIn,
    PeriodicReportsOut,
    PlanCreate,
    PlanOut,
    PlansOut,
    ReportedIn,
)
from tracker.api.routes import api_actor, bp, clinic_id
from tracker.api.schemas import PatientOut
from tracker.models import AdverseEvent, Patient, ProvisionPlan
from tracker.services.adverse_events import (
    assess_adverse_event,
    check_status_filter,
    clinic_events,
    clinic_today,
    create_adverse_event,
    event_clock,
    record_reports,
)
from tracker.services.periodic_reports import next_report, periodic_years
from tracker.services.plans import create_plan, plans_of
from tracker.services.retention import DeletionRefused, archive_patient, request_deletion
from tracker.services.scope import get_for_clinic


def with_next_report(plan: ProvisionPlan) -> ProvisionPlan:
    plan.next_periodic_report = next_report(plan)
    return plan


@bp.route("/plans", methods=["GET"])
@token_required
@bp.response(200, PlansOut)
def list_plans():
    """The clinic's provision plans, each with its next periodic report."""
    return {"plans": [with_next_report(plan) for plan in plans_of(clinic_id())]}


@bp.route("/plans", methods=["POST"])
@token_required
@bp.arguments(PlanCreate())
@bp.response(201, PlanOut)
@bp.alt_response(409, description="The clinic has a plan with this number.")
@bp.alt_response(422, description="Invalid values.")
def create_plan_endpoint(values):
    """Record a provision plan (再生医療等提供計画)."""
    return with_next_report(create_plan(g.api_user.clinic, api_actor(), values))


@bp.route("/plans/<int:plan_id>/periodic-reports", methods=["GET"])
@token_required
@bp.response(200, PeriodicReportsOut)
def list_periodic_reports(plan_id: int):
    """Each plan year so far: from, to, due_on, submitted_on, the evaluation and the counts."""
    plan = get_for_clinic(ProvisionPlan, plan_id, clinic_id())
    return {"periodic_reports": periodic_years(plan)}


@bp.route("/adverse-events", methods=["GET"])
@token_required
@bp.arguments(AdverseEventQuery(), location="query")
@bp.response(200, AdverseEventsOut)
@bp.alt_response(422, description="Unknown status.")
def list_adverse_events(query):
    """The clinic's adverse-event records with their clocks, the soonest due first."""
    status = check_status_filter(query["status"])
    return {"adverse_events": clinic_events(g.api_user.clinic, status)}


@bp.route("/adverse-events", methods=["POST"])
@token_required
@bp.arguments(AdverseEventCreate())
@bp.response(201, AdverseEventOut)
@bp.alt_response(422, description="Invalid values.")
def create_adverse_event_endpoint(values):
    """Record an adverse event a clinician learned of (a phone call, a visit)."""
    patient = get_for_clinic(Patient, values.pop("patient_id"), clinic_id())
    event = create_adverse_event(patient, api_actor(), values)
    return clock_of(event)


def clock_of(event: AdverseEvent):
    return event_clock(event, clinic_today(g.api_user.clinic))


@bp.route("/adverse-events/<int:event_id>/assessment", methods=["POST"])
@token_required
@bp.arguments(AssessmentIn())
@bp.response(200, AdverseEventOut)
@bp.alt_response(422, description="Invalid values.")
def assess(values, event_id: int):
    """Record seriousness, causality, outcome and onset; the status and due date follow."""
    event = get_for_clinic(AdverseEvent, event_id, clinic_id())
    return clock_of(assess_adverse_event(event, api_actor(), values))


@bp.route("/adverse-events/<int:event_id>/reported", methods=["POST"])
@token_required
@bp.arguments(ReportedIn())
@bp.response(200, AdverseEventOut)
@bp.alt_response(422, description="Invalid values, or the event is not assessed yet.")
def reported(values, event_id: int):
    """Record the reports: to the committee, to the minister, processor notified; the opinion."""
    event = get_for_clinic(AdverseEvent, event_id, clinic_id())
    return clock_of(record_reports(event, api_actor(), values))


@bp.route("/patients/<int:patient_id>", methods=["DELETE"])
@token_required
@bp.response(204)
@bp.alt_response(409, description="Patient records are kept; the message says why.")
def delete_patient(patient_id: int):
    """Refused: under jp_asrm records are kept 10 years after the last treatment; archive instead."""
    patient = get_for_clinic(Patient, patient_id, clinic_id())
    try:
        request_deletion(patient, api_actor())
    except DeletionRefused as refusal:
        abort(409, message=str(refusal))


@bp.route("/patients/<int:patient_id>/archive", methods=["POST"])
@token_required
@bp.response(200, PatientOut)
def archive(patient_id: int):
    """Archive a patient: hidden from lists, reminders cancelled, every record kept."""
    patient = get_for_clinic(Patient, patient_id, clinic_id())
    return archive_patient(patient, api_actor())
