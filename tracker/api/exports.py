"""API endpoints of the exports: CSV files and FHIR R4 (routes on the API blueprint)."""

from flask import Response

from tracker.api.auth import token_required
from tracker.api.routes import api_actor, bp, clinic_id
from tracker.exports.fhir_resources import resource_json
from tracker.exports.tables import CSV_EXPORTS
from tracker.services.exports import (
    code_system,
    csv_export,
    fhir_bulk_export,
    patient_everything,
    questionnaire,
)

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
TEXT = {"type": "string"}


def fhir_resource(resource_type: str) -> dict:
    """The OpenAPI schema of a FHIR resource: JSON whose resourceType names it."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
        "externalDocs": {"url": f"https://hl7.org/fhir/R4B/{resource_type.lower()}.html"},
    }


def fhir_answer(resource) -> Response:
    return Response(resource_json(resource), content_type=f"{FHIR_JSON}; charset=utf-8")


@bp.route("/exports/<name>.csv", methods=["GET"])
@token_required
@bp.response(
    200,
    TEXT,
    content_type="text/csv",
    description="UTF-8 with a byte-order mark, a header row, one record a row; streamed. "
    f"Names: {', '.join(CSV_EXPORTS)}.",
)
@bp.alt_response(404, description="No export of this name.")
def export_csv(name: str):
    """One of the clinic's CSV files (audited)."""
    chunks = csv_export(name, clinic_id(), api_actor())
    return Response(
        chunks,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.route("/fhir/Questionnaire/checkin", methods=["GET"])
@token_required
@bp.response(
    200,
    fhir_resource("Questionnaire"),
    content_type=FHIR_JSON,
    description="A FHIR R4 Questionnaire.",
)
def fhir_questionnaire():
    """The check-in Questionnaire that every QuestionnaireResponse answers."""
    return fhir_answer(questionnaire(clinic_id()))


@bp.route("/fhir/CodeSystem/followup", methods=["GET"])
@token_required
@bp.response(
    200, fhir_resource("CodeSystem"), content_type=FHIR_JSON, description="A FHIR R4 CodeSystem."
)
def fhir_code_system():
    """The tracker's own codes: measures, flags, treatment kinds, activities."""
    return fhir_answer(code_system(clinic_id()))


@bp.route("/fhir/Patient/<int:patient_id>/$everything", methods=["GET"])
@token_required
@bp.response(
    200,
    fhir_resource("Bundle"),
    content_type=FHIR_JSON,
    description="A FHIR R4 Bundle (collection).",
)
@bp.alt_response(404, description="No such patient in the clinic.")
def fhir_everything(patient_id: int):
    """A patient's whole follow-up as one Bundle (audited)."""
    bundle = patient_everything(patient_id, clinic_id(), api_actor())
    return Response(bundle, content_type=f"{FHIR_JSON}; charset=utf-8")


@bp.route("/fhir/$export", methods=["GET"])
@token_required
@bp.response(
    200, TEXT, content_type=FHIR_NDJSON, description="NDJSON, one FHIR resource a line; streamed."
)
def fhir_export():
    """Every FHIR resource of the clinic (audited)."""
    return Response(
        fhir_bulk_export(clinic_id(), api_actor()),
        content_type=f"{FHIR_NDJSON}; charset=utf-8",
    )
