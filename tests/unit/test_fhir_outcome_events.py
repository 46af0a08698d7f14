"""Outcome events as FHIR Procedures, built from plain rows until their model is merged."""

from datetime import date
from types import SimpleNamespace

import pytest
from fhir.resources.R4B.procedure import Procedure

from tracker.exports.fhir_definitions import OUTCOME_EVENT_NAMES, follow_up_code_system
from tracker.exports.fhir_events import outcome_procedure
from tracker.exports.fhir_links import FhirLinks
from tracker.exports.tables import OUTCOME_EVENT_COLUMNS

LINKS = FhirLinks("https://tracker.example", 3)


def outcome_row(**values):
    return SimpleNamespace(
        **{
            "id": 7,
            "patient_id": 12,
            "treatment_id": 40,
            "kind": "knee_replacement",
            "occurred_on": date(2026, 5, 4),
            "note": "Right knee, at the university hospital",
            "recorded_by_id": 2,
            "recorded_by_name": "Dr Sato",
        }
        | values
    )


def test_an_outcome_event_is_a_procedure_beside_the_treatment_it_ends():
    resource = outcome_procedure(outcome_row(), LINKS).model_dump(mode="json")
    Procedure.model_validate(resource)

    assert resource["id"] == "procedure-7-outcome"
    assert resource["subject"] == {"reference": "Patient/patient-12"}
    assert resource["performedDateTime"] == "2026-05-04"
    assert resource["code"]["coding"][0] == {
        "system": "https://tracker.example/api/v1/fhir/CodeSystem/followup",
        "code": "knee_replacement",
        "display": "Knee replacement",
    }
    assert resource["extension"][0]["valueReference"] == {"reference": "Procedure/procedure-40"}
    assert "partOf" not in resource
    assert resource["recorder"]["display"] == "Dr Sato"
    assert resource["note"] == [{"text": "Right knee, at the university hospital"}]


@pytest.mark.parametrize("kind", sorted(OUTCOME_EVENT_NAMES))
def test_every_outcome_kind_is_a_code_of_the_code_system(kind):
    codes = {
        concept.code
        for group in follow_up_code_system(LINKS).concept
        for concept in group.concept or []
    }
    resource = outcome_procedure(outcome_row(kind=kind, note="", recorded_by_id=None), LINKS)

    assert resource.code.coding[0].code in codes
    assert resource.note is None and resource.recorder is None


def test_the_outcome_events_csv_names_the_models_columns():
    assert OUTCOME_EVENT_COLUMNS == (
        "id",
        "patient_id",
        "treatment_id",
        "kind",
        "occurred_on",
        "note",
        "recorded_by_id",
        "created_at",
    )
