"""Outcome events: recorded by a clinician on the patient page or through the API, audited."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import post_form
from tests.helpers import row_counts
from tests.html_page import parse_page
from tracker.extensions import db
from tracker.models import AuditEvent, OutcomeEvent
from tracker.services.actors import Actor
from tracker.services.treatments import record_treatment
from tracker.timeutil import today_in


@pytest.fixture
def treated(clinic, clinician):
    """A patient treated 200 days ago; return (patient, treatment)."""
    patient = factories.PatientFactory(clinic=clinic, name="Hanako Tanaka")
    treatment = record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": today_in(patient.timezone) - timedelta(days=200),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "kl_grade": 4,
        },
    )
    return patient, treatment


def url_of(treatment) -> str:
    return f"/api/v1/treatments/{treatment.id}/outcome-events"


def test_api_records_an_outcome_event_and_audits_it(api, treated, clinician):
    patient, treatment = treated
    occurred_on = treatment.treated_on + timedelta(days=150)
    body = {"kind": "knee_replacement", "occurred_on": occurred_on.isoformat(), "note": "TKA"}

    response = api.post(url_of(treatment), json=body)

    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer == {
        "id": answer["id"],
        "treatment_id": treatment.id,
        "patient_id": patient.id,
        "kind": "knee_replacement",
        "occurred_on": occurred_on.isoformat(),
        "note": "TKA",
        "recorded_by": clinician.id,
        "created_at": answer["created_at"],
    }
    assert answer["created_at"].endswith("Z")
    event = db.session.get(OutcomeEvent, answer["id"])
    assert (event.clinic_id, event.patient_id, event.kind) == (
        treatment.clinic_id,
        patient.id,
        "knee_replacement",
    )
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "outcome_event.create"))
    assert audit.object_id == event.id and audit.actor_kind == "api"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "amputation", "occurred_on": "{mid}"}, "kind"),
        ({"occurred_on": "{mid}"}, "kind"),
        ({"kind": "osteotomy"}, "occurred_on"),
        ({"kind": "osteotomy", "occurred_on": "{before}"}, "occurred_on"),
        ({"kind": "osteotomy", "occurred_on": "{future}"}, "occurred_on"),
        ({"kind": "osteotomy", "occurred_on": "not a date"}, "occurred_on"),
        ({"kind": "osteotomy", "occurred_on": "{mid}", "note": "x" * 4001}, "note"),
        ({"kind": "osteotomy", "occurred_on": "{mid}", "surgeon": "Dr X"}, "surgeon"),
    ],
)
def test_api_refuses_each_bad_field_and_writes_nothing(api, treated, body, field):
    _, treatment = treated
    today = today_in("Asia/Tokyo")
    days = {
        "mid": (treatment.treated_on + timedelta(days=10)).isoformat(),
        "before": (treatment.treated_on - timedelta(days=1)).isoformat(),
        "future": (today + timedelta(days=2)).isoformat(),
    }
    body = {
        key: value.format(**days) if isinstance(value, str) else value
        for key, value in body.items()
    }
    before = row_counts()

    response = api.post(url_of(treatment), json=body)

    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["errors"]) == {field}
    assert row_counts() == before
    assert db.session.scalar(select(OutcomeEvent)) is None


def test_api_answers_404_for_another_clinics_treatment(app, treated, other_clinician):
    from tests.conftest import ApiClient
    from tests.helpers import isolated_client
    from tracker.services.api_tokens import issue_token

    _, treatment = treated
    token = issue_token(other_clinician)
    db.session.commit()
    other = ApiClient(isolated_client(app), token)
    response = other.post(
        url_of(treatment), json={"kind": "osteotomy", "occurred_on": "2026-11-01"}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(OutcomeEvent)) is None


def test_api_answers_401_without_a_token(client, treated):
    _, treatment = treated
    response = client.post(url_of(treatment), json={"kind": "osteotomy"})
    assert response.status_code == 401


def test_patient_page_form_records_an_outcome_event(logged_in, treated):
    patient, treatment = treated
    occurred_on = treatment.treated_on + timedelta(days=120)
    values = {
        "treatment_id": str(treatment.id),
        "kind": "osteotomy",
        "occurred_on": occurred_on.isoformat(),
        "note": "High tibial osteotomy",
    }
    response = post_form(logged_in, f"/patients/{patient.id}/outcome-events", values)

    assert response.status_code == 302
    event = db.session.scalar(select(OutcomeEvent))
    assert (event.treatment_id, event.kind, event.occurred_on) == (
        treatment.id,
        "osteotomy",
        occurred_on,
    )
    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Osteotomy" in page and "High tibial osteotomy" in page
    markers = parse_page(page).find_all("line", class_="outcome_event")
    assert len(markers) == 1


def test_patient_page_form_shows_what_is_wrong_and_writes_nothing(logged_in, treated):
    patient, treatment = treated
    before = row_counts()
    values = {
        "treatment_id": str(treatment.id),
        "kind": "osteotomy",
        "occurred_on": (treatment.treated_on - timedelta(days=3)).isoformat(),
    }
    response = post_form(logged_in, f"/patients/{patient.id}/outcome-events", values)

    assert response.status_code == 200
    assert "Cannot be before the treatment" in response.get_data(as_text=True)
    assert row_counts() == before
    assert db.session.scalar(select(OutcomeEvent)) is None


def test_patient_page_form_refuses_a_treatment_of_another_patient(logged_in, treated, clinic):
    patient, _ = treated
    other = factories.PatientFactory(clinic=clinic)
    theirs = factories.TreatmentFactory(patient=other, treated_on=date(2026, 1, 10))
    values = {"treatment_id": str(theirs.id), "kind": "osteotomy", "occurred_on": "2026-02-01"}
    response = post_form(logged_in, f"/patients/{patient.id}/outcome-events", values)
    assert response.status_code == 200
    assert db.session.scalar(select(OutcomeEvent)) is None
