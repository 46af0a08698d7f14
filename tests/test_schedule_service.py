"""The follow-up schedule as the services keep it: create, reschedule, cancel, in one transaction."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.factories import PatientFactory, UserFactory
from tracker.extensions import db
from tracker.models import Reminder
from tracker.services.actors import Actor
from tracker.services.follow_up_schedule import opt_out
from tracker.services.patients import update_patient
from tracker.services.treatments import record_treatment, update_treatment
from tracker.services.validation import InvalidInput

RECORDED_AT = datetime(2026, 1, 10, 2, tzinfo=UTC)
TREATMENT = {
    "treated_on": date(2026, 1, 10),
    "kind": "adsc_cultured",
    "route": "intra_articular",
    "site": "left knee",
}


@pytest.fixture
def actor(clinic):
    return Actor(UserFactory(clinic=clinic), "user")


def milestones(patient) -> dict[int, Reminder]:
    rows = db.session.scalars(
        select(Reminder).where(Reminder.patient_id == patient.id, Reminder.kind == "milestone")
    )
    return {row.milestone_weeks: row for row in rows}


def test_treatment_plans_four_milestones_at_the_send_hour_in_the_patients_zone(clinic, actor):
    patient = PatientFactory(clinic=clinic, timezone="America/New_York")
    record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    planned = milestones(patient)
    assert sorted(planned) == [2, 8, 12, 52]
    # 2026-01-24 09:00 EST; 2026-03-07 09:00 EST; 2026-04-04 09:00 EDT; 2027-01-09 09:00 EST
    assert planned[2].due_at == datetime(2026, 1, 24, 14, tzinfo=UTC)
    assert planned[8].due_at == datetime(2026, 3, 7, 14, tzinfo=UTC)
    assert planned[12].due_at == datetime(2026, 4, 4, 13, tzinfo=UTC)
    assert planned[52].due_at == datetime(2027, 1, 9, 14, tzinfo=UTC)
    assert all(row.status == "scheduled" for row in planned.values())
    assert planned[2].window_opens_on == date(2026, 1, 21)
    assert planned[2].window_closes_on == date(2026, 2, 7)


def test_clinic_milestones_and_send_hour_are_used(clinic, actor):
    clinic.milestone_weeks = [4, 26]
    clinic.send_hour = 18
    db.session.commit()
    patient = PatientFactory(clinic=clinic, timezone="Asia/Tokyo")
    record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    planned = milestones(patient)
    assert sorted(planned) == [4, 26]
    assert planned[4].due_at == datetime(2026, 2, 7, 9, tzinfo=UTC)  # 18:00 JST


def test_moving_the_patient_reschedules_pending_reminders(clinic, actor):
    patient = PatientFactory(clinic=clinic, timezone="Asia/Tokyo")
    record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    sent = milestones(patient)[2]
    sent.status = "sent"
    db.session.commit()

    update_patient(patient, actor, {"timezone": "Europe/London"})

    planned = milestones(patient)
    assert planned[2].due_at == datetime(2026, 1, 24, 0, tzinfo=UTC)  # sent: left as it was
    assert planned[8].due_at == datetime(2026, 3, 7, 9, tzinfo=UTC)  # 09:00 GMT
    assert planned[12].due_at == datetime(2026, 4, 4, 8, tzinfo=UTC)  # 09:00 BST


def test_changing_the_treatment_date_reschedules(clinic, actor):
    patient = PatientFactory(clinic=clinic, timezone="Asia/Tokyo")
    treatment = record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    update_treatment(treatment, actor, {**TREATMENT, "treated_on": date(2026, 1, 3)})
    assert milestones(patient)[2].due_on == date(2026, 1, 17)


def test_booster_starts_a_new_series_and_cancels_the_old_one(clinic, actor):
    patient = PatientFactory(clinic=clinic, frozen_doses=2)
    first = record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    booster = record_treatment(
        patient,
        actor,
        {
            **TREATMENT,
            "treated_on": date(2026, 5, 1),
            "booster_of": first.id,
            "used_frozen_dose": True,
        },
        now=datetime(2026, 5, 1, 2, tzinfo=UTC),
    )
    rows = db.session.scalars(select(Reminder).where(Reminder.patient_id == patient.id)).all()
    old = {r.milestone_weeks: r.status for r in rows if r.treatment_id == first.id}
    new = {r.milestone_weeks: r.status for r in rows if r.treatment_id == booster.id}
    # Nothing of the first series was sent in this test, so all of it was still pending.
    assert old == {2: "cancelled", 8: "cancelled", 12: "cancelled", 52: "cancelled"}
    assert new == {2: "scheduled", 8: "scheduled", 12: "scheduled", 52: "scheduled"}
    assert patient.frozen_doses == 1


def test_opt_out_cancels_everything_pending(clinic, actor):
    patient = PatientFactory(clinic=clinic)
    record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    opt_out(patient, RECORDED_AT)
    db.session.commit()
    assert {row.status for row in milestones(patient).values()} == {"cancelled"}
    assert patient.opted_out_at == RECORDED_AT


def test_opted_out_patients_new_treatment_sends_nothing(clinic, actor):
    patient = PatientFactory(clinic=clinic, opted_out_at=RECORDED_AT)
    record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    assert {row.status for row in milestones(patient).values()} == {"cancelled"}


def test_failed_validation_writes_no_treatment_and_no_reminder(clinic, actor):
    patient = PatientFactory(clinic=clinic)
    with pytest.raises(InvalidInput) as caught:
        record_treatment(patient, actor, {**TREATMENT, "kl_grade": 7}, now=RECORDED_AT)
    assert "kl_grade" in caught.value.errors
    db.session.rollback()
    assert db.session.scalars(select(Reminder)).all() == []


def test_a_reading_on_or_after_the_asked_day_completes_the_confirmation(clinic, actor):
    from tracker.services.checkins import record_checkin

    patient = PatientFactory(clinic=clinic)
    treatment = record_treatment(patient, actor, TREATMENT, now=RECORDED_AT)
    readings = [(date(2026, 2, 1), 3), (date(2026, 3, 1), 2), (date(2026, 3, 20), 5)]
    for recorded_on, stiffness in readings:
        record_checkin(
            patient,
            actor,
            {"recorded_on": recorded_on, "pain": 2, "stiffness": stiffness},
            source="clinician",
            now=datetime.combine(recorded_on, datetime.min.time(), tzinfo=UTC),
        )
    confirmation = db.session.scalars(
        select(Reminder).where(
            Reminder.treatment_id == treatment.id, Reminder.kind == "confirmation"
        )
    ).one()
    assert (confirmation.status, confirmation.due_on) == ("scheduled", date(2026, 3, 27))

    record_checkin(
        patient,
        actor,
        {"recorded_on": date(2026, 3, 26), "pain": 2, "stiffness": 5},
        source="clinician",
        now=datetime(2026, 3, 26, tzinfo=UTC),
    )
    db.session.refresh(confirmation)
    assert confirmation.status == "scheduled"  # a day early does not answer it
    record_checkin(
        patient,
        actor,
        {"recorded_on": date(2026, 3, 27), "pain": 2, "stiffness": 5},
        source="clinician",
        now=datetime(2026, 3, 27, tzinfo=UTC),
    )
    db.session.refresh(confirmation)
    assert confirmation.status == "completed"
