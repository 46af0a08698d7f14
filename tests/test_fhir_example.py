"""docs/fhir-example.json is a real $everything answer: one patient, a treatment, two check-ins.

The test builds those records, calls the API at a frozen time and compares the answer with the
file, so the example in the docs cannot drift from the code. After a deliberate change to the
resources, rewrite the file with FHIR_EXAMPLE_WRITE=1 and read the diff.
"""

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from tests import factories
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "fhir-example.json"
TREATED_AT = datetime(2026, 1, 9, 1, 0, tzinfo=UTC)
ANSWERED_AT = (datetime(2026, 1, 23, 0, 40, tzinfo=UTC), datetime(2026, 3, 6, 0, 15, tzinfo=UTC))
EXPORTED_AT = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def example_bundle(api, clinic, clinician) -> dict:
    """Record the example patient's follow-up and fetch it as $everything."""
    actor = Actor(clinician, "user")
    patient = factories.PatientFactory(
        clinic=clinic,
        external_id="MRN-0042",
        name="山田 花子",
        email="hanako@example.jp",
        phone="+819012345678",
        date_of_birth=date(1958, 4, 3),
        sex="female",
        language="ja",
        timezone="Asia/Tokyo",
    )
    record_treatment(
        patient,
        actor,
        {"treated_on": date(2026, 1, 9), "kind": "adsc_cultured", "route": "intra_articular"}
        | {"site": "左膝", "cell_dose_million": 50, "kl_grade": 2},
        now=TREATED_AT,
    )
    record_checkin(
        patient,
        Actor(None, "patient"),
        {"pain": 5, "stiffness": 4, "morning_stiffness_minutes": 20},
        "email_link",
        now=ANSWERED_AT[0],
    )
    record_checkin(
        patient,
        Actor(None, "patient"),
        {"pain": 2, "stiffness": 1, "swelling": 1, "adverse_event": True}
        | {"adverse_event_details": "注射した膝が少し熱を持っています"},
        "portal",
        now=ANSWERED_AT[1],
    )
    with time_machine.travel(EXPORTED_AT, tick=False):
        response = api.get(f"/api/v1/fhir/Patient/{patient.id}/$everything")
    assert response.status_code == 200
    return response.get_json()


def test_the_documented_example_bundle_is_what_the_api_answers(api, clinic, clinician):
    bundle = example_bundle(api, clinic, clinician)
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])

    if os.environ.get("FHIR_EXAMPLE_WRITE") == "1":
        EXAMPLE.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n")
        pytest.fail("docs/fhir-example.json rewritten: review its diff, then run without the flag")
    assert json.loads(EXAMPLE.read_text()) == bundle
