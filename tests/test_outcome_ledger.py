"""The outcome ledger assesses again only the patients whose records changed, and its
answers always equal an assessment of every record from scratch."""

from datetime import timedelta

import time_machine
from sqlalchemy import func, insert, select, update

from tests import factories
from tests.outcome_cases import LASTING, RELAPSING, UNCHANGED, four_knees, treat
from tracker.extensions import db
from tracker.followup.outcome_summary import summarise
from tracker.models import CheckIn, Flag, OutcomeEvent, Patient, Reminder, Treatment
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.outcome_events import record_outcome_event
from tracker.services.outcome_ledger import (
    FULL_CHECK_EVERY,
    _ledger,
    assessed_treatments,
    tallied_figures,
)
from tracker.services.outcome_records import assess, clinic_histories
from tracker.services.outcomes import OutcomeQuery, question
from tracker.timeutil import now_utc, today_in


def ledger_rows(clinic) -> dict:
    return {t.row.outcome.treatment_id: t.row for t in assessed_treatments(clinic)}


def fresh_rows(clinic) -> dict:
    return {row.outcome.treatment_id: row for row in assess(clinic, clinic_histories(clinic))}


def reassessed(clinic) -> int:
    return _ledger(clinic).reassessed


QUESTIONS = [OutcomeQuery(), OutcomeQuery(group_by="kl_grade"), OutcomeQuery(kl_grade=4)]


def refresh_and_check(clinic) -> int:
    """Refresh the ledger; check its rows, and the figures of the counts it keeps, against
    an assessment from scratch; return how many patients the refresh assessed again."""
    rows = ledger_rows(clinic)
    count = reassessed(clinic)
    figures, _ = tallied_figures(clinic, [question(query) for query in QUESTIONS])
    kept = dict(zip(QUESTIONS, figures, strict=True))
    fresh = fresh_rows(clinic)
    assert rows == fresh
    for query, figures in kept.items():
        covered = [
            row.outcome
            for row in fresh.values()
            if query.covers(
                row.outcome.kind, row.outcome.route, row.outcome.kl_grade, row.outcome.treated_on
            )
        ]
        assert figures == summarise(covered, query.group_by)
    return count


def test_a_new_checkin_reassesses_that_patient_only(clinic, clinician):
    knees = four_knees(clinic, clinician)
    assert refresh_and_check(clinic) == 4
    ledger_rows(clinic)
    assert reassessed(clinic) == 0

    lasting = knees["lasting"]
    record_checkin(
        lasting.patient,
        Actor(None, "patient"),
        {"recorded_on": lasting.treated_on + timedelta(days=190), "stiffness": 6, "pain": 5},
        source="portal",
    )

    assert refresh_and_check(clinic) == 1
    # One worse answer is no run yet: the follow-up now ends at day 190.
    assert ledger_rows(clinic)[lasting.id].outcome.durability.day == 190


def test_a_checkin_committed_after_a_newer_one_is_still_seen(clinic, clinician):
    """Ids are not commit order on PostgreSQL: a row with a lower id can arrive later."""
    untreated = factories.PatientFactory(clinic=clinic)
    held_id = add_checkin(untreated.id, None, today_in(untreated.timezone), 5, 5)
    first = treat(clinic, clinician, 200, checkins=LASTING[:2])
    second = treat(clinic, clinician, 200, checkins=LASTING)
    db.session.delete(db.session.get(CheckIn, held_id))
    db.session.commit()
    ledger_rows(clinic)

    # The first patient's check-in "commits" now with an id given out before any other:
    # neither the newest id of all nor the patient's own newest id changes.
    newest = db.session.scalar(select(func.max(CheckIn.id)))
    patients_newest = newest_checkin_of(first.patient_id)
    add_checkin(first.patient_id, first.id, first.treated_on + timedelta(days=84), 2, 2, held_id)
    assert db.session.scalar(select(func.max(CheckIn.id))) == newest
    assert newest_checkin_of(first.patient_id) == patients_newest

    assert refresh_and_check(clinic) == 1
    assert second.id in ledger_rows(clinic)


def newest_checkin_of(patient_id) -> int:
    return db.session.scalar(select(func.max(CheckIn.id)).where(CheckIn.patient_id == patient_id))


def add_checkin(patient_id, treatment_id, recorded_on, stiffness, pain, checkin_id=None) -> int:
    row = {
        "clinic_id": db.session.get(Patient, patient_id).clinic_id,
        "patient_id": patient_id,
        "treatment_id": treatment_id,
        "recorded_on": recorded_on,
        "stiffness": stiffness,
        "pain": pain,
        "source": "portal",
        "submitted_at": now_utc(),
    }
    if checkin_id is not None:
        row["id"] = checkin_id
    checkin = CheckIn(**row)
    db.session.add(checkin)
    db.session.commit()
    return checkin.id


def test_every_kind_of_change_is_seen(clinic, clinician):
    knees = four_knees(clinic, clinician)
    spare = treat(clinic, clinician, 300, checkins=UNCHANGED)
    refresh_and_check(clinic)

    # A stiffness flag's run moves (a clinician's correction), or its status changes.
    flag = db.session.scalar(select(Flag).where(Flag.treatment_id == knees["relapsed"].id))
    assert flag is not None
    flag.evidence = {
        **flag.evidence,
        "run_started_on": str(knees["relapsed"].treated_on + timedelta(days=158)),
    }
    db.session.commit()
    assert refresh_and_check(clinic) == 1

    # A treatment's details change (KL grade regrouped, a baseline corrected).
    lasting = db.session.get(Treatment, knees["lasting"].id)
    lasting.kl_grade, lasting.baseline_stiffness = 4, 9
    db.session.commit()
    assert refresh_and_check(clinic) == 1

    # An outcome event is recorded.
    record_outcome_event(
        knees["unchanged"],
        Actor(clinician, "user"),
        {"kind": "osteotomy", "occurred_on": knees["unchanged"].treated_on + timedelta(days=90)},
    )
    assert refresh_and_check(clinic) == 1

    # A patient moves to a zone where today is already tomorrow.
    patient = db.session.get(Patient, spare.patient_id)
    patient.timezone = "Pacific/Kiritimati"
    db.session.commit()
    assert refresh_and_check(clinic) == 1

    # Records are deleted: an outcome event, a check-in, a whole patient's treatments.
    for event in db.session.scalars(
        select(OutcomeEvent).where(OutcomeEvent.treatment_id == knees["replaced"].id)
    ):
        db.session.delete(event)
    db.session.commit()
    assert refresh_and_check(clinic) == 1
    quoted = select(Flag.checkin_id).where(Flag.checkin_id.is_not(None))
    newest = db.session.scalar(
        select(CheckIn)
        .where(CheckIn.patient_id == knees["lasting"].patient_id, CheckIn.id.not_in(quoted))
        .order_by(CheckIn.id.desc())
        .limit(1)
    )
    db.session.delete(newest)
    db.session.commit()
    assert refresh_and_check(clinic) == 1
    for model in (Flag, CheckIn, Reminder, Treatment):
        for record in db.session.scalars(select(model).where(model.patient_id == spare.patient_id)):
            db.session.delete(record)
        db.session.flush()
    db.session.commit()
    assert refresh_and_check(clinic) == 1
    assert spare.id not in ledger_rows(clinic)


def test_a_write_around_the_orm_is_caught_by_the_full_check(clinic, clinician):
    """A bulk UPDATE raises no outcome version: the check of every record finds it."""
    knee = treat(clinic, clinician, 200, checkins=LASTING)
    refresh_and_check(clinic)
    db.session.execute(
        update(Treatment)
        .where(Treatment.id == knee.id)
        .values(kl_grade=4, updated_at=now_utc() + timedelta(seconds=1))
    )
    db.session.commit()
    ledger_rows(clinic)
    assert reassessed(clinic) == 0  # not seen yet
    assert ledger_rows(clinic)[knee.id].outcome.kl_grade == 2

    with time_machine.travel(now_utc() + FULL_CHECK_EVERY):
        assert refresh_and_check(clinic) == 1
        assert ledger_rows(clinic)[knee.id].outcome.kl_grade == 4


def test_a_new_day_moves_every_censoring_day(clinic, clinician):
    lasting = treat(clinic, clinician, 200, checkins=LASTING)
    relapsing = treat(clinic, clinician, 200, checkins=RELAPSING)
    ledger_rows(clinic)
    with time_machine.travel(now_utc() + timedelta(days=1)):
        assert refresh_and_check(clinic) == 2
    assert {lasting.id, relapsing.id} <= set(ledger_rows(clinic))


def test_clinics_keep_separate_ledgers(clinic, clinician):
    treat(clinic, clinician, 200, checkins=LASTING)
    other = factories.ClinicFactory()
    other_clinician = factories.UserFactory(clinic=other)
    theirs = treat(other, other_clinician, 200, checkins=RELAPSING)
    assert set(ledger_rows(other)) == {theirs.id}
    assert theirs.id not in ledger_rows(clinic)


def test_a_version_committed_below_a_higher_one_is_still_seen(clinic, clinician):
    """PostgreSQL hands out versions from a sequence: a transaction that took a lower number
    can commit after one that took a higher; the sums of the versions then differ."""
    first = treat(clinic, clinician, 200, checkins=LASTING[:2])
    second = treat(clinic, clinician, 200, checkins=LASTING[:2])
    for day, stiffness, pain in LASTING[2:]:  # the second patient's version moves on twice
        on = second.treated_on + timedelta(days=day)
        add_checkin(second.patient_id, second.id, on, stiffness, pain)
    refresh_and_check(clinic)
    first_version = version_of(first.patient_id)
    assert version_of(second.patient_id) >= first_version + 2

    # The first patient's check-in commits now, with the version it took before the second
    # patient's last one: below the highest the ledger has seen.
    db.session.execute(
        insert(CheckIn).values(
            clinic_id=clinic.id,
            patient_id=first.patient_id,
            treatment_id=first.id,
            recorded_on=first.treated_on + timedelta(days=84),
            stiffness=2,
            pain=2,
            source="portal",
            submitted_at=now_utc(),
        )
    )
    db.session.execute(
        update(Patient)
        .where(Patient.id == first.patient_id)
        .values(outcome_version=first_version + 1)
    )
    db.session.commit()

    assert refresh_and_check(clinic) == 1
    assert ledger_rows(clinic)[first.id].outcome.durability.day == 84


def version_of(patient_id) -> int:
    return db.session.scalar(select(Patient.outcome_version).where(Patient.id == patient_id))
