"""API endpoints: thin; parsing here, use cases in the services."""

from flask import Response, g, jsonify, request
from flask_smorest import Blueprint, abort
from marshmallow import RAISE
from werkzeug.exceptions import HTTPException

from tracker.api.auth import token_required
from tracker.api.body import check_json_body
from tracker.api.flag_list import flags_answer
from tracker.api.schemas import (
    CheckInCreate,
    CheckInOut,
    FlagOut,
    FlagQuery,
    FlagResolve,
    FlagsOut,
    OutcomeEventCreate,
    OutcomeEventOut,
    OutcomeQueryArgs,
    OutcomesOut,
    PatientCreate,
    PatientOut,
    PatientWithTreatments,
    RemindersOut,
    TreatmentCreate,
    TreatmentWithReminders,
)
from tracker.errors import api_error
from tracker.extensions import db
from tracker.models import Flag, Patient, Treatment
from tracker.services.actors import Actor
from tracker.services.checkins import lock_patient, record_checkin
from tracker.services.flagging import FlagClosed, acknowledge_flag, resolve_flag
from tracker.services.follow_up_schedule import follow_up_reminders
from tracker.services.outcome_events import record_outcome_event
from tracker.services.outcomes import check_outcome_query, outcome_figures
from tracker.services.patients import create_patient, view_patient
from tracker.services.scope import get_for_clinic
from tracker.services.treatments import record_treatment
from tracker.services.validation import Conflict, InvalidInput
from tracker.timeutil import now_utc

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Follow-up tracker API")


# The API's errors answer JSON, and only the API's: a page that lets a refusal through shows
# the error page, never JSON to a browser.
bp.register_error_handler(HTTPException, api_error)


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput):
    return error_answer(422, "Unprocessable Entity", "Some values were refused.", error.errors)


@bp.errorhandler(Conflict)
def conflict(error: Conflict):
    return error_answer(409, "Conflict", "This collides with a record that exists.", error.errors)


def error_answer(status: int, name: str, message: str, errors: dict[str, str]):
    return jsonify({"error": name, "message": message, "errors": errors}), status


@bp.before_request
def require_json_body():
    """A body that is not a JSON object answers 400, before any field is looked at."""
    if request.method in ("POST", "PUT", "PATCH") and request.get_data():
        check_json_body()


def api_actor() -> Actor:
    return Actor(g.api_user, "api")


def clinic_id() -> int:
    return g.api_user.clinic_id


@bp.route("/patients", methods=["POST"])
@token_required
@bp.arguments(PatientCreate())
@bp.response(201, PatientOut)
@bp.alt_response(409, description="A patient with this external_id exists in the clinic.")
@bp.alt_response(422, description="Invalid values.")
def create_patient_endpoint(values):
    """Record a patient."""
    return create_patient(g.api_user.clinic, api_actor(), values)


@bp.route("/patients/<int:patient_id>", methods=["GET"])
@token_required
@bp.response(200, PatientWithTreatments)
def get_patient(patient_id: int):
    """A patient with their treatments."""
    return view_patient(patient_id, clinic_id(), api_actor())


@bp.route("/patients/<int:patient_id>/treatments", methods=["POST"])
@token_required
@bp.arguments(TreatmentCreate())
@bp.response(201, TreatmentWithReminders)
@bp.alt_response(422, description="Invalid values.")
def create_treatment(values, patient_id: int):
    """Record a treatment (or booster); its follow-up reminders are planned at once."""
    patient = get_for_clinic(Patient, patient_id, clinic_id())
    baseline = values.pop("baseline", None) or {}
    values.update({f"baseline_{name}": value for name, value in baseline.items()})
    treatment = record_treatment(patient, api_actor(), values)
    treatment.reminders = follow_up_reminders(patient.id, treatment.id)
    return treatment


@bp.route("/patients/<int:patient_id>/reminders", methods=["GET"])
@token_required
@bp.response(200, RemindersOut)
def list_reminders(patient_id: int):
    """The patient's follow-up reminders and their delivery status."""
    patient = get_for_clinic(Patient, patient_id, clinic_id())
    return {"reminders": follow_up_reminders(patient.id)}


@bp.route("/patients/<int:patient_id>/checkins", methods=["POST"])
@token_required
@bp.arguments(CheckInCreate())
@bp.response(201, CheckInOut)
@bp.alt_response(422, description="Invalid values.")
def create_checkin(values, patient_id: int):
    """Record a check-in (a phone call, an import); flags are evaluated at once."""
    patient = lock_patient(patient_id, clinic_id())
    checkin, _ = record_checkin(patient, api_actor(), values, source="api", locked=True)
    return checkin


@bp.route("/flags", methods=["GET"])
@token_required
@bp.arguments(FlagQuery(), location="query")
@bp.response(200, FlagsOut)
def list_flags(query):
    """The clinic's flags, in worklist order."""
    body = flags_answer(
        db.session.connection(), clinic_id(), query["status"], query["kind"], limit=1000
    )
    return Response(body, mimetype="application/json")


@bp.route("/flags/<int:flag_id>/acknowledge", methods=["POST"])
@token_required
@bp.response(200, FlagOut)
@bp.alt_response(409, description="The flag is resolved already.")
def acknowledge(flag_id: int):
    """Take ownership of a flag."""
    flag = get_for_clinic(Flag, flag_id, clinic_id())
    try:
        return acknowledge_flag(flag, api_actor(), now_utc())
    except FlagClosed as error:
        abort(409, message=str(error))


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@token_required
@bp.arguments(FlagResolve())
@bp.response(200, FlagOut)
@bp.alt_response(409, description="The flag is resolved already.")
def resolve(values, flag_id: int):
    """Record the decision on a flag."""
    flag = get_for_clinic(Flag, flag_id, clinic_id())
    try:
        return resolve_flag(flag, api_actor(), values["resolution"], values["note"], now_utc())
    except FlagClosed as error:
        abort(409, message=str(error))


@bp.route("/treatments/<int:treatment_id>/outcome-events", methods=["POST"])
@token_required
@bp.arguments(OutcomeEventCreate())
@bp.response(201, OutcomeEventOut)
@bp.alt_response(422, description="Invalid values.")
def create_outcome_event(values, treatment_id: int):
    """Record a later procedure that ends the treatment's story (a knee replacement...)."""
    treatment = get_for_clinic(Treatment, treatment_id, clinic_id())
    return record_outcome_event(treatment, api_actor(), values)


@bp.route("/outcomes", methods=["GET"])
@token_required
# Query strings usually drop unknown names; here a mistyped filter must not widen the figures.
@bp.arguments(OutcomeQueryArgs(), location="query", unknown=RAISE)
@bp.response(200, OutcomesOut)
@bp.alt_response(422, description="An unknown filter or grouping value.")
def outcomes(query):
    """How the clinic's treatments turned out: responders per milestone and durability."""
    return outcome_figures(g.api_user.clinic, check_outcome_query(query))
