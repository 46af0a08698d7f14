"""Every error of a form is shown in one pass: listed on top with links, and tied to its field.

Each case sends two wrong fields; where the form can, one is refused by the form and the other
only by the service's rules, so the page proves both are checked before answering.
"""

from datetime import timedelta

import pytest

from tests import factories
from tests.conftest import csrf_token_from, log_in, post_form
from tests.helpers import isolated_client, make_flag, row_counts
from tests.html_page import assert_errors_listed, error_summary, parse_page
from tests.test_admin import GOOD_SETTINGS
from tests.test_checkin_link import (
    compiled_translations,  # noqa: F401  (an autouse fixture)
    patient_in_follow_up,
    send_checkin,
)
from tests.test_patients_ui import NEW_PATIENT, NEW_TREATMENT
from tests.test_portal import sign_in
from tracker.links import checkin_url
from tracker.timeutil import today_in

CHOOSE_SCORE = "Please choose a number from 0 to 10."
ANSWER_SIDE_EFFECT = "Please tell us whether you have had a side effect"
REQUIRED = "This field is required."


@pytest.fixture
def web(app):
    return isolated_client(app)


@pytest.fixture
def treated(clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician, email="hanako@example.org")
    return patient


def assert_nothing_written(before: dict) -> None:
    assert row_counts() == before


def test_emailed_check_in_lists_a_missing_score_and_the_side_effect_question(
    web, clinic, clinician
):
    _, reminder = patient_in_follow_up(clinic, clinician)
    before = row_counts()
    response = send_checkin(web, checkin_url(reminder), {"stiffness": "4"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_errors_listed(html, {"pain-0": CHOOSE_SCORE, "adverse_event-0": ANSWER_SIDE_EFFECT})
    # The summary names each question, as the patient reads it.
    links = error_summary(html)
    assert links["#pain-0"].startswith("Pain")
    assert links["#adverse_event-0"].startswith("Side effects or new symptoms")
    assert_nothing_written(before)


def test_emailed_check_in_summary_speaks_japanese(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician, language="ja")
    response = send_checkin(web, checkin_url(reminder), {"stiffness": "4"})
    links = error_summary(response.get_data(as_text=True))
    assert links["#pain-0"].startswith("痛み")
    assert "0から10までの数字を選んでください。" in links["#pain-0"]
    assert links["#adverse_event-0"].startswith("副作用・気になる症状")


def test_portal_check_in_lists_each_wrong_answer(web, treated):
    sign_in(web, treated)
    token = csrf_token_from(web.get("/portal"))
    before = row_counts()
    response = web.post(
        "/portal/checkin",
        data={
            "pain": "3",
            "stiffness": "abc",
            "morning_stiffness_minutes": "2000",
            "adverse_event": "no",
            "csrf_token": token,
        },
    )
    assert_errors_listed(
        response.get_data(as_text=True),
        {
            "stiffness-0": CHOOSE_SCORE,
            "morning_stiffness_minutes": "Please enter the minutes as a whole number",
        },
    )
    assert_nothing_written(before)


def test_portal_link_request_links_to_the_address(web):
    token = csrf_token_from(web.get("/portal/request"))
    response = web.post("/portal/request", data={"email": "not an address", "csrf_token": token})
    assert_errors_listed(
        response.get_data(as_text=True), {"email": "Please enter a valid email address."}
    )


def test_new_patient_form_and_service_errors_come_together(logged_in):
    before = row_counts()
    values = {**NEW_PATIENT, "name": "", "timezone": "Nowhere/Town"}
    response = post_form(logged_in, "/patients/new", values)
    assert_errors_listed(
        response.get_data(as_text=True),
        {"name": REQUIRED, "timezone": "Unknown time zone"},
    )
    assert_nothing_written(before)


def test_edit_patient_form_and_service_errors_come_together(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    before = row_counts()
    values = {**NEW_PATIENT, "external_id": "", "email": "not-an-address"}
    response = post_form(logged_in, f"/patients/{patient.id}/edit", values)
    assert_errors_listed(
        response.get_data(as_text=True),
        {"external_id": REQUIRED, "email": "Not a valid email address"},
    )
    assert_nothing_written(before)


def test_record_treatment_form_and_service_errors_come_together(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    before = row_counts()
    values = {**NEW_TREATMENT, "treated_on": "2026-13-45", "cell_dose_million": "-3"}
    response = post_form(logged_in, f"/patients/{patient.id}/treatments/new", values)
    assert_errors_listed(
        response.get_data(as_text=True),
        {"treated_on": "Not a valid date value.", "cell_dose_million": "at least 0.01 million"},
    )
    assert_nothing_written(before)


def test_phone_check_in_form_and_service_errors_come_together(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    before = row_counts()
    values = {"recorded_on": "yesterday", "stiffness": "11", "pain": "3"}
    response = post_form(logged_in, f"/patients/{patient.id}/checkins/new", values)
    assert_errors_listed(
        response.get_data(as_text=True),
        {
            "recorded_on": "Not a valid date value.",
            "stiffness-0": "Must be between 0 and 10.",
            "adverse_event-0": "Please say whether the patient had an adverse event",
        },
    )
    assert_nothing_written(before)


def test_resolve_flag_lists_both_wrong_fields(logged_in, clinic):
    treatment = factories.TreatmentFactory(
        patient__clinic=clinic, treated_on=today_in(clinic.timezone) - timedelta(days=50)
    )
    flag = make_flag(treatment.patient, treatment)
    before = row_counts()
    values = {"resolution": "forget_it", "note": "x" * 4001}
    response = post_form(logged_in, f"/flags/{flag.id}/resolve", values)
    assert_errors_listed(
        response.get_data(as_text=True),
        {"resolution": "Not a valid choice", "note": "4000 characters"},
    )
    assert_nothing_written(before)


def test_settings_list_each_wrong_setting(client, admin):
    log_in(client, admin.email)
    values = {**GOOD_SETTINGS, "timezone": "Nowhere/Town", "send_hour": "99"}
    response = post_form(client, "/admin/settings", values)
    assert_errors_listed(
        response.get_data(as_text=True),
        {"timezone": "Unknown time zone", "send_hour": "Must be between 0 and 23."},
    )


def test_login_lists_both_wrong_fields(client):
    token = csrf_token_from(client.get("/login"))
    response = client.post(
        "/login", data={"email": "not-an-address", "password": "", "csrf_token": token}
    )
    assert_errors_listed(
        response.get_data(as_text=True),
        {"email": "Invalid email address.", "password": REQUIRED},
    )


def test_a_wrong_password_is_named_in_the_summary(client, clinician):
    response = log_in(client, clinician.email, "not the password")
    page = parse_page(response.get_data(as_text=True))
    [summary] = page.find_all(class_="error-summary")
    assert "That email and password do not match an active account." in summary.text()


def test_a_page_without_errors_has_no_summary(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    for url in ("/patients/new", f"/patients/{patient.id}/checkins/new", "/login"):
        page = parse_page(logged_in.get(url, follow_redirects=True).get_data(as_text=True))
        assert page.find_all(class_="error-summary") == []
