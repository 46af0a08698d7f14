"""Function and global assessment: asked on every check-in path and on the treatment baseline."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token_from, post_form
from tests.helpers import isolated_client, row_counts
from tests.html_page import parse_page
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
from tracker.models import CheckIn, Treatment
from tracker.timeutil import today_in

FUNCTION_QUESTION = {
    "en": "How much does your knee limit your daily activities",
    "ja": "歩く・階段・立ち上がりなど、ひざの具合で日常の動作がどのくらい制限されていますか？",
}
GLOBAL_QUESTION = {
    "en": "Considering everything, how is your knee doing?",
    "ja": "全体として、ひざの調子はいかがですか？",
}


@pytest.fixture
def web(app):
    return isolated_client(app)


def radio_values(html: str, name: str) -> list[str]:
    return [element.attrs["value"] for element in parse_page(html).find_all("input", name=name)]


def latest_checkin() -> CheckIn:
    db.session.expire_all()
    return db.session.scalars(select(CheckIn).order_by(CheckIn.id.desc())).first()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_emailed_form_asks_both_questions_as_optional_0_to_10_rows(
    web, clinic, clinician, language
):
    _, reminder = patient_in_follow_up(clinic, clinician, language=language)
    html = web.get(path_of(checkin_url(reminder))).get_data(as_text=True)

    assert FUNCTION_QUESTION[language] in html
    assert GLOBAL_QUESTION[language] in html
    for name in ("function", "global_assessment"):
        assert radio_values(html, name) == [str(n) for n in range(11)]
    very_poorly = {"en": "Very poorly", "ja": "とても悪い"}[language]
    assert very_poorly in html


def test_emailed_answers_are_recorded_and_may_be_left_out(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician)
    response = send_checkin(
        web, checkin_url(reminder), {**ANSWERS, "function": "6", "global_assessment": "3"}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    checkin = latest_checkin()
    assert (checkin.function, checkin.global_assessment) == (6, 3)


def test_emailed_form_without_them_records_none(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician)
    send_checkin(web, checkin_url(reminder), ANSWERS)
    checkin = latest_checkin()
    assert (checkin.function, checkin.global_assessment) == (None, None)


def test_emailed_out_of_range_function_is_refused_and_nothing_written(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician)
    before = row_counts()
    response = send_checkin(web, checkin_url(reminder), {**ANSWERS, "function": "11"})
    assert response.status_code == 200
    assert "Please choose a number from 0 to 10." in response.get_data(as_text=True)
    assert row_counts() == before


def test_portal_records_function_and_global_assessment(web, clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician, email="hanako@example.org")
    sign_in(web, patient)
    page = web.get("/portal").get_data(as_text=True)
    assert radio_values(page, "function") == [str(n) for n in range(11)]
    token = csrf_token_from(web.get("/portal"))
    response = web.post(
        "/portal/checkin",
        data={**ANSWERS, "function": "2", "global_assessment": "9", "csrf_token": token},
    )
    assert response.status_code == 303
    checkin = latest_checkin()
    assert (checkin.function, checkin.global_assessment) == (2, 9)


def test_phone_form_records_function_and_global_assessment(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    url = f"/patients/{patient.id}/checkins/new"
    assert radio_values(logged_in.get(url).get_data(as_text=True), "global_assessment")
    values = {"stiffness": "4", "pain": "3", "adverse_event": "no"}
    response = post_form(logged_in, url, {**values, "function": "5", "global_assessment": "4"})
    assert response.status_code == 302
    checkin = latest_checkin()
    assert (checkin.function, checkin.global_assessment) == (5, 4)


def test_phone_form_refuses_an_out_of_range_global_assessment(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    url = f"/patients/{patient.id}/checkins/new"
    before = row_counts()
    values = {"stiffness": "4", "pain": "3", "adverse_event": "no", "global_assessment": "12"}
    response = post_form(logged_in, url, values)
    assert response.status_code == 200
    assert "Must be between 0 and 10." in response.get_data(as_text=True)
    assert row_counts() == before


def test_api_checkin_takes_and_returns_both(api, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    body = {"pain": 3, "stiffness": 2, "function": 4, "global_assessment": 1}
    response = api.post(f"/api/v1/patients/{patient.id}/checkins", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert (answer["function"], answer["global_assessment"]) == (4, 1)
    checkin = latest_checkin()
    assert (checkin.function, checkin.global_assessment) == (4, 1)


@pytest.mark.parametrize(
    ("field", "value"),
    [("function", 11), ("function", -1), ("global_assessment", "5"), ("global_assessment", 2.5)],
)
def test_api_checkin_refuses_a_bad_score_per_field(api, clinic, field, value):
    patient = factories.PatientFactory(clinic=clinic)
    before = row_counts()
    body = {"pain": 3, "stiffness": 2, field: value}
    response = api.post(f"/api/v1/patients/{patient.id}/checkins", json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {field}
    assert row_counts() == before


def test_api_treatment_baseline_takes_and_returns_both(api, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    body = {
        "treated_on": (today_in(patient.timezone) - timedelta(days=3)).isoformat(),
        "kind": "prp",
        "route": "intra_articular",
        "site": "left knee",
        "baseline": {"pain": 7, "stiffness": 6, "function": 8, "global_assessment": 7},
    }
    response = api.post(f"/api/v1/patients/{patient.id}/treatments", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["baseline"] == {
        "pain": 7,
        "stiffness": 6,
        "morning_stiffness_minutes": None,
        "function": 8,
        "global_assessment": 7,
    }
    treatment = db.session.get(Treatment, response.get_json()["id"])
    assert (treatment.baseline_function, treatment.baseline_global_assessment) == (8, 7)


def test_api_treatment_baseline_refuses_an_out_of_range_function(api, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    body = {
        "treated_on": (today_in(patient.timezone) - timedelta(days=3)).isoformat(),
        "kind": "prp",
        "route": "intra_articular",
        "site": "left knee",
        "baseline": {"pain": 7, "stiffness": 6, "function": 11},
    }
    response = api.post(f"/api/v1/patients/{patient.id}/treatments", json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"baseline.function"}


def test_treatment_form_records_the_baseline_function_and_global(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    url = f"/patients/{patient.id}/treatments/new"
    values = {
        "treated_on": (today_in(patient.timezone) - timedelta(days=3)).isoformat(),
        "kind": "prp",
        "route": "intra_articular",
        "site": "left knee",
        "baseline_function": "7",
        "baseline_global_assessment": "6",
    }
    response = post_form(logged_in, url, values)
    assert response.status_code == 302, response.get_data(as_text=True)
    treatment = db.session.scalar(select(Treatment))
    assert (treatment.baseline_function, treatment.baseline_global_assessment) == (7, 6)
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "function 7" in page and "overall 6" in page


def test_service_refuses_out_of_range_values(clinic):
    from tracker.services.checkins import check_checkin_values
    from tracker.services.validation import InvalidInput

    patient = factories.PatientFactory(clinic=clinic)
    with pytest.raises(InvalidInput) as refused:
        check_checkin_values(
            patient, {"pain": 1, "stiffness": 1, "function": 11, "global_assessment": True}
        )
    assert set(refused.value.errors) == {"function", "global_assessment"}
