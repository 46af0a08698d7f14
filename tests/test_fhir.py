"""FHIR R4 exports: every resource parses back through the R4B models; references resolve."""

import json
from datetime import date

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import event, select

from tests import factories
from tests.export_records import add_checkins, follow_up_records, other_clinic_records
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.services.actors import Actor
from tracker.services.adverse_events import create_adverse_event

LOINC = "http://loinc.org"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


@pytest.fixture
def records(clinic, clinician, other_clinic, other_clinician):
    mine = follow_up_records(clinic, clinician)
    mine["other"] = other_clinic_records(other_clinic, other_clinician)
    return mine


def parsed(resource: dict):
    """Parse a resource with its R4B model; any validation error fails the test."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def everything(api, patient_id: int) -> dict:
    response = api.get(f"/api/v1/fhir/Patient/{patient_id}/$everything")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    return response.get_json()


def references(node):
    """Yield every Reference.reference string anywhere in a resource."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def by_type(bundle: dict, resource_type: str) -> list[dict]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]


def export_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%"))))


# $everything


def test_everything_is_a_collection_bundle_whose_resources_all_validate(api, records):
    bundle = everything(api, records["patient"].id)

    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    for entry in bundle["entry"]:
        resource = parsed(entry["resource"])
        assert entry["fullUrl"].endswith(f"/{resource.get_resource_type()}/{resource.id}")
    counts = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    assert counts == {
        "Organization": 1,
        "Patient": 1,
        "Procedure": 2,
        "CarePlan": 2,
        "QuestionnaireResponse": 3,
        # pain + stiffness each; swelling twice; minutes once
        "Observation": 3 * 2 + 2 + 1,
        "Flag": 2,
        "AdverseEvent": 1,
    }


def test_every_reference_in_the_bundle_resolves_inside_it(api, records):
    bundle = everything(api, records["patient"].id)

    present = {
        f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for entry in bundle["entry"]
    }
    found = [ref for entry in bundle["entry"] for ref in references(entry["resource"])]
    assert found
    assert set(found) <= present, set(found) - present


def test_the_patient_carries_the_clinics_number_name_contacts_birth_sex_and_language(
    api, records, clinic
):
    [patient] = by_type(everything(api, records["patient"].id), "Patient")

    assert patient["id"] == f"patient-{records['patient'].id}"
    [identifier] = patient["identifier"]
    assert identifier["value"] == "MRN-0042"
    assert identifier["system"] == f"http://tracker.test/clinics/{clinic.id}/external-ids"
    assert patient["name"] == [{"text": "山田 花子"}]
    assert patient["telecom"] == [
        {"system": "phone", "value": "+819012345678"},
        {"system": "email", "value": "hanako@example.jp"},
    ]
    assert patient["birthDate"] == "1958-04-03"
    assert patient["gender"] == "female"
    assert patient["address"] == [{"text": "東京都新宿区西新宿2-8-1"}]
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "ja"


@pytest.mark.parametrize(
    ("sex", "gender"), [("female", "female"), ("male", "male"), ("other", "other"), (None, None)]
)
def test_the_patients_sex_is_read_as_administrative_gender(api, clinic, sex, gender):
    patient = factories.PatientFactory(clinic=clinic, sex=sex, phone=None, email=None)

    [resource] = by_type(everything(api, patient.id), "Patient")

    assert resource.get("gender") == gender
    assert "telecom" not in resource
    assert "birthDate" not in resource and "address" not in resource


def test_japanese_text_round_trips_through_the_models(api, records):
    response = api.get(f"/api/v1/fhir/Patient/{records['patient'].id}/$everything")
    model = Bundle.model_validate_json(response.get_data())

    patient = next(e.resource for e in model.entry if e.resource.get_resource_type() == "Patient")
    assert patient.name[0].text == "山田 花子"
    assert json.loads(model.model_dump_json())["entry"][1]["resource"]["name"][0]["text"] == (
        "山田 花子"
    )
    assert "山田 花子".encode() in response.get_data()  # UTF-8, not \\u escapes


def test_procedures_carry_date_site_note_and_the_boosters_link(api, records):
    procedures = {
        resource["id"]: resource
        for resource in by_type(everything(api, records["patient"].id), "Procedure")
    }

    first = procedures[f"procedure-{records['treatment'].id}"]
    booster = procedures[f"procedure-{records['booster'].id}"]
    assert first["performedDateTime"] == "2025-01-10"
    assert first["bodySite"] == [{"text": "左膝"}]
    assert first["note"][0]["text"] == (
        "Kind: Cultured adipose-derived stem cells; route: Intra-articular;"
        " dose: 50.00 million cells; KL grade: 2."
    )
    assert "partOf" not in first
    assert booster["partOf"] == [{"reference": f"Procedure/procedure-{records['treatment'].id}"}]


def test_a_care_plan_has_one_activity_per_milestone_with_its_time_and_status(api, records):
    plans = {
        resource["id"]: resource
        for resource in by_type(everything(api, records["patient"].id), "CarePlan")
    }

    plan = plans[f"careplan-{records['treatment'].id}"]
    activities = [activity["detail"] for activity in plan["activity"]]
    assert [detail["code"]["text"] for detail in activities] == [
        "2-week check-in",
        "8-week check-in",
        "12-week check-in",
        "52-week check-in",
    ]
    # Backdated: the 2- and 8-week check-ins completed their milestones; the booster
    # cancelled the rest.
    assert [detail["status"] for detail in activities] == [
        "completed",
        "completed",
        "cancelled",
        "cancelled",
    ]
    assert activities[0]["scheduledPeriod"]["start"].endswith("Z")
    assert plan["status"] == "completed"
    assert plan["supportingInfo"] == [
        {"reference": f"Procedure/procedure-{records['treatment'].id}"}
    ]


def test_a_checkin_is_a_questionnaire_response_and_observations_derived_from_it(api, records):
    bundle = everything(api, records["patient"].id)
    checkin = records["checkins"][1]
    [response] = [
        resource
        for resource in by_type(bundle, "QuestionnaireResponse")
        if resource["id"] == f"questionnaireresponse-{checkin.id}"
    ]

    assert response["questionnaire"] == "http://tracker.test/api/v1/fhir/Questionnaire/checkin"
    assert response["authored"].endswith("Z")
    assert response["source"]["reference"] == f"Patient/patient-{records['patient'].id}"
    answers = {item["linkId"]: item["answer"][0] for item in response["item"]}
    assert answers["pain"] == {"valueInteger": 2}
    assert answers["morning_stiffness_minutes"] == {"valueInteger": 10}
    assert answers["adverse_event"] == {"valueBoolean": False}
    assert answers["notes"] == {"valueString": "=1+1 膝は楽です"}

    derived = [
        resource
        for resource in by_type(bundle, "Observation")
        if resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response['id']}"}]
    ]
    pain = next(item for item in derived if item["id"].endswith("-pain"))
    assert pain["code"]["coding"] == [
        {
            "system": LOINC,
            "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        }
    ]
    assert pain["category"][0]["coding"][0]["code"] == "survey"
    assert pain["category"][0]["coding"][0]["system"] == (
        "http://terminology.hl7.org/CodeSystem/observation-category"
    )
    assert pain["valueInteger"] == 2
    assert pain["effectiveDateTime"] == "2025-03-07"
    own = {item["code"]["coding"][0]["code"]: item for item in derived if item is not pain}
    assert set(own) == {"stiffness", "swelling", "morning_stiffness_minutes"}
    assert {item["code"]["coding"][0]["system"] for item in own.values()} == {
        "http://tracker.test/api/v1/fhir/CodeSystem/followup"
    }
    assert own["morning_stiffness_minutes"]["valueQuantity"]["value"] == 10


def test_a_flag_is_inactive_once_resolved(api, records):
    flags = by_type(everything(api, records["patient"].id), "Flag")
    [flag] = [flag for flag in flags if flag["id"] == f"flag-{records['flag'].id}"]

    assert flag["id"] == f"flag-{records['flag'].id}"
    assert flag["status"] == "inactive"
    assert flag["code"]["coding"][0]["code"] == "booster_window"
    assert flag["period"]["start"].endswith("Z")


def test_an_adverse_event_names_its_dates_codes_procedure_and_check_in(api, records, clinician):
    bundle = everything(api, records["patient"].id)
    event = records["adverse_event"]
    checkin = records["checkins"][-1]
    [resource] = by_type(bundle, "AdverseEvent")

    assert resource["id"] == f"adverseevent-{event.id}"
    assert resource["actuality"] == "actual"
    assert resource["subject"] == {"reference": f"Patient/patient-{records['patient'].id}"}
    assert resource["event"] == {"text": "膝が熱を持って腫れています"}
    assert resource["date"] == "2025-09-19"
    assert resource["detected"] == event.aware_on.isoformat()
    assert resource["recordedDate"].endswith("Z")
    hl7 = "http://terminology.hl7.org/CodeSystem/"
    own = "http://tracker.test/api/v1/fhir/CodeSystem/followup"
    assert [(c["system"], c["code"]) for c in resource["seriousness"]["coding"]] == [
        (hl7 + "adverse-event-seriousness", "serious"),
        (own, "hospitalisation"),
    ]
    assert [(c["system"], c["code"]) for c in resource["outcome"]["coding"]] == [
        (hl7 + "adverse-event-outcome", "recovering")
    ]
    [suspect] = resource["suspectEntity"]
    assert suspect["instance"] == {"reference": f"Procedure/procedure-{records['booster'].id}"}
    [causality] = suspect["causality"]
    assert causality["assessment"]["coding"][0]["code"] == "possibly_related"
    assert causality["assessment"]["coding"][0]["system"] == own
    assert causality["author"]["display"] == clinician.name
    assert causality["author"]["type"] == "Practitioner"
    assert resource["contributor"] == [causality["author"]]
    # The patient reported it in a check-in: the patient recorded it, and the answers back it.
    assert resource["recorder"] == {"reference": f"Patient/patient-{records['patient'].id}"}
    assert resource["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/workflow-supportingInfo",
            "valueReference": {
                "reference": f"QuestionnaireResponse/questionnaireresponse-{checkin.id}"
            },
        }
    ]


def test_the_side_effects_flag_points_to_its_adverse_event(api, records):
    flags = by_type(everything(api, records["patient"].id), "Flag")

    [flag] = [flag for flag in flags if flag["code"]["coding"][0]["code"] == "adverse_event"]
    assert flag["status"] == "active"
    assert flag["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/flag-detail",
            "valueReference": {
                "reference": f"AdverseEvent/adverseevent-{records['adverse_event'].id}"
            },
        }
    ]


def test_an_unassessed_event_a_clinician_entered_is_recorded_by_that_clinician(
    api, records, clinician
):
    event = create_adverse_event(
        records["patient"],
        Actor(clinician, "user"),
        {"aware_on": date(2025, 10, 2), "description": "Rash at the injection site"},
    )

    [resource] = [
        resource
        for resource in by_type(everything(api, records["patient"].id), "AdverseEvent")
        if resource["id"] == f"adverseevent-{event.id}"
    ]
    assert resource["recorder"]["display"] == clinician.name
    assert resource["recorder"]["identifier"]["value"] == str(clinician.id)
    assert "seriousness" not in resource and "outcome" not in resource
    assert "causality" not in resource["suspectEntity"][0]
    assert "extension" not in resource


def test_resource_ids_are_stable_across_calls(api, records):
    first = everything(api, records["patient"].id)
    second = everything(api, records["patient"].id)

    assert [entry["fullUrl"] for entry in first["entry"]] == [
        entry["fullUrl"] for entry in second["entry"]
    ]
    assert [entry["resource"] for entry in first["entry"]] == [
        entry["resource"] for entry in second["entry"]
    ]


def test_another_clinics_patient_answers_404_and_audits_nothing(api, records):
    response = api.get(f"/api/v1/fhir/Patient/{records['other']['patient'].id}/$everything")

    assert response.status_code == 404
    assert "Other Person" not in response.get_data(as_text=True)
    assert export_events() == []


def test_everything_is_audited_with_who_and_how_many_resources(api, records, clinician):
    bundle = everything(api, records["patient"].id)

    [audit] = export_events()
    assert audit.action == "export.fhir_everything"
    assert (audit.object_type, audit.object_id) == ("patient", records["patient"].id)
    assert (audit.actor_user_id, audit.actor_kind) == (clinician.id, "api")
    assert audit.details["count"] == len(bundle["entry"])


# The definitions


def test_the_questionnaire_has_linked_items_with_0_to_10_answers_in_english_and_japanese(api):
    response = api.get("/api/v1/fhir/Questionnaire/checkin")

    assert response.mimetype == "application/fhir+json"
    questionnaire = parsed(response.get_json())
    items = {item.linkId: item for item in questionnaire.item}
    assert list(items) == [
        "pain",
        "stiffness",
        "morning_stiffness_minutes",
        "swelling",
        "function",
        "global_assessment",
        "adverse_event",
        "adverse_event_details",
        "notes",
    ]
    pain = response.get_json()["item"][0]
    assert pain["type"] == "integer"
    assert [ext["valueInteger"] for ext in pain["extension"]] == [0, 10]
    assert pain["code"][0]["code"] == "72514-3"
    [translation] = pain["_text"]["extension"]
    assert translation["url"] == TRANSLATION
    assert {part["url"]: list(part.values())[1] for part in translation["extension"]} == {
        "lang": "ja",
        "content": "今日の痛みはどのくらいですか？",
    }
    details = items["adverse_event_details"]
    assert details.enableWhen[0].question == "adverse_event"


def test_the_code_system_defines_every_code_the_resources_use(api, records):
    code_system = api.get("/api/v1/fhir/CodeSystem/followup").get_json()
    parsed(code_system)
    defined = {
        child["code"] for group in code_system["concept"] for child in group.get("concept", [])
    }
    bundle = everything(api, records["patient"].id)

    used = {
        coding["code"]
        for text in [json.dumps(entry["resource"]) for entry in bundle["entry"]]
        for coding in codings(json.loads(text))
        if coding.get("system") == code_system["url"]
    }
    assert used
    assert used <= defined


def codings(node):
    if isinstance(node, dict):
        if "code" in node and "system" in node:
            yield node
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for item in node:
            yield from codings(item)


# $export


def bulk(api) -> list[dict]:
    response = api.get("/api/v1/fhir/$export")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+ndjson"
    lines = response.get_data(as_text=True).splitlines()
    return [json.loads(line) for line in lines]


def test_bulk_export_is_one_valid_resource_a_line_for_the_whole_clinic(app, api, records):
    resources = bulk(api)

    for resource in resources:
        parsed(resource)
    ids = {f"{resource['resourceType']}/{resource['id']}" for resource in resources}
    assert len(ids) == len(resources)
    assert {ref for resource in resources for ref in references(resource)} <= ids
    assert f"Patient/patient-{records['patient'].id}" in ids
    assert f"Patient/patient-{records['other']['patient'].id}" not in ids
    text = json.dumps(resources, ensure_ascii=False)
    for secret in ("MRN-OTHER", "Other Person", "OTHER-SITE", "relapse"):
        assert secret not in text


def test_bulk_export_matches_everything_for_the_clinics_patient(api, records):
    resources = {(r["resourceType"], r["id"]): r for r in bulk(api)}
    bundle = everything(api, records["patient"].id)

    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert resources[(resource["resourceType"], resource["id"])] == resource


def test_bulk_export_is_audited_when_it_ends(api, records, clinician):
    count = len(bulk(api))

    [audit] = export_events()
    assert audit.action == "export.fhir"
    assert audit.actor_user_id == clinician.id
    assert audit.details == {
        "export": "$export",
        "unit": "resources",
        "count": count,
        "complete": True,
    }


def test_bulk_export_streams_before_reading_every_batch(app, api, clinic):
    add_checkins(factories.PatientFactory(clinic=clinic), 600)
    queries = []

    def count_checkin_reads(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM checkin" in statement:
            queries.append(statement)

    app.config["EXPORT_BATCH_SIZE"] = 100
    event.listen(db.engine, "before_cursor_execute", count_checkin_reads)
    try:
        response = api.get("/api/v1/fhir/$export", buffered=False)
        chunks = iter(response.response)
        first = next(chunks)
        assert len(queries) == 1  # 200 lines out after one batch of 100 check-ins
        body = first + b"".join(chunks)
        response.close()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_checkin_reads)
        app.config.pop("EXPORT_BATCH_SIZE")

    assert first.startswith(b'{"resourceType":"Organization"')
    assert len(queries) == 600 // 100 + 1
    # a patient, then per check-in a QuestionnaireResponse and its pain and stiffness
    assert body.count(b"\n") == 1 + 1 + 600 * 3
    [audit] = export_events()
    assert audit.details["complete"] is True


def test_the_openapi_document_describes_the_exports(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    answers = {
        "/api/v1/exports/{name}.csv": "text/csv",
        "/api/v1/fhir/Questionnaire/checkin": "application/fhir+json",
        "/api/v1/fhir/CodeSystem/followup": "application/fhir+json",
        "/api/v1/fhir/Patient/{patient_id}/$everything": "application/fhir+json",
        "/api/v1/fhir/$export": "application/fhir+ndjson",
    }
    for path, mimetype in answers.items():
        assert list(paths[path]["get"]["responses"]["200"]["content"]) == [mimetype]
    everything_answer = paths["/api/v1/fhir/Patient/{patient_id}/$everything"]["get"]
    assert "404" in everything_answer["responses"]
