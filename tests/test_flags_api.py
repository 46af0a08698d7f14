"""The API rows of the booster maintenance window: check-ins with flags, and decisions on flags."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_worklist import add_flag
from tracker.extensions import db
from tracker.models import AuditEvent, CheckIn, Flag
from tracker.services.actors import Actor
from tracker.services.treatments import record_treatment
from tracker.timeutil import today_in

TREATED_ON = date(2026, 1, 10)


def on(day: int) -> str:
    return (TREATED_ON + timedelta(days=day)).isoformat()


@pytest.fixture
def patient(clinic, clinician):
    patient = factories.PatientFactory(clinic=clinic)
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": TREATED_ON,
            "kind": "ucmsc",
            "route": "intra_articular",
            "site": "right knee",
            "baseline_stiffness": 8,
            "baseline_pain": 6,
        },
        now=datetime(2026, 1, 10, 3, tzinfo=UTC),
    )
    return patient


def post_checkin(api, patient_id: int, **body):
    return api.post(f"/api/v1/patients/{patient_id}/checkins", json=body)


def checkin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


# --- POST /patients/{id}/checkins ---------------------------------------------------------------


def test_checkin_answers_201_with_the_patients_open_flags(api, patient):
    for day, stiffness in ((14, 2), (30, 3), (40, 5)):
        response = post_checkin(api, patient.id, recorded_on=on(day), pain=3, stiffness=stiffness)
        assert response.status_code == 201 and response.get_json()["flags"] == []

    response = post_checkin(
        api, patient.id, recorded_on=on(47), pain=3, stiffness=5, morning_stiffness_minutes=40
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["recorded_on"] == on(47) and body["source"] == "api"
    assert body["morning_stiffness_minutes"] == 40 and body["submitted_at"].endswith("Z")
    [flag] = body["flags"]
    assert (flag["kind"], flag["status"], flag["patient_id"]) == (
        "booster_window",
        "open",
        patient.id,
    )
    assert flag["evidence"]["nadir"] == {"stiffness": 2, "recorded_on": on(14)}
    assert flag["opened_at"].endswith("Z")


def test_checkins_in_the_past_are_evaluated_in_date_order(api, patient):
    answers = [
        post_checkin(api, patient.id, recorded_on=on(day), pain=3, stiffness=stiffness)
        for day, stiffness in ((47, 5), (14, 2), (40, 5), (30, 3))
    ]

    assert [answer.status_code for answer in answers] == [201] * 4
    assert [len(answer.get_json()["flags"]) for answer in answers] == [0, 0, 1, 1]
    evidence = answers[-1].get_json()["flags"][0]["evidence"]
    assert evidence["nadir"] == {"stiffness": 2, "recorded_on": on(14)}
    assert evidence["run_started_on"] == on(40)
    assert evidence["latest"]["recorded_on"] == on(47)


def test_checkin_adverse_event_flag_comes_first(api, patient):
    for day, stiffness in ((14, 2), (40, 5), (47, 5)):
        post_checkin(api, patient.id, recorded_on=on(day), pain=3, stiffness=stiffness)
    response = post_checkin(
        api,
        patient.id,
        recorded_on=on(50),
        pain=5,
        stiffness=5,
        adverse_event=True,
        adverse_event_details="Rash at the injection site",
    )
    assert [flag["kind"] for flag in response.get_json()["flags"]] == [
        "adverse_event",
        "booster_window",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pain": 11, "stiffness": 2}, "pain"),
        ({"pain": 3, "stiffness": -1}, "stiffness"),
        ({"pain": "3", "stiffness": 2}, "pain"),
        ({"pain": 3, "stiffness": 2, "mood": "fine"}, "mood"),
        (
            {"pain": 3, "stiffness": 2, "morning_stiffness_minutes": 1441},
            "morning_stiffness_minutes",
        ),
        ({"pain": 3, "stiffness": 2, "recorded_on": "26 Feb"}, "recorded_on"),
        ({"pain": 3, "stiffness": 2, "adverse_event": True}, "adverse_event_details"),
        ({"stiffness": 2}, "pain"),
    ],
)
def test_checkin_with_invalid_values_answers_422_and_writes_nothing(api, patient, body, field):
    response = post_checkin(api, patient.id, **body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert checkin_count() == 0


def test_checkin_in_the_future_answers_422(api, patient):
    tomorrow = today_in(patient.timezone) + timedelta(days=1)
    response = post_checkin(api, patient.id, recorded_on=tomorrow.isoformat(), pain=3, stiffness=2)
    assert response.status_code == 422
    assert "future" in response.get_json()["errors"]["recorded_on"]
    assert checkin_count() == 0


def test_checkin_body_that_is_not_json_answers_400(api, patient):
    response = api.post(
        f"/api/v1/patients/{patient.id}/checkins", data="pain=3", content_type="text/plain"
    )
    assert response.status_code == 400
    assert checkin_count() == 0


def test_checkin_for_another_clinics_patient_answers_404(api, other_clinic):
    stranger = factories.PatientFactory(clinic=other_clinic)
    assert post_checkin(api, stranger.id, pain=3, stiffness=2).status_code == 404
    assert post_checkin(api, 99999, pain=3, stiffness=2).status_code == 404
    assert checkin_count() == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer fut_not-a-token"}])
def test_checkin_without_a_valid_token_answers_401(client, patient, headers):
    response = client.post(
        f"/api/v1/patients/{patient.id}/checkins",
        json={"pain": 3, "stiffness": 2},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert checkin_count() == 0


# --- GET /flags --------------------------------------------------------------------------------


@pytest.fixture
def flags(clinic, other_clinic):
    """Flags of every kind and status, and one of another clinic."""
    patient = factories.PatientFactory(clinic=clinic)
    opened = datetime(2026, 3, 1, tzinfo=UTC)

    def add(kind, days, status="open"):
        return add_flag(patient, kind, status=status, opened_at=opened + timedelta(days=days))

    made = {
        "missed": add("missed_milestone", 0),
        "window_newer": add("booster_window", 5),
        "non_responder": add("non_responder", 1),
        "window_older": add("booster_window", 2),
        "adverse": add("adverse_event", 9),
        "relapse": add("relapse", 3, status="acknowledged"),
        "resolved": add("adverse_event", 0, status="resolved"),
    }
    add_flag(factories.PatientFactory(clinic=other_clinic), "adverse_event")
    return made


def flag_ids(response) -> list[int]:
    assert response.status_code == 200
    return [flag["id"] for flag in response.get_json()["flags"]]


def test_open_flags_come_in_worklist_order(api, flags):
    expected = ["adverse", "window_older", "window_newer", "non_responder", "missed"]
    assert flag_ids(api.get("/api/v1/flags?status=open")) == [flags[name].id for name in expected]
    assert flag_ids(api.get("/api/v1/flags")) == [flags[name].id for name in expected]


def test_flags_by_kind_and_status(api, flags):
    window = [flags["window_older"].id, flags["window_newer"].id]
    assert flag_ids(api.get("/api/v1/flags?status=open&kind=booster_window")) == window
    assert flag_ids(api.get("/api/v1/flags?status=acknowledged")) == [flags["relapse"].id]
    assert flag_ids(api.get("/api/v1/flags?status=resolved")) == [flags["resolved"].id]
    everything = flag_ids(api.get("/api/v1/flags?status=all"))
    assert sorted(everything) == sorted(flag.id for flag in flags.values())
    assert everything[:2] == [flags["resolved"].id, flags["adverse"].id]


def test_flags_with_unknown_kind_or_status_answer_422(api, flags):
    assert api.get("/api/v1/flags?kind=sadness").status_code == 422
    assert api.get("/api/v1/flags?status=closed").status_code == 422


def test_an_empty_kind_means_every_kind(api, flags):
    assert len(flag_ids(api.get("/api/v1/flags?status=open&kind="))) == 5


def test_flags_need_a_token(client, flags):
    assert client.get("/api/v1/flags").status_code == 401


# --- POST /flags/{id}/acknowledge and /resolve ------------------------------------------------


def test_acknowledge_takes_ownership(api, flags, clinician):
    flag = flags["adverse"]
    response = api.post(f"/api/v1/flags/{flag.id}/acknowledge")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["owner_id"]) == ("acknowledged", clinician.id)
    assert body["acknowledged_at"].endswith("Z")
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.acknowledge"))
    assert (audit.object_id, audit.actor_user_id, audit.actor_kind) == (
        flag.id,
        clinician.id,
        "api",
    )


def test_acknowledge_a_resolved_flag_answers_409(api, flags):
    assert api.post(f"/api/v1/flags/{flags['resolved'].id}/acknowledge").status_code == 409


def test_resolve_records_the_decision(api, flags, clinician):
    flag = flags["window_older"]
    response = api.post(
        f"/api/v1/flags/{flag.id}/resolve",
        json={"resolution": "booster_scheduled", "note": "Booster on 3 March."},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["resolution"], body["note"]) == (
        "resolved",
        "booster_scheduled",
        "Booster on 3 March.",
    )
    assert body["owner_id"] == clinician.id and body["resolved_at"].endswith("Z")
    assert flag.id not in flag_ids(api.get("/api/v1/flags?status=open"))
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.resolve"))
    assert audit.details == {"resolution": "booster_scheduled", "patient_id": flag.patient_id}


@pytest.mark.parametrize(
    "body", [{"resolution": "forgotten"}, {}, {"resolution": "monitor", "x": 1}]
)
def test_resolve_with_invalid_values_answers_422(api, flags, body):
    flag = flags["window_older"]
    assert api.post(f"/api/v1/flags/{flag.id}/resolve", json=body).status_code == 422
    db.session.refresh(flag)
    assert flag.status == "open"


def test_resolve_as_checked_in_is_for_the_system_only(api, flags):
    flag = flags["window_older"]
    response = api.post(f"/api/v1/flags/{flag.id}/resolve", json={"resolution": "checked_in"})
    assert response.status_code == 422


def test_resolve_a_resolved_flag_answers_409(api, flags):
    flag = flags["resolved"]
    response = api.post(f"/api/v1/flags/{flag.id}/resolve", json={"resolution": "monitor"})
    assert response.status_code == 409
    db.session.refresh(flag)
    assert flag.resolution is None


def test_another_clinics_flag_answers_404(api, other_clinic):
    stranger = add_flag(factories.PatientFactory(clinic=other_clinic), "relapse")
    assert api.post(f"/api/v1/flags/{stranger.id}/acknowledge").status_code == 404
    response = api.post(f"/api/v1/flags/{stranger.id}/resolve", json={"resolution": "dismissed"})
    assert response.status_code == 404
    assert db.session.get(Flag, stranger.id).status == "open"
