"""The compliance API: plans, adverse events with their clocks, periodic reports, retention.

The rules tested: docs/compliance.md, API.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import ApiClient
from tests.helpers import isolated_client
from tracker.extensions import db
from tracker.models import AdverseEvent, AuditEvent, Patient, ProvisionPlan, Reminder
from tracker.services.actors import Actor
from tracker.services.api_tokens import issue_token
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.timeutil import today_in

PLAN = {
    "plan_number": "PB3150001",
    "title": "Autologous adipose-derived MSCs for knee osteoarthritis",
    "risk_class": 2,
    "committee_name": "Tokyo Regenerative Medicine Committee",
    "committee_number": "NB3150010",
    "submitted_on": "2025-01-10",
    "accepted_on": "2025-02-01",
    "processing_facility": "Tokyo Cell Processing Center FA3150001",
}


@pytest.fixture
def other_api(app, other_clinician):
    """The API called with a token of the other clinic's clinician."""
    token = issue_token(other_clinician)
    db.session.commit()
    return ApiClient(isolated_client(app), token)


@pytest.fixture
def jp_clinic(clinic):
    clinic.regulatory_regime = "jp_asrm"
    db.session.commit()
    return clinic


@pytest.fixture
def plan(clinic):
    values = {k: v for k, v in PLAN.items()}
    values["submitted_on"] = date.fromisoformat(values["submitted_on"])
    values["accepted_on"] = date.fromisoformat(values["accepted_on"])
    plan = ProvisionPlan(clinic_id=clinic.id, **values)
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(clinic=clinic, name="Hanako Tanaka", external_id="MRN-1")


@pytest.fixture
def treatment(patient, clinician, plan):
    return record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": today_in(patient.timezone) - timedelta(days=20),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "plan_id": plan.id,
        },
    )


@pytest.fixture
def reported(patient, treatment):
    """An event the patient reported today: due in 6 days as a 7-day report."""
    record_checkin(
        patient,
        Actor(None, "patient"),
        {"pain": 7, "stiffness": 6, "adverse_event": True, "adverse_event_details": "Fever."},
        "email_link",
    )
    return db.session.scalars(select(AdverseEvent)).one()


# Plans


def test_plan_created_and_listed_with_its_next_periodic_report(api):
    created = api.post("/api/v1/plans", json=PLAN)

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["plan_number"] == "PB3150001"
    assert body["status"] == "active"
    # Plan year 0 runs 1 Feb 2025 - 31 Jan 2026, its report due 90 days later.
    assert body["next_periodic_report"]["due_on"] == "2026-05-01"
    listed = api.get("/api/v1/plans").get_json()["plans"]
    assert [plan["id"] for plan in listed] == [body["id"]]


def test_plan_with_bad_values_answers_422_with_every_field(api):
    response = api.post(
        "/api/v1/plans",
        json={**PLAN, "risk_class": 4, "title": "", "accepted_on": "2024-12-01"},
    )

    assert response.status_code == 422
    assert {"risk_class", "title", "accepted_on"} <= set(response.get_json()["errors"])
    assert db.session.scalars(select(ProvisionPlan)).all() == []


def test_plan_number_taken_answers_409(api, plan):
    response = api.post("/api/v1/plans", json=PLAN)

    assert response.status_code == 409


def test_periodic_reports_of_a_plan_count_its_year(api, plan, reported, treatment):
    response = api.get(f"/api/v1/plans/{plan.id}/periodic-reports")

    assert response.status_code == 200
    years = response.get_json()["periodic_reports"]
    assert [year["from"] for year in years[:2]] == ["2025-02-01", "2026-02-01"]
    assert years[0]["counts"]["treatments"] == 0  # nobody treated: still reported
    running = next(
        year for year in years if year["from"] <= treatment.treated_on.isoformat() <= year["to"]
    )
    assert running["counts"]["patients"] == 1
    assert running["counts"]["treatments"] == 1
    assert running["counts"]["adverse_events"]["unassessed"][0]["id"] == reported.id


# Treatments name their plan


def test_treatment_under_jp_asrm_without_a_plan_answers_422(api, jp_clinic, patient, plan):
    body = {"treated_on": "2026-10-01", "kind": "prp", "route": "intra_articular", "site": "hip"}

    refused = api.post(f"/api/v1/patients/{patient.id}/treatments", json=body)
    accepted = api.post(
        f"/api/v1/patients/{patient.id}/treatments", json={**body, "plan_id": plan.id}
    )

    assert refused.status_code == 422
    assert "plan_id" in refused.get_json()["errors"]
    assert accepted.status_code == 201
    assert accepted.get_json()["plan_id"] == plan.id


def test_treatment_under_another_clinics_plan_answers_422(api, patient, other_clinic):
    foreign = ProvisionPlan(
        clinic_id=other_clinic.id,
        plan_number="X",
        title="X",
        risk_class=3,
        committee_name="X",
        committee_number="X",
    )
    db.session.add(foreign)
    db.session.commit()
    body = {"treated_on": "2026-10-01", "kind": "prp", "route": "iv", "site": "IV"}

    response = api.post(
        f"/api/v1/patients/{patient.id}/treatments", json={**body, "plan_id": foreign.id}
    )

    assert response.status_code == 422


# Adverse events


def test_adverse_events_list_open_ones_with_due_on_and_days_left(api, reported):
    response = api.get("/api/v1/adverse-events?status=open")

    assert response.status_code == 200
    [row] = response.get_json()["adverse_events"]
    assert row["id"] == reported.id
    assert row["status"] == "to_assess"
    assert row["category"] == "seven_day"
    assert row["due_on"] == (reported.aware_on + timedelta(days=6)).isoformat()
    assert row["days_left"] == 6


def test_adverse_events_with_an_unknown_status_answer_422(api, reported):
    assert api.get("/api/v1/adverse-events?status=lost").status_code == 422


def test_adverse_event_entered_assessed_and_reported_through_the_api(api, patient, treatment):
    created = api.post(
        "/api/v1/adverse-events",
        json={"patient_id": patient.id, "description": "Swelling at the site, by phone."},
    )
    assert created.status_code == 201, created.get_json()
    event_id = created.get_json()["id"]
    assert created.get_json()["treatment_id"] == treatment.id

    assessed = api.post(
        f"/api/v1/adverse-events/{event_id}/assessment",
        json={"seriousness": "serious_other", "causality": "related", "outcome": "recovering"},
    )
    assert assessed.status_code == 200
    assert assessed.get_json()["status"] == "to_report"
    assert assessed.get_json()["category"] == "fifteen_day"

    today = today_in(patient.clinic.timezone).isoformat()
    reported = api.post(
        f"/api/v1/adverse-events/{event_id}/reported",
        json={"reported_to_committee_on": today, "reported_to_minister_on": today},
    )
    assert reported.status_code == 200
    assert reported.get_json()["status"] == "reported"
    assert reported.get_json()["due_on"] is None
    assert api.get("/api/v1/adverse-events?status=open").get_json()["adverse_events"] == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("assessment", {"seriousness": "mild", "causality": "related"}, "seriousness"),
        ("assessment", {"seriousness": "death"}, "causality"),
        ("reported", {"reported_to_committee_on": "2026-01-01"}, "status"),
        ("reported", {"reported_to_committee_on": "yesterday"}, "reported_to_committee_on"),
    ],
)
def test_adverse_event_changes_with_bad_values_answer_422(api, reported, path, body, field):
    response = api.post(f"/api/v1/adverse-events/{reported.id}/{path}", json=body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_new_adverse_event_with_bad_values_answers_422(api, patient):
    response = api.post(
        "/api/v1/adverse-events", json={"patient_id": patient.id, "description": ""}
    )

    assert response.status_code == 422
    assert "description" in response.get_json()["errors"]


def test_new_adverse_event_of_another_clinics_patient_answers_404(other_api, patient):
    response = other_api.post(
        "/api/v1/adverse-events", json={"patient_id": patient.id, "description": "x"}
    )

    assert response.status_code == 404
    assert db.session.scalars(select(AdverseEvent)).all() == []


def test_another_clinic_sees_no_events_and_no_plans(other_api, reported, plan):
    assert other_api.get("/api/v1/adverse-events?status=all").get_json() == {"adverse_events": []}
    assert other_api.get("/api/v1/plans").get_json() == {"plans": []}


# Retention


def test_delete_under_jp_asrm_is_refused_with_the_date_records_are_kept_until(
    api, jp_clinic, patient, treatment
):
    response = api.client.delete(f"/api/v1/patients/{patient.id}", headers=api.headers)

    assert response.status_code == 409
    message = response.get_json()["message"]
    kept_until = treatment.treated_on.replace(year=treatment.treated_on.year + 10)
    assert kept_until.isoformat() in message
    assert "10 years" in message
    assert db.session.get(Patient, patient.id) is not None
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "patient.delete_refused")
    )


def test_delete_elsewhere_is_refused_too_and_points_to_archive(api, patient):
    response = api.client.delete(f"/api/v1/patients/{patient.id}", headers=api.headers)

    assert response.status_code == 409
    assert "Archive" in response.get_json()["message"]
    assert db.session.get(Patient, patient.id) is not None


def test_archive_hides_the_patient_cancels_reminders_and_keeps_everything(
    api, patient, treatment, reported
):
    response = api.post(f"/api/v1/patients/{patient.id}/archive")

    assert response.status_code == 200
    assert response.get_json()["archived_at"] is not None
    db.session.expire_all()
    pending = db.session.scalars(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            Reminder.user_id.is_(None),  # the clinicians' alert about the event still goes
            Reminder.status.in_(("scheduled", "retry")),
        )
    ).all()
    assert pending == []
    assert db.session.get(AdverseEvent, reported.id) is not None
    assert api.get(f"/api/v1/patients/{patient.id}").status_code == 200


def test_patient_keeps_the_fields_the_act_asks_for(api):
    response = api.post(
        "/api/v1/patients",
        json={
            "external_id": "MRN-77",
            "name": "Taro Yamada",
            "date_of_birth": "1961-04-02",
            "sex": "male",
            "address": "1-2-3 Shibuya, Tokyo",
            "diagnosis": "Knee osteoarthritis, KL 2",
        },
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["date_of_birth"], body["sex"], body["diagnosis"]) == (
        "1961-04-02",
        "male",
        "Knee osteoarthritis, KL 2",
    )


def test_patient_with_a_bad_sex_or_a_future_birth_answers_422(api):
    response = api.post(
        "/api/v1/patients",
        json={"external_id": "M", "name": "T", "sex": "x", "date_of_birth": "2999-01-01"},
    )

    assert response.status_code == 422
    assert {"sex", "date_of_birth"} <= set(response.get_json()["errors"])


def test_adverse_event_description_and_committee_opinion_keep_their_line_breaks(
    api, patient, treatment
):
    created = api.post(
        "/api/v1/adverse-events",
        json={"patient_id": patient.id, "description": "Swelling at the site.\nSeen on day 3."},
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["description"] == "Swelling at the site.\nSeen on day 3."
    event_id = created.get_json()["id"]
    api.post(
        f"/api/v1/adverse-events/{event_id}/assessment",
        json={"seriousness": "non_serious", "causality": "related"},
    )

    reported = api.post(
        f"/api/v1/adverse-events/{event_id}/reported",
        json={"committee_opinion": "Continue the plan.\nReview at the next meeting."},
    )

    assert reported.status_code == 200, reported.get_json()
    assert reported.get_json()["committee_opinion"] == (
        "Continue the plan.\nReview at the next meeting."
    )
