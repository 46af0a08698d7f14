"""The API's answers dump plain fields directly: the same output as marshmallow's own dump."""

from datetime import date, timedelta

from marshmallow import Schema

from tests import factories
from tracker.api import schemas
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.reminders import follow_up_reminders
from tracker.services.treatments import record_treatment


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
