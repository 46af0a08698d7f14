"""The API's answers dump plain fields directly: the same output as marshmallow's own dump."""

import json
from datetime import UTC, date, datetime, timedelta

from flask import jsonify
from marshmallow import Schema
from sqlalchemy import select

from tests import factories
from tests.test_worklist import add_flag
from tracker.api import schemas
from tracker.extensions import db
from tracker.models import Flag
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.follow_up_schedule import follow_up_reminders
from tracker.services.treatments import record_treatment
from tracker.services.worklist import KIND_ORDER


def marshmallow_dump(schema, obj, many=False):
    return Schema.dump(schema, obj, many=many)


def test_every_answer_matches_marshmallows_dump(clinic, clinician):
    actor = Actor(clinician, "user")
    patient = factories.PatientFactory(clinic=clinic, timezone="Asia/Tokyo", email=None)
    treated_on = date.today() - timedelta(days=60)
    values = {"treated_on": treated_on, "kind": "prp", "route": "intra_articular", "site": "knee"}
    values |= {"baseline_stiffness": 8, "baseline_pain": 7, "cell_dose_million": 12.5}
    treatment = record_treatment(patient, actor, values)
    checkin, _ = record_checkin(
        patient,
        actor,
        {"pain": 3, "stiffness": 2, "adverse_event": True, "adverse_event_details": "rash"},
        "clinician",
    )
    assert checkin.active_flags, "the adverse event opened a flag to dump"
    reminders = follow_up_reminders(patient.id)
    cases = [
        (schemas.PatientOut(), patient, False),
        (schemas.PatientWithTreatments(), patient, False),
        (schemas.TreatmentOut(), treatment, False),
        (schemas.BaselineOut(), treatment, False),
        (schemas.ReminderOut(), reminders, True),
        (schemas.RemindersOut(), {"reminders": reminders}, False),
        (schemas.FlagOut(), checkin.active_flags, True),
        (schemas.FlagsOut(), {"flags": checkin.active_flags}, False),
        (schemas.CheckInOut(), checkin, False),
    ]
    for schema, obj, many in cases:
        assert schema.dump(obj, many=many) == marshmallow_dump(schema, obj, many), schema


def varied_flags(clinic, clinician) -> list:
    """Flags of every shape: with and without treatment, owner, decision, note and evidence."""
    patient = factories.PatientFactory(clinic=clinic, name="山田 花子")
    treatment = factories.TreatmentFactory(patient=patient)
    moment = datetime(2026, 3, 1, 23, 59, 58, 999_999, tzinfo=UTC)
    evidence = {"nadir": {"stiffness": 2, "recorded_on": "2026-02-01"}, "words": '腫れ\n"x"'}
    return [
        add_flag(patient, treatment=treatment, opened_at=moment),
        add_flag(patient, "adverse_event", evidence={}, note="電話 ✓", opened_at=moment),
        add_flag(
            patient,
            "relapse",
            treatment=treatment,
            status="acknowledged",
            owner_id=clinician.id,
            acknowledged_at=moment + timedelta(hours=1),
            evidence=evidence,
        ),
        add_flag(
            patient,
            "missed_milestone",
            status="resolved",
            resolved_at=moment + timedelta(days=1),
            resolution="checked_in",
            evidence={"milestone_weeks": 12, "nested": [1, 2.5, None, True]},
            opened_at=moment - timedelta(days=400),
        ),
    ]


def test_flags_answer_written_by_the_database_is_marshmallows_dump(app, api, clinic, clinician):
    varied_flags(clinic, clinician)
    queries = [{}, {"status": "all"}, {"status": "resolved"}]
    for query in [*queries, {"kind": "relapse", "status": "acknowledged"}]:
        response = api.get("/api/v1/flags", query_string=query)
        assert response.status_code == 200 and response.mimetype == "application/json"
        objects = db.session.scalars(
            select(Flag)
            .where(Flag.clinic_id == clinic.id)
            .order_by(KIND_ORDER, Flag.opened_at, Flag.id)
        ).all()
        status, kind = query.get("status", "open"), query.get("kind")
        chosen = [
            flag for flag in objects if status in ("all", flag.status) and kind in (None, flag.kind)
        ]
        assert chosen, query
        with app.test_request_context():
            expected = jsonify(marshmallow_dump(schemas.FlagsOut(), {"flags": chosen})).get_json()
        # The same JSON value; the database spaces it and orders the evidence's keys its own way.
        assert json.loads(response.get_data()) == expected, query


def test_flags_answer_cuts_timestamps_to_the_second_as_every_answer_does(api, clinic, clinician):
    varied_flags(clinic, clinician)
    flags = api.get("/api/v1/flags", query_string={"status": "all"}).get_json()["flags"]
    # Worklist order: adverse events first, then relapse, booster window, missed milestone.
    kinds = [flag["kind"] for flag in flags]
    assert kinds == ["adverse_event", "relapse", "booster_window", "missed_milestone"]
    by_kind = {flag["kind"]: flag for flag in flags}
    assert by_kind["booster_window"]["opened_at"] == "2026-03-01T23:59:58Z"
    assert by_kind["relapse"]["acknowledged_at"] == "2026-03-02T00:59:58Z"
    assert by_kind["relapse"]["evidence"]["words"] == '腫れ\n"x"'
    assert (
        by_kind["adverse_event"]["note"] == "電話 ✓" and by_kind["adverse_event"]["evidence"] == {}
    )
    assert by_kind["missed_milestone"]["evidence"]["nested"] == [1, 2.5, None, True]
    assert by_kind["missed_milestone"]["resolved_at"] == "2026-03-02T23:59:58Z"
