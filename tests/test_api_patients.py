"""The JSON API for patients and treatments (docs/architecture.md): answers, errors, OpenAPI."""

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import Text, cast, select

from tests import factories
from tests.conftest import ApiClient
from tests.helpers import isolated_client, row_counts
from tracker.extensions import db
from tracker.models import AuditEvent, Patient, Reminder, Treatment
from tracker.services.api_tokens import issue_token
from tracker.services.audit import record_audit, record_read_audit

# 12:00 in Tokyo on Saturday 21 November 2026.
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
TREATMENT = {
    "treated_on": "2026-11-20",
    "kind": "adsc_cultured",
    "route": "intra_articular",
    "site": "left knee",
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(
        clinic=clinic, external_id="MRN-1", name="Hanako Tanaka", frozen_doses=1
    )


def post_treatment(api, patient_id: int, **changes):
    return api.post(f"/api/v1/patients/{patient_id}/treatments", json={**TREATMENT, **changes})


def assert_nothing_written(before: dict[str, int]) -> None:
    assert row_counts() == before, "a failed request wrote rows"


# POST /api/v1/patients


def test_create_patient_answers_201_with_the_patient(api, clinic):
    response = api.post(
        "/api/v1/patients",
        json={
            "external_id": "MRN-1001",
            "name": "Kenji Watanabe",
            "email": "kenji@example.org",
            "timezone": "America/New_York",
            "language": "ja",
        },
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "external_id": "MRN-1001",
        "name": "Kenji Watanabe",
        "email": "kenji@example.org",
        "phone": None,
        "phone_display": None,
        "timezone": "America/New_York",
        "language": "ja",
        "frozen_doses": 0,
        "opted_out_at": None,
        "date_of_birth": None,
        "sex": None,
        "address": None,
        "diagnosis": None,
        "archived_at": None,
        "created_at": "2026-11-21T03:00:00Z",
    }
    stored = db.session.get(Patient, body["id"])
    assert stored.clinic_id == clinic.id
    assert stored.timezone == "America/New_York"


def test_create_patient_defaults_to_the_clinics_time_zone_and_english(api):
    response = api.post("/api/v1/patients", json={"external_id": "MRN-2", "name": "Yuki Sato"})

    assert response.status_code == 201
    body = response.get_json()
    assert body["timezone"] == "Asia/Tokyo"
    assert body["language"] == "en"
    assert body["email"] is None


def test_create_patient_is_audited(api, clinician):
    response = api.post("/api/v1/patients", json={"external_id": "MRN-2", "name": "Yuki Sato"})

    [event] = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.object_type, event.object_id) == (
        "patient.create",
        "patient",
        response.get_json()["id"],
    )
    assert event.actor_user_id == clinician.id
    assert event.actor_kind == "api"


PATIENT_ERRORS = [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "Tokyo"}, "timezone"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "kenji@"}, "email"),
    ({"language": "fr"}, "language"),
    ({"colour": "red"}, "colour"),
    ({"name": ""}, "name"),
    ({"external_id": 1001}, "external_id"),
    ({"frozen_doses": "2"}, "frozen_doses"),
    ({"frozen_doses": -1}, "frozen_doses"),
    ({"name": "Yuki\u0000Sato"}, "name"),
    ({"external_id": "MRN\u00002"}, "external_id"),
]


@pytest.mark.parametrize(
    ("changes", "field"), PATIENT_ERRORS, ids=[field for _, field in PATIENT_ERRORS]
)
def test_invalid_patient_answers_422_naming_the_field_and_writes_nothing(api, changes, field):
    before = row_counts()

    response = api.post(
        "/api/v1/patients", json={"external_id": "MRN-2", "name": "Yuki Sato", **changes}
    )

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert isinstance(errors[field], str) and errors[field]
    assert_nothing_written(before)


def test_missing_required_fields_are_all_named(api):
    before = row_counts()

    response = api.post("/api/v1/patients", json={})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"external_id", "name"}
    assert_nothing_written(before)


NOT_JSON = [
    ("text/plain", "external_id=MRN-2&name=Yuki"),
    ("application/x-www-form-urlencoded", "external_id=MRN-2&name=Yuki"),
    ("application/json", '{"external_id": "MRN-2", "name": '),
    ("application/json", '[{"external_id": "MRN-2", "name": "Yuki"}]'),
    ("application/json", '"MRN-2"'),
    ("application/json", "null"),
]


@pytest.mark.parametrize(
    ("content_type", "body"),
    NOT_JSON,
    ids=["text", "form", "malformed", "array", "string", "null"],
)
def test_body_that_is_not_a_json_object_answers_400_and_writes_nothing(
    api, patient, content_type, body
):
    before = row_counts()

    for path in ("/api/v1/patients", f"/api/v1/patients/{patient.id}/treatments"):
        response = api.post(path, data=body, content_type=content_type)

        assert response.status_code == 400, path
        assert response.is_json
        assert "JSON" in response.get_json()["message"]
    assert_nothing_written(before)


def test_duplicate_external_id_answers_409_and_writes_nothing(api, patient):
    before = row_counts()

    response = api.post("/api/v1/patients", json={"external_id": "MRN-1", "name": "Someone"})

    assert response.status_code == 409
    assert "external_id" in response.get_json()["errors"]
    assert_nothing_written(before)


def test_external_id_is_compared_without_surrounding_spaces(api, patient):
    response = api.post("/api/v1/patients", json={"external_id": " MRN-1 ", "name": "Someone"})

    assert response.status_code == 409


def test_same_external_id_in_another_clinic_is_allowed(app, patient, other_clinician):
    token = issue_token(other_clinician)
    db.session.commit()
    other_api = ApiClient(isolated_client(app), token)

    response = other_api.post("/api/v1/patients", json={"external_id": "MRN-1", "name": "Ken"})

    assert response.status_code == 201
    clinics = db.session.scalars(select(Patient.clinic_id).where(Patient.external_id == "MRN-1"))
    assert sorted(clinics) == sorted([patient.clinic_id, other_clinician.clinic_id])


# GET /api/v1/patients/{id}


def test_get_patient_answers_with_the_treatments(api, patient):
    post_treatment(api, patient.id, baseline={"pain": 6, "stiffness": 7})
    post_treatment(api, patient.id, treated_on="2026-06-01", kind="prp", site="right knee")

    response = api.get(f"/api/v1/patients/{patient.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == patient.id
    assert body["external_id"] == "MRN-1"
    assert body["name"] == "Hanako Tanaka"
    assert [t["treated_on"] for t in body["treatments"]] == ["2026-06-01", "2026-11-20"]
    latest = body["treatments"][1]
    assert latest["baseline"] == {
        "pain": 6,
        "stiffness": 7,
        "morning_stiffness_minutes": None,
        "function": None,
        "global_assessment": None,
    }
    assert latest["patient_id"] == patient.id
    assert {"id", "kind", "route", "site", "kl_grade", "booster_of"} <= set(latest)


def test_get_patient_records_a_view_in_the_audit_log(api, patient, clinician):
    api.get(f"/api/v1/patients/{patient.id}")

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.view"))
    assert (event.object_id, event.actor_user_id, event.actor_kind) == (
        patient.id,
        clinician.id,
        "api",
    )


# POST /api/v1/patients/{id}/treatments


def test_create_treatment_answers_201_with_four_milestone_reminders(api, patient):
    response = post_treatment(
        api,
        patient.id,
        kl_grade=3,
        cell_dose_million=50,
        baseline={"pain": 6, "stiffness": 7, "morning_stiffness_minutes": 45},
        notes="First harvest; two doses frozen.",
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["treated_on"] == "2026-11-20"
    assert body["kind"] == "adsc_cultured"
    assert body["route"] == "intra_articular"
    assert body["site"] == "left knee"
    assert body["kl_grade"] == 3
    assert body["cell_dose_million"] == 50
    assert body["booster_of"] is None
    assert body["baseline"] == {
        "pain": 6,
        "stiffness": 7,
        "morning_stiffness_minutes": 45,
        "function": None,
        "global_assessment": None,
    }
    reminders = body["reminders"]
    assert [r["milestone_weeks"] for r in reminders] == [2, 8, 12, 52]
    for reminder in reminders:
        assert {"id", "kind", "milestone_weeks", "due_at", "status"} <= set(reminder)
        assert reminder["kind"] == "milestone"
        assert reminder["status"] == "scheduled"
        assert reminder["due_at"].endswith("Z")
    # 09:00 in Tokyo is 00:00 UTC, on treated_on + 2, 8, 12 and 52 weeks.
    assert [r["due_at"] for r in reminders] == [
        "2026-12-04T00:00:00Z",
        "2027-01-15T00:00:00Z",
        "2027-02-12T00:00:00Z",
        "2027-11-19T00:00:00Z",
    ]
    stored = db.session.get(Treatment, body["id"])
    assert stored.patient_id == patient.id
    assert stored.baseline_stiffness == 7


def test_reminders_follow_the_patients_own_time_zone(api, clinic):
    patient = factories.PatientFactory(clinic=clinic, timezone="America/New_York")

    response = post_treatment(api, patient.id)

    # 09:00 in New York (EST, UTC-5) is 14:00 UTC.
    assert response.get_json()["reminders"][0]["due_at"] == "2026-12-04T14:00:00Z"


def test_treatment_dated_today_in_the_patients_zone_is_not_in_the_future(
    api, patient, frozen_clock
):
    # 05:00 on 22 November in Tokyo is still 21 November in UTC.
    frozen_clock.move_to(datetime(2026, 11, 21, 20, 0, tzinfo=UTC))

    response = post_treatment(api, patient.id, treated_on="2026-11-22")

    assert response.status_code == 201


def test_backdated_treatment_skips_milestones_whose_window_closed(api, patient):
    response = post_treatment(api, patient.id, treated_on="2026-10-01")

    statuses = {r["milestone_weeks"]: r["status"] for r in response.get_json()["reminders"]}
    # The 2-week window closed on 29 October; the 8-week one is still to come.
    assert statuses == {2: "skipped", 8: "scheduled", 12: "scheduled", 52: "scheduled"}


def test_create_treatment_is_audited(api, patient):
    response = post_treatment(api, patient.id)

    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "treatment.create")
    ).all()
    assert event.object_id == response.get_json()["id"]
    assert event.actor_kind == "api"


def test_booster_cancels_the_pending_reminders_of_the_boosted_treatment(api, patient):
    first = post_treatment(api, patient.id, treated_on="2026-03-02").get_json()

    response = post_treatment(
        api, patient.id, booster_of=first["id"], used_frozen_dose=True, kind="adsc_cultured"
    )

    assert response.status_code == 201
    booster = response.get_json()
    assert booster["booster_of"] == first["id"]
    assert booster["used_frozen_dose"] is True
    assert [r["status"] for r in booster["reminders"]] == ["scheduled"] * 4
    first_series = db.session.scalars(
        select(Reminder.status).where(Reminder.treatment_id == first["id"])
    ).all()
    assert "scheduled" not in first_series
    assert "cancelled" in first_series
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).frozen_doses == 0


@pytest.fixture
def other_patients_treatment(clinic, clinician):
    other = factories.PatientFactory(clinic=clinic, name="Other Patient")
    return factories.TreatmentFactory(patient=other, treated_on=datetime(2026, 1, 5).date())


@pytest.fixture
def later_treatment(patient):
    return factories.TreatmentFactory(patient=patient, treated_on=datetime(2026, 11, 20).date())


TREATMENT_ERRORS = [
    ({"baseline": {"pain": 11, "stiffness": 3}}, "baseline.pain"),
    ({"baseline": {"pain": -1, "stiffness": 3}}, "baseline.pain"),
    ({"baseline": {"pain": "5", "stiffness": 3}}, "baseline.pain"),
    ({"baseline": {"pain": 5.5, "stiffness": 3}}, "baseline.pain"),
    ({"baseline": {"pain": 5}}, "baseline.stiffness"),
    (
        {"baseline": {"pain": 5, "stiffness": 3, "morning_stiffness_minutes": 1441}},
        "baseline.morning_stiffness_minutes",
    ),
    ({"baseline": {"pain": 5, "stiffness": 3, "swelling": 2}}, "baseline.swelling"),
    ({"treated_on": "2026-11-22"}, "treated_on"),
    ({"treated_on": "2027-01-01"}, "treated_on"),
    ({"treated_on": "21/11/2026"}, "treated_on"),
    ({"kl_grade": 5}, "kl_grade"),
    ({"kl_grade": "3"}, "kl_grade"),
    ({"kind": "stem_cells"}, "kind"),
    ({"route": "oral"}, "route"),
    ({"site": ""}, "site"),
    ({"cell_dose_million": "-5"}, "cell_dose_million"),
    ({"dose": 50}, "dose"),
    ({"booster_of": 999999}, "booster_of"),
    ({"booster_of": "1"}, "booster_of"),
    ({"booster_of": 2**31}, "booster_of"),
    ({"booster_of": 10**20}, "booster_of"),
    ({"booster_of": -(10**20)}, "booster_of"),
    ({"site": "left\u0000knee"}, "site"),
    ({"notes": "\u0000"}, "notes"),
    ({"used_frozen_dose": True}, "used_frozen_dose"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    TREATMENT_ERRORS,
    ids=[f"{field}-{index}" for index, (_, field) in enumerate(TREATMENT_ERRORS)],
)
def test_invalid_treatment_answers_422_naming_the_field_and_writes_nothing(
    api, patient, changes, field
):
    before = row_counts()

    response = post_treatment(api, patient.id, **changes)

    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert_nothing_written(before)


def test_booster_of_another_patients_treatment_answers_422(api, patient, other_patients_treatment):
    before = row_counts()

    response = post_treatment(api, patient.id, booster_of=other_patients_treatment.id)

    assert response.status_code == 422
    assert "booster_of" in response.get_json()["errors"]
    assert_nothing_written(before)


def test_booster_of_a_later_treatment_answers_422(api, patient, later_treatment):
    before = row_counts()

    response = post_treatment(
        api, patient.id, treated_on="2026-11-01", booster_of=later_treatment.id
    )

    assert response.status_code == 422
    assert "booster_of" in response.get_json()["errors"]
    assert_nothing_written(before)


def test_booster_of_a_treatment_of_the_same_day_answers_422(api, patient, later_treatment):
    response = post_treatment(api, patient.id, booster_of=later_treatment.id)

    assert response.status_code == 422
    assert "booster_of" in response.get_json()["errors"]


def test_booster_with_an_empty_cell_bank_answers_422_and_writes_nothing(api, clinic):
    patient = factories.PatientFactory(clinic=clinic, frozen_doses=0)
    first = factories.TreatmentFactory(patient=patient, treated_on=datetime(2026, 3, 2).date())
    before = row_counts()

    response = post_treatment(api, patient.id, booster_of=first.id, used_frozen_dose=True)

    assert response.status_code == 422
    assert "used_frozen_dose" in response.get_json()["errors"]
    assert_nothing_written(before)


def test_every_broken_rule_is_named_at_once(api, patient):
    response = post_treatment(
        api, patient.id, kl_grade=7, baseline={"pain": 12, "stiffness": 3}, kind="magic"
    )

    assert response.status_code == 422
    assert {"kl_grade", "baseline.pain", "kind"} <= set(response.get_json()["errors"])


# GET /api/v1/patients/{id}/reminders


def test_list_reminders_answers_every_series_in_due_order(api, patient):
    post_treatment(api, patient.id)
    post_treatment(api, patient.id, treated_on="2026-11-10", kind="prp", site="right knee")

    response = api.get(f"/api/v1/patients/{patient.id}/reminders")

    assert response.status_code == 200
    reminders = response.get_json()["reminders"]
    assert len(reminders) == 8
    due = [r["due_at"] for r in reminders]
    assert due == sorted(due)
    for reminder in reminders:
        assert {"id", "kind", "milestone_weeks", "due_at", "status"} <= set(reminder)
        assert reminder["due_at"].endswith("Z")


def test_list_reminders_of_a_patient_without_treatment_is_empty(api, patient):
    response = api.get(f"/api/v1/patients/{patient.id}/reminders")

    assert response.status_code == 200
    assert response.get_json() == {"reminders": []}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/2147483648",
        "/api/v1/patients/99999999999999999999",
        "/api/v1/patients/99999999999999999999/reminders",
        "/api/v1/flags/99999999999999999999/acknowledge",
    ],
)
def test_id_beyond_the_databases_integer_range_answers_404(api, path):
    response = api.post(path) if path.endswith("acknowledge") else api.get(path)

    assert response.status_code == 404
    assert response.is_json


# OpenAPI


TABLE = {
    "/api/v1/patients": {"post"},
    "/api/v1/patients/{patient_id}": {"get", "delete"},
    "/api/v1/patients/{patient_id}/archive": {"post"},
    "/api/v1/patients/{patient_id}/treatments": {"post"},
    "/api/v1/patients/{patient_id}/reminders": {"get"},
    "/api/v1/patients/{patient_id}/checkins": {"post"},
    "/api/v1/flags": {"get"},
    "/api/v1/flags/{flag_id}/acknowledge": {"post"},
    "/api/v1/flags/{flag_id}/resolve": {"post"},
    # Exports (CSV and FHIR).
    "/api/v1/exports/{name}.csv": {"get"},
    "/api/v1/fhir/$export": {"get"},
    "/api/v1/fhir/CodeSystem/followup": {"get"},
    "/api/v1/fhir/Patient/{patient_id}/$everything": {"get"},
    "/api/v1/fhir/Questionnaire/checkin": {"get"},
    "/api/v1/plans": {"get", "post"},
    "/api/v1/plans/{plan_id}/periodic-reports": {"get"},
    "/api/v1/adverse-events": {"get", "post"},
    "/api/v1/adverse-events/{event_id}/assessment": {"post"},
    "/api/v1/adverse-events/{event_id}/reported": {"post"},
    "/api/v1/treatments/{treatment_id}/outcome-events": {"post"},
    "/api/v1/outcomes": {"get"},
}
FILE_AND_FHIR_TYPES = {"text/csv", "application/fhir+json", "application/fhir+ndjson"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def resolve_ref(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        path = schema["$ref"].removeprefix("#/").split("/")
        schema = document
        for part in path:
            schema = schema[part]
    return schema


def request_schema(document: dict, path: str, method: str) -> dict:
    body = document["paths"][path][method]["requestBody"]
    return resolve_ref(document, body["content"]["application/json"]["schema"])


def test_openapi_document_is_openapi_3(openapi):
    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"]
    assert openapi["info"]["version"]


def test_openapi_document_lists_every_endpoint_with_its_methods(openapi):
    documented = {
        path: {method for method in operations if method in HTTP_METHODS}
        for path, operations in openapi["paths"].items()
    }

    assert documented == TABLE


def test_openapi_request_schemas_name_the_fields(openapi):
    patient = request_schema(openapi, "/api/v1/patients", "post")
    assert {"external_id", "name", "email", "timezone", "language"} <= set(patient["properties"])
    assert {"external_id", "name"} <= set(patient["required"])

    treatment = request_schema(openapi, "/api/v1/patients/{patient_id}/treatments", "post")
    assert {
        "treated_on",
        "kind",
        "route",
        "site",
        "kl_grade",
        "cell_dose_million",
        "booster_of",
        "baseline",
    } <= set(treatment["properties"])
    assert {"treated_on", "kind", "route", "site"} <= set(treatment["required"])
    baseline = treatment["properties"]["baseline"]
    # A nullable nested schema is written as anyOf [$ref, null object] (or allOf [$ref]).
    for combinator in ("anyOf", "allOf", "oneOf"):
        if combinator in baseline:
            baseline = next(option for option in baseline[combinator] if "$ref" in option)
    baseline = resolve_ref(openapi, baseline)
    assert {"pain", "stiffness", "morning_stiffness_minutes"} <= set(baseline["properties"])
    assert baseline["properties"]["pain"]["minimum"] == 0
    assert baseline["properties"]["pain"]["maximum"] == 10

    checkin = request_schema(openapi, "/api/v1/patients/{patient_id}/checkins", "post")
    assert {"pain", "stiffness", "recorded_on", "adverse_event"} <= set(checkin["properties"])

    resolution = request_schema(openapi, "/api/v1/flags/{flag_id}/resolve", "post")
    assert "resolution" in resolution["required"]


def test_openapi_response_schemas_resolve(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, f"{method} {path} documents no success answer"
            for code in success:
                if code == "204":
                    continue  # no content, by definition
                content = operation["responses"][code]["content"]
                if "application/json" not in content:
                    # Files (CSV, FHIR NDJSON) and FHIR resources answer their own media types.
                    assert set(content) <= FILE_AND_FHIR_TYPES, path
                    continue
                assert resolve_ref(openapi, content["application/json"]["schema"])["properties"]


def test_openapi_declares_bearer_authentication(openapi):
    scheme = openapi["components"]["securitySchemes"]["bearerAuth"]

    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert {"bearerAuth": []} in openapi["security"]


def test_openapi_document_needs_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_documented_error_answer_matches_what_the_api_sends(openapi, api, clinic):
    schema = openapi["components"]["schemas"]["ApiError"]
    documented = set(schema["properties"])
    for response in (
        api.post("/api/v1/patients", json={"external_id": "A-1", "name": "X", "language": "fr"}),
        api.post(
            "/api/v1/patients", json={"external_id": "A-1", "name": "X", "timezone": "Nowhere/Else"}
        ),
        api.post("/api/v1/patients", data="not json", content_type="text/plain"),
        api.get("/api/v1/patients/999999"),
    ):
        body = response.get_json()
        assert response.status_code in (400, 404, 422)
        assert set(body) <= documented, (response.status_code, body)
        assert {"error", "message"} <= set(body)
    default = openapi["paths"]["/api/v1/patients"]["post"]["responses"]["default"]
    assert default["$ref"].endswith("/DEFAULT_ERROR")


def test_a_reads_audit_row_is_what_record_audit_writes(app, clinic, clinician):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        record_audit(clinic.id, "patient.view", "patient", 5, clinician, "api")
        record_read_audit(clinic.id, "patient.view", "patient", 5, clinician, "api")
        record_audit(clinic.id, "patient.view", "patient", 6)
        record_read_audit(clinic.id, "patient.view", "patient", 6)
        db.session.commit()
    table = AuditEvent.__table__
    stored = [column for column in table.columns if column.name not in ("id", "at", "details")]
    rows = db.session.execute(
        select(*stored, cast(table.c.details, Text).label("details"), table.c.at).order_by(
            table.c.id
        )
    ).all()
    columns = [row._asdict() for row in rows]
    for written in columns:
        assert written.pop("at") is not None
    assert columns[0] == columns[1] and columns[2] == columns[3]
    assert columns[1] | {"details": None} == {
        "clinic_id": clinic.id,
        "actor_user_id": clinician.id,
        "actor_kind": "api",
        "action": "patient.view",
        "object_type": "patient",
        "object_id": 5,
        "ip": "192.0.2.7",
        "details": None,
    }
    assert (columns[3]["actor_user_id"], columns[3]["actor_kind"]) == (None, "system")
