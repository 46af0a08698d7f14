"""Bad input gets a clear answer, never a 500: control characters, surrogates, deep or huge bodies,
doses too small to store, methods a URL does not take (API, clinician forms and CLI)."""

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import post_form
from tests.helpers import row_counts
from tracker.extensions import db
from tracker.models import Clinic, Treatment, User

# 12:00 in Tokyo on Saturday 21 November 2026.
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
PATIENT = {"external_id": "MRN-1001", "name": "Kenji Watanabe"}
TREATMENT = {
    "treated_on": "2026-11-20",
    "kind": "adsc_cultured",
    "route": "intra_articular",
    "site": "left knee",
}
CONTROL_CHARACTERS = ["\r", "\n", "\r\n", "\x00", "\t", "\x1b", "\x85", "\u2028", "\u2029"]
MEGABYTE = 1024 * 1024


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(clinic=clinic, external_id="MRN-1", name="Hanako Tanaka")


def refused(response, field: str) -> str:
    """Assert a 422 naming the field; return its message."""
    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.get_json()["errors"]
    assert field in errors, errors
    return errors[field]


# Control characters in single-line fields (API)


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
@pytest.mark.parametrize("field", ["name", "external_id"])
def test_patient_field_with_a_control_character_answers_422_naming_it(api, field, character):
    before = row_counts()

    response = api.post("/api/v1/patients", json={**PATIENT, field: f"Line one{character}Bcc: x"})

    assert "control characters" in refused(response, field)
    assert row_counts() == before


@pytest.mark.parametrize("character", ["\n", "\r", "\x00"])
def test_trailing_control_character_is_refused_too(api, character):
    response = api.post("/api/v1/patients", json={**PATIENT, "external_id": f"MRN-2{character}"})

    refused(response, "external_id")


def test_patient_email_with_a_line_break_answers_422(api):
    response = api.post(
        "/api/v1/patients", json={**PATIENT, "email": "a@example.org\r\nBcc: b@example.org"}
    )

    refused(response, "email")


@pytest.mark.parametrize("character", ["\n", "\x00", "\u2028"])
def test_treatment_site_with_a_control_character_answers_422(api, patient, character):
    response = api.post(
        f"/api/v1/patients/{patient.id}/treatments",
        json={**TREATMENT, "site": f"left{character}knee"},
    )

    refused(response, "site")


def test_notes_keep_their_line_breaks(api, patient):
    response = api.post(
        f"/api/v1/patients/{patient.id}/treatments",
        json={**TREATMENT, "notes": "First line.\r\nSecond line."},
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["notes"] == "First line.\r\nSecond line."


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/treatments", "notes"),
        ("/checkins", "notes"),
        ("/checkins", "adverse_event_details"),
    ],
)
def test_multi_line_text_with_nul_answers_422(api, patient, path, field):
    body = TREATMENT if path == "/treatments" else {"pain": 3, "stiffness": 3}
    response = api.post(
        f"/api/v1/patients/{patient.id}{path}",
        json={**body, "adverse_event": field == "adverse_event_details", field: "a\x00b"},
    )

    refused(response, field)


# Lone surrogates, deep nesting, huge bodies (the JSON layer of the API)


def post_raw(api, path: str, body: str | bytes):
    return api.post(path, data=body, content_type="application/json")


@pytest.mark.parametrize("field", ["name", "external_id", "email", "timezone"])
def test_lone_surrogate_answers_422_naming_the_field(api, field):
    body = '{"external_id": "MRN-1", "name": "Kenji", "' + field + '": "a\\ud800b"}'
    before = row_counts()

    response = post_raw(api, "/api/v1/patients", body)

    assert "surrogate" in refused(response, field)
    assert row_counts() == before


def test_lone_surrogate_in_a_nested_field_is_named_with_its_path(api, patient):
    body = (
        '{"treated_on": "2026-11-20", "kind": "prp", "route": "iv", "site": "knee",'
        ' "baseline": {"pain": 3, "stiffness": 3, "note": "\\udfff"}}'
    )

    response = post_raw(api, f"/api/v1/patients/{patient.id}/treatments", body)

    refused(response, "baseline.note")


def test_lone_surrogate_in_a_field_name_answers_422(api):
    response = post_raw(api, "/api/v1/patients", '{"name": "Kenji", "na\\ud800me": "x"}')

    assert response.status_code == 422
    assert "na\\ud800me" in response.get_json()["errors"]


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_answers_400(api, depth):
    body = '{"name": ' + "[" * depth + "]" * depth + "}"

    response = post_raw(api, "/api/v1/patients", body)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert "nested too deeply" in response.get_json()["message"]


def test_body_over_a_megabyte_answers_413_in_json(api):
    body = json.dumps({"name": "x" * MEGABYTE})

    response = post_raw(api, "/api/v1/patients", body)

    assert response.status_code == 413
    assert response.get_json()["error"] == "Request Entity Too Large"


def test_form_over_a_megabyte_answers_413_with_a_page(logged_in):
    response = logged_in.post("/patients/new", data={"name": "x" * MEGABYTE})

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "413" in response.get_data(as_text=True)


# Doses too small to store


@pytest.mark.parametrize("dose", [0.004, 2.5e-16, 0.009, 0])
def test_dose_that_would_be_stored_as_zero_answers_422(api, patient, dose):
    before = row_counts()

    response = api.post(
        f"/api/v1/patients/{patient.id}/treatments", json={**TREATMENT, "cell_dose_million": dose}
    )

    assert "0.01" in refused(response, "cell_dose_million")
    assert row_counts() == before


@pytest.mark.parametrize("dose", ["50", True, "0.004"])
def test_dose_that_is_not_a_json_number_answers_422(api, patient, dose):
    response = api.post(
        f"/api/v1/patients/{patient.id}/treatments", json={**TREATMENT, "cell_dose_million": dose}
    )

    refused(response, "cell_dose_million")


def test_dose_is_answered_as_a_json_number(api, patient):
    response = api.post(
        f"/api/v1/patients/{patient.id}/treatments", json={**TREATMENT, "cell_dose_million": 12.5}
    )

    assert response.status_code == 201
    assert response.get_json()["cell_dose_million"] == 12.5
    patient_page = api.get(f"/api/v1/patients/{patient.id}").get_json()
    assert patient_page["treatments"][0]["cell_dose_million"] == 12.5


@pytest.mark.parametrize("dose", ["0.004", "0.009", "2.5e-16"])
def test_treatment_form_refuses_a_dose_that_would_be_stored_as_zero(logged_in, patient, dose):
    before = row_counts()

    response = post_form(
        logged_in,
        f"/patients/{patient.id}/treatments/new",
        {**TREATMENT, "cell_dose_million": dose},
    )

    assert response.status_code == 200
    assert "at least 0.01 million cells" in response.get_data(as_text=True)
    assert row_counts() == before
    assert db.session.scalar(select(Treatment)) is None


# Control characters in the clinician's forms


@pytest.mark.parametrize("field", ["name", "external_id"])
def test_patient_form_refuses_a_line_break(logged_in, field):
    before = row_counts()

    response = post_form(logged_in, "/patients/new", {**PATIENT, field: "Kenji\r\nWatanabe"})

    assert response.status_code == 200
    assert "on one line, without line breaks" in response.get_data(as_text=True)
    assert row_counts() == before


def test_treatment_form_refuses_a_control_character_in_the_site(logged_in, patient):
    before = row_counts()

    response = post_form(
        logged_in, f"/patients/{patient.id}/treatments/new", {**TREATMENT, "site": "left\x1bknee"}
    )

    assert response.status_code == 200
    assert "on one line, without line breaks" in response.get_data(as_text=True)
    assert row_counts() == before


# Control characters in the provisioning commands


@pytest.mark.parametrize("name", ["Osaka\r\nClinic", "Osaka Clinic\n", "Osaka\x00Clinic"])
def test_create_clinic_refuses_a_name_with_a_control_character(cli, name):
    result = cli("create-clinic", name)

    assert result.exit_code == 1
    assert "control characters" in result.stderr
    assert db.session.scalar(select(Clinic)) is None


@pytest.mark.parametrize(
    "options",
    [
        ("a@example.org\r\nBcc: b@example.org", "--clinic", "Tokyo Knee Clinic"),
        ("nurse@example.org", "--clinic", "Tokyo Knee Clinic\n"),
        ("nurse@example.org", "--clinic", "Tokyo Knee Clinic", "--name", "Nurse\rX"),
    ],
)
def test_create_user_refuses_arguments_with_a_control_character(cli, clinic, options):
    result = cli("create-user", *options, "--password-stdin", input="a long enough password\n")

    assert result.exit_code == 1
    assert "control characters" in result.stderr
    assert db.session.scalar(select(User)) is None


# Methods a URL does not take


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/patients", {"POST", "OPTIONS"}),
        ("/api/v1/flags", {"GET", "HEAD", "OPTIONS"}),
        ("/login", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
def test_method_not_allowed_names_the_allowed_methods(api, path, allowed):
    response = api.client.delete(path, headers=api.headers)

    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed


# The OpenAPI document states the rules


@pytest.fixture
def openapi(client):
    return client.get("/api/v1/openapi.json").get_json()


def properties(openapi, name: str) -> dict:
    return openapi["components"]["schemas"][name]["properties"]


def test_openapi_dose_is_a_number_with_a_numeric_minimum(openapi):
    for schema in ("TreatmentCreate", "TreatmentOut"):
        dose = properties(openapi, schema)["cell_dose_million"]
        assert dose["type"] == ["number", "null"]  # OpenAPI 3.1: a number, or null
    dose = properties(openapi, "TreatmentCreate")["cell_dose_million"]
    assert dose["minimum"] == 0.01
    assert isinstance(dose["maximum"], int | float)


def test_openapi_states_the_text_rules(openapi):
    patient = properties(openapi, "PatientCreate")
    for field in ("name", "external_id"):
        assert "\\x00-\\x1f" in patient[field]["pattern"]
    assert properties(openapi, "TreatmentCreate")["site"]["pattern"] == patient["name"]["pattern"]
    assert properties(openapi, "TreatmentCreate")["notes"]["pattern"] == "^[^\\x00]*$"
    assert patient["email"]["format"] == "email"
    assert "Asia/Tokyo" in patient["timezone"]["enum"]
    assert "localtime" not in patient["timezone"]["enum"]


def test_openapi_states_the_date_rules(openapi):
    # OpenAPI cannot bound a date by today: a format of our own says so, named in the description.
    for schema, field in [
        ("TreatmentCreate", "treated_on"),
        ("CheckInCreate", "recorded_on"),
        ("PatientCreate", "date_of_birth"),
        ("AdverseEventCreate", "aware_on"),
        ("AdverseEventCreate", "onset_on"),
        ("AssessmentIn", "onset_on"),
        ("ReportedIn", "reported_to_minister_on"),
    ]:
        day = properties(openapi, schema)[field]
        assert day["format"] == "past-date", (schema, field)
        assert "1950-01-01" in day["description"]
        assert "future" in day["description"]
        assert "past-date is a format of our own" in day["description"]


def test_openapi_states_the_rules_of_plans_and_adverse_events(openapi):
    plan = properties(openapi, "PlanCreate")
    assert re.search(plan["title"]["pattern"], "  Knee PRP  ")
    assert not re.search(plan["title"]["pattern"], "   ")
    assert not re.search(plan["title"]["pattern"], "x" * 301)
    assert re.search(plan["processing_facility"]["pattern"], "")
    assert plan["risk_class"]["enum"] == [1, 2, 3]
    assert "before" in plan["accepted_on"]["description"]
    description = properties(openapi, "AdverseEventCreate")["description"]["pattern"]
    assert re.search(description, "Swelling.\nSeen on day 3.")
    assert not re.search(description, " \n\t")
    assert properties(openapi, "PatientCreate")["sex"]["enum"][-1] is None
    assessment = openapi["components"]["schemas"]["AssessmentIn"]
    assert set(assessment["required"]) == {"seriousness", "causality"}
    status = openapi["paths"]["/api/v1/adverse-events"]["get"]["parameters"][0]["schema"]
    assert status["enum"] == ["open", "all", "to_assess", "to_report", "reported", "not_reportable"]
