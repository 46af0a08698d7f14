"""Phones: the patient's number in E.164 on the form, page, worklist and API; the clinic's own."""

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import log_in, post_form
from tests.helpers import make_flag, row_counts
from tracker.extensions import db
from tracker.models import Clinic, Patient

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
NEW_PATIENT = {
    "external_id": "MRN-1001",
    "name": "Hanako Tanaka",
    "email": "",
    "phone": "03-1234-5678",
    "timezone": "Asia/Tokyo",
    "language": "ja",
    "frozen_doses": "0",
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_admin(client, admin):
    assert log_in(client, admin.email).status_code == 302
    return client


def test_a_phone_only_patient_is_recorded_in_e164_and_shown_with_a_tel_link(logged_in):
    response = post_form(logged_in, "/patients/new", NEW_PATIENT)

    assert response.status_code == 302
    patient = db.session.scalar(select(Patient))
    assert (patient.email, patient.phone) == (None, "+81312345678")
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert '<a class="tel" href="tel:+81312345678">03-1234-5678</a>' in page
    assert "none: phone follow-up only" in page


def test_a_number_abroad_is_kept_with_its_country_code_and_shown_internationally(logged_in):
    response = post_form(
        logged_in,
        "/patients/new",
        {**NEW_PATIENT, "phone": "+44 20 7946 0018", "timezone": "Europe/London"},
    )

    assert response.status_code == 302
    assert db.session.scalar(select(Patient.phone)) == "+442079460018"
    page = logged_in.get(f"/patients/{db.session.scalar(select(Patient.id))}").get_data(
        as_text=True
    )
    assert 'href="tel:+442079460018">+44 20 7946 0018</a>' in page


def test_an_invalid_phone_is_explained_next_to_the_field_and_nothing_written(logged_in):
    before = row_counts()

    response = post_form(logged_in, "/patients/new", {**NEW_PATIENT, "phone": "12345"})

    assert response.status_code == 200
    assert "Not a valid phone number" in response.get_data(as_text=True)
    assert row_counts() == before


def test_the_edit_form_shows_the_phone_as_dialled_and_keeps_it(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic, phone="+81312345678")

    form = logged_in.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    assert 'value="03-1234-5678"' in form
    response = post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {**NEW_PATIENT, "external_id": patient.external_id, "phone": "03-1234-5678"},
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).phone == "+81312345678"


def test_clearing_the_phone_removes_it(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic, phone="+81312345678")

    post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {**NEW_PATIENT, "external_id": patient.external_id, "phone": "", "email": "a@example.org"},
    )

    db.session.expire_all()
    assert db.session.get(Patient, patient.id).phone is None


def test_the_worklist_row_has_the_patients_phone(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic, phone="+819012345678")
    make_flag(patient, factories.TreatmentFactory(patient=patient))

    page = logged_in.get("/").get_data(as_text=True)

    assert 'href="tel:+819012345678">090-1234-5678</a>' in page


def test_the_api_takes_a_national_number_and_answers_e164(api):
    response = api.post(
        "/api/v1/patients",
        json={"external_id": "MRN-7", "name": "Yuki Sato", "phone": "090 1234 5678"},
    )

    assert response.status_code == 201
    body = response.get_json()
    assert (body["email"], body["phone"], body["phone_display"]) == (
        None,
        "+819012345678",
        "090-1234-5678",
    )
    assert api.get(f"/api/v1/patients/{body['id']}").get_json()["phone"] == "+819012345678"


def test_the_api_answers_a_patient_without_a_phone_with_null(api):
    body = api.post("/api/v1/patients", json={"external_id": "MRN-8", "name": "Yuki"}).get_json()

    assert (body["phone"], body["phone_display"]) == (None, None)


@pytest.mark.parametrize("phone", ["12345", "+999 1234 5678", "call me", "090\n1234"])
def test_the_api_refuses_an_invalid_phone_with_422_and_writes_nothing(api, phone):
    before = row_counts()

    response = api.post(
        "/api/v1/patients", json={"external_id": "MRN-9", "name": "Yuki Sato", "phone": phone}
    )

    assert response.status_code == 422
    assert "phone" in response.get_json()["errors"]
    assert row_counts() == before


def test_the_openapi_document_describes_the_phone(api):
    document = api.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]

    assert "E.164" in schemas["PatientCreate"]["properties"]["phone"]["description"]
    assert "E.164" in schemas["PatientOut"]["properties"]["phone"]["description"]
    assert schemas["PatientOut"]["properties"]["phone_display"]["type"] == "string"


def test_the_clinic_sets_its_phone_and_contact_email(as_admin, clinic):
    settings = as_admin.get("/admin/settings").get_data(as_text=True)
    assert 'name="phone"' in settings and 'name="contact_email"' in settings

    response = post_form(
        as_admin,
        "/admin/settings",
        {
            **current_settings(clinic),
            "phone": "03-6555-0100",
            "contact_email": "desk@knee.example.org",
            "country": "",
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Clinic, clinic.id)
    assert (stored.phone, stored.contact_email, stored.country) == (
        "+81365550100",
        "desk@knee.example.org",
        None,
    )
    assert 'value="03-6555-0100"' in as_admin.get("/admin/settings").get_data(as_text=True)


def test_the_clinics_country_decides_how_national_numbers_are_read(as_admin, clinic):
    response = post_form(
        as_admin,
        "/admin/settings",
        {**current_settings(clinic), "country": "gb", "phone": "020 7946 0018"},
    )

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Clinic, clinic.id)
    assert (stored.country, stored.phone) == ("GB", "+442079460018")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "0000", "Not a valid phone number"),
        ("contact_email", "desk@", "Not a valid email address"),
        ("country", "XX", "Unknown country"),
    ],
)
def test_a_bad_contact_setting_is_explained_and_nothing_written(
    as_admin, clinic, field, value, message
):
    response = post_form(as_admin, "/admin/settings", {**current_settings(clinic), field: value})

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).phone is None


def current_settings(clinic: Clinic) -> dict:
    return {
        "timezone": clinic.timezone,
        "milestone_weeks": "2, 8, 12, 52",
        "send_hour": "9",
        "window_before_days": "3",
        "window_after_days": "14",
        "nudge_after_days": "3",
        "early_days": "14",
        "min_improvement": "2",
        "rise_points": "2",
        "sustain_days": "7",
        "severe_pain": "7",
        "non_responder_days": "84",
    }
