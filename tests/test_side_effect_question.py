"""The side-effect question is answered on purpose: nothing is chosen for the patient.

A patient skimming the form must not report "no side effect" without saying so, and neither
may a clinician entering a check-in taken by phone.
"""

import pytest

from tests import factories
from tests.conftest import csrf_token_from, post_form
from tests.helpers import isolated_client, row_counts
from tests.html_page import by_id, parse_page
from tests.test_checkin_link import (
    ANSWERS,
    compiled_translations,  # noqa: F401  (an autouse fixture)
    path_of,
    patient_in_follow_up,
    send_checkin,
)
from tests.test_portal import sign_in
from tracker.extensions import db
from tracker.links import checkin_url

UNANSWERED = {key: value for key, value in ANSWERS.items() if key != "adverse_event"}
PATIENT_MESSAGE = {
    "en": "Please tell us whether you have had a side effect or a new symptom: choose Yes or No.",
    "ja": "副作用や気になる症状があったかどうか、「はい」か「いいえ」を選んでください。",
}
CLINICIAN_MESSAGE = {
    "en": "Please say whether the patient had an adverse event since the treatment or the last "
    "check-in: choose Yes or No.",
    "ja": "治療後または前回の経過確認以降に副作用（有害事象）があったかどうか、"
    "「はい」か「いいえ」を選んでください。",
}


def side_effect_choices(html: str) -> dict[str, bool]:
    """Return each side-effect radio button's value and whether it is chosen."""
    inputs = parse_page(html).find_all("input", name="adverse_event")
    assert all(element.attrs.get("type") == "radio" for element in inputs)
    return {element.attrs["value"]: "checked" in element.attrs for element in inputs}


def assert_refused(response, message: str, before: dict) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    # The message sits with the question, and the summary links to it.
    assert message in by_id(parse_page(html), "adverse_event-error").text()
    assert row_counts() == before


@pytest.fixture
def web(app):
    return isolated_client(app)


def test_emailed_form_starts_with_neither_answer_chosen(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician)
    page = web.get(path_of(checkin_url(reminder))).get_data(as_text=True)
    assert side_effect_choices(page) == {"no": False, "yes": False}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_emailed_form_without_a_side_effect_answer_records_nothing(
    web, clinic, clinician, language
):
    _, reminder = patient_in_follow_up(clinic, clinician, language=language)
    before = row_counts()
    response = send_checkin(web, checkin_url(reminder), UNANSWERED)
    assert_refused(response, PATIENT_MESSAGE[language], before)
    # What the patient did answer is kept, and the question is still unanswered.
    html = response.get_data(as_text=True)
    assert side_effect_choices(html) == {"no": False, "yes": False}
    assert "checked" in by_id(parse_page(html), "pain-3").attrs


def test_portal_form_starts_with_neither_answer_chosen(web, clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician, email="hanako@example.org")
    sign_in(web, patient)
    page = web.get("/portal").get_data(as_text=True)
    assert side_effect_choices(page) == {"no": False, "yes": False}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_portal_form_without_a_side_effect_answer_records_nothing(web, clinic, clinician, language):
    patient, _ = patient_in_follow_up(
        clinic, clinician, email="hanako@example.org", language=language
    )
    sign_in(web, patient)
    token = csrf_token_from(web.get("/portal"))
    before = row_counts()
    response = web.post("/portal/checkin", data={**UNANSWERED, "csrf_token": token})
    assert_refused(response, PATIENT_MESSAGE[language], before)


def test_phone_form_starts_with_neither_answer_chosen(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    page = logged_in.get(f"/patients/{patient.id}/checkins/new").get_data(as_text=True)
    assert side_effect_choices(page) == {"no": False, "yes": False}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_phone_form_without_a_side_effect_answer_records_nothing(
    logged_in, clinic, clinician, language
):
    patient = factories.PatientFactory(clinic=clinic)
    url = f"/patients/{patient.id}/checkins/new"
    clinician.language = language  # staff read the pages in the language they chose
    db.session.commit()
    before = row_counts()
    response = post_form(logged_in, url, {"stiffness": "4", "pain": "3"})
    assert_refused(response, CLINICIAN_MESSAGE[language], before)


def test_phone_form_records_an_explicit_no(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    url = f"/patients/{patient.id}/checkins/new"
    values = {"stiffness": "4", "pain": "3", "adverse_event": "no"}
    response = post_form(logged_in, url, values)
    assert response.status_code == 302
    assert row_counts()["checkin"] == 1
