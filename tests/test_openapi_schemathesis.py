"""The OpenAPI document matches the API: schemathesis, every check on, finds no failure."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import phonenumbers
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from config import TestConfig
from tests import factories
from tests.conftest import empty_tables
from tests.helpers import make_flag
from tracker import create_app
from tracker.extensions import db, limiter
from tracker.models import ApiToken
from tracker.services.actors import Actor
from tracker.services.api_tokens import hash_token
from tracker.services.treatments import record_treatment
from tracker.services.validation import EARLIEST_DATE

TOKEN = "fut_schemathesis-clinician-token"  # only its hash is stored, as for a real token
CONFIG = schemathesis.Config.from_dict(
    {
        # Declared as the document's own security scheme, so the checks that leave the
        # token out (ignored_auth, missing_required_header) know what they took away.
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "checks": {"enabled": True},
    }
)


class DocumentOnlyConfig(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # serving the document reads no table


def dialable_numbers() -> st.SearchStrategy[str]:
    """Phone numbers as integrators send them: E.164, international, or national in Japan."""
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    international = [
        phonenumbers.format_number(number, layout)
        for number in (phonenumbers.example_number(region) for region in regions)
        if number is not None
        for layout in (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL)
    ]
    japanese = [
        phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        for number in (
            phonenumbers.example_number_for_type("JP", kind)
            for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE)
        )
    ]
    return st.sampled_from(international + japanese)


def past_dates() -> st.SearchStrategy[str]:
    """Days from 1950 up to yesterday in UTC, which has come in every time zone."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return st.dates(EARLIEST_DATE, yesterday).map(date.isoformat)


# The document's own formats: phones (the seeded clinic is in Japan), days that have come.
schemathesis.openapi.format("phone", dialable_numbers())
schemathesis.openapi.format("past-date", past_dates())

# Loaded at collection, so each operation is a test of its own; every call goes to the app of
# the backend under test.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app(DocumentOnlyConfig), config=CONFIG
)


def iso_day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# Coverage cases meet case hooks only, so the rule is applied to the whole case.
@schema.hook("map_case")
def submitted_before_accepted(context, case):
    """Give a plan the order its description states: submitted, then accepted on or after.

    Likewise an outcomes question's treatment dates: treated_from, then treated_to.
    """
    if case.operation.label == "GET /api/v1/outcomes":
        return treated_from_before_treated_to(case)
    body = case.body
    if case.operation.label != "POST /api/v1/plans" or not isinstance(body, dict):
        return case
    accepted = iso_day(body.get("accepted_on"))
    if accepted is None:
        return case
    submitted = body.get("submitted_on")
    if submitted is None:
        case.body = {**body, "submitted_on": body["accepted_on"]}
    elif iso_day(submitted) is not None and iso_day(submitted) > accepted:
        case.body = {**body, "submitted_on": body["accepted_on"], "accepted_on": submitted}
    return case


def treated_from_before_treated_to(case):
    query = case.query if isinstance(case.query, dict) else {}
    earliest, latest = iso_day(query.get("treated_from")), iso_day(query.get("treated_to"))
    if earliest is not None and latest is not None and latest < earliest:
        case.query = {
            **query,
            "treated_from": query["treated_to"],
            "treated_to": query["treated_from"],
        }
    return case


def seed_patient_record(clinic, clinician) -> None:
    """A patient with a treatment (with a dose), its reminders and an open flag: ids 1."""
    patient = factories.PatientFactory(clinic=clinic, external_id="MRN-1", name="Hanako Tanaka")
    treatment = record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": date(2026, 1, 10),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "cell_dose_million": Decimal("12.5"),
        },
        now=datetime(2026, 1, 10, 3, tzinfo=UTC),
    )
    make_flag(patient, treatment)


@pytest.fixture
def seeded_clinic(request, app_for_backend):
    """A clinic whose clinician holds TOKEN; no app context stays pushed during the calls.

    Reads and flag decisions meet a seeded patient record, so real answers are checked against
    the document. Recording a treatment, a check-in, an adverse event or an outcome event meets
    no patient or treatment (404 after validation): on a real one, generated values break rules
    OpenAPI can only describe (a booster of an earlier treatment, one of the patient's
    treatments, an onset before the clinic learned of it, a procedure before the treatment),
    and request-level tests cover those.
    """
    operation = request.node.name
    records_for_a_patient = (
        "POST /api/v1/patients/{patient_id}" in operation
        or "POST /api/v1/adverse-events]" in operation
        or "POST /api/v1/treatments/{treatment_id}/outcome-events" in operation
    )
    with app_for_backend.app_context():
        limiter.reset()
        clinic = factories.ClinicFactory(name="Tokyo Knee Clinic", timezone="Asia/Tokyo")
        clinician = factories.UserFactory(clinic=clinic, email="doctor@example.org")
        if not records_for_a_patient:
            seed_patient_record(clinic, clinician)
        db.session.add(
            ApiToken(
                user_id=clinician.id,
                clinic_id=clinic.id,
                token_hash=hash_token(TOKEN),
                prefix=TOKEN[:12],
            )
        )
        db.session.commit()
    yield app_for_backend
    with app_for_backend.app_context():
        db.session.remove()
        empty_tables()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, seeded_clinic):
    case.call_and_validate(app=seeded_clinic)
