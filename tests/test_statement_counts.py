"""The hot API requests read what they need in a fixed number of statements, whatever the
patient's history: no lazy load in a loop, no work done twice."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from tests import factories
from tracker.extensions import db
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.timeutil import today_in


@contextmanager
def counted_statements():
    """Collect every statement sent to the database while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture(params=[1, 60], ids=["short-history", "long-history"])
def patient(request, clinic, clinician):
    """A patient with three treatments and a history of `param` check-ins per treatment."""
    patient = factories.PatientFactory(clinic=clinic, timezone="Asia/Tokyo")
    actor = Actor(clinician, "user")
    today = today_in("Asia/Tokyo")
    for offset in (400, 250, 120):
        treated_on = today - timedelta(days=offset)
        values = {"treated_on": treated_on, "kind": "prp", "route": "intra_articular"}
        values |= {"site": "left knee", "baseline_stiffness": 8, "baseline_pain": 7}
        record_treatment(patient, actor, values)
        for number in range(request.param):
            day = treated_on + timedelta(days=1 + number * 100 // request.param)
            checkin = {"recorded_on": min(day, today), "pain": 3, "stiffness": 2}
            record_checkin(patient, actor, checkin, "clinician")
    return patient


def test_checkin_post_takes_at_most_eight_statements(api, patient):
    assert api.get(f"/api/v1/patients/{patient.id}").status_code == 200  # the token is fresh
    with counted_statements() as statements:
        response = api.post(
            f"/api/v1/patients/{patient.id}/checkins",
            json={"pain": 4, "stiffness": 3, "recorded_on": date.today().isoformat()},
        )
    assert response.status_code == 201, response.get_json()
    assert len(statements) <= 8, "\n".join(statements)


def test_patient_get_takes_at_most_three_statements(api, patient):
    assert api.get("/api/v1/flags").status_code == 200  # the token is fresh
    with counted_statements() as statements:
        response = api.get(f"/api/v1/patients/{patient.id}")
    assert response.status_code == 200
    assert len(response.get_json()["treatments"]) == 3
    assert len(statements) <= 3, "\n".join(statements)  # token, patient, audit row


def test_token_lookup_reads_token_and_user_in_one_statement(api, patient):
    api.get("/api/v1/flags")
    with counted_statements() as statements:
        assert api.get("/api/v1/flags").status_code == 200
    assert len(statements) == 2, "\n".join(statements)  # token with its user, then the flags
