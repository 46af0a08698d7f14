"""Flags via record_checkin and record_treatment on a real database (docs/schedule-and-flags.md)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import AuditEvent, CheckIn, Flag, Reminder
from tracker.services import follow_up_schedule
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.flagging import evaluate_patient_treatment, resolve_flag
from tracker.services.treatments import record_treatment
from tracker.services.validation import InvalidInput

TREATED_ON = date(2026, 1, 10)
# Nadir 2 on day 14, then stiffness 5 from day 40 to day 47: a rise held for a week.
SUSTAINED_RISE = [(14, 2), (30, 3), (40, 5), (47, 5)]


def on(day: int) -> date:
    return TREATED_ON + timedelta(days=day)


def at(day: int) -> datetime:
    """Noon in Tokyo on the given day after treatment: when the clinic records things."""
    return datetime.combine(on(day), time(3), UTC)


@pytest.fixture
def actor(clinician) -> Actor:
    return Actor(clinician, "user")


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(clinic=clinic, frozen_doses=2)


def treat(patient, actor, day: int = 0, **values):
    """Record a treatment through the service, as the clinician does on the day."""
    base = {
        "treated_on": on(day),
        "kind": "adsc_cultured",
        "route": "intra_articular",
        "site": "left knee",
        "baseline_stiffness": 8,
        "baseline_pain": 6,
    }
    return record_treatment(patient, actor, {**base, **values}, now=at(day))


def check_in(patient, actor, day: int, stiffness: int, pain: int = 3, **values):
    values = {"recorded_on": on(day), "stiffness": stiffness, "pain": pain, **values}
    return record_checkin(patient, actor, values, "clinician", now=at(day))


def flags_of(patient) -> list[Flag]:
    return list(
        db.session.scalars(select(Flag).where(Flag.patient_id == patient.id).order_by(Flag.id))
    )


def reminders_of(patient, kind: str) -> list[Reminder]:
    return list(
        db.session.scalars(
            select(Reminder).where(Reminder.patient_id == patient.id, Reminder.kind == kind)
        )
    )


def record_series(patient, actor, series):
    for day, stiffness in series:
        check_in(patient, actor, day, stiffness)


def test_rise_over_one_week_opens_booster_window_with_evidence(patient, actor):
    treat(patient, actor)
    record_series(patient, actor, SUSTAINED_RISE[:3])
    assert flags_of(patient) == []

    _, opened = check_in(patient, actor, 47, 5)

    [flag] = flags_of(patient)
    assert opened == [flag]
    assert (flag.kind, flag.status, flag.opened_at) == ("booster_window", "open", at(47))
    assert flag.evidence == {
        "baseline": {"pain": 6, "stiffness": 8, "source": "treatment"},
        "nadir": {"stiffness": 2, "recorded_on": "2026-01-24"},
        "run_started_on": "2026-02-19",
        "first": {"stiffness": 5, "pain": 3, "recorded_on": "2026-02-19"},
        "latest": {"stiffness": 5, "pain": 3, "recorded_on": "2026-02-26"},
        "rise": 3,
        "days_since_treatment": 47,
    }
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.open"))
    assert (audit.object_id, audit.actor_kind) == (flag.id, "system")


def test_crossing_the_baseline_escalates_the_same_flag_to_relapse(patient, actor):
    treat(patient, actor)
    record_series(patient, actor, SUSTAINED_RISE)
    [booster_window] = flags_of(patient)

    _, opened = check_in(patient, actor, 54, 8)

    [flag] = flags_of(patient)
    assert opened == []
    assert flag.id == booster_window.id
    assert (flag.kind, flag.status, flag.escalated_at) == ("relapse", "open", at(54))
    assert flag.evidence["latest"] == {"stiffness": 8, "pain": 3, "recorded_on": "2026-03-05"}


def test_re_recording_the_same_data_never_opens_a_second_flag(patient, actor, clinician):
    treatment = treat(patient, actor)
    record_series(patient, actor, SUSTAINED_RISE)
    [flag] = flags_of(patient)
    evidence = dict(flag.evidence)

    check_in(patient, actor, 47, 5)  # the same phone call entered twice
    evaluate_patient_treatment(
        treatment, at(48), confirmation_pending=follow_up_schedule.confirmation_pending(treatment)
    )
    db.session.commit()
    assert [(f.id, f.evidence) for f in flags_of(patient)] == [(flag.id, evidence)]

    resolve_flag(flag, actor, "monitor", "Seen in clinic.", at(48))
    check_in(patient, actor, 47, 5)
    [resolved] = flags_of(patient)
    assert (resolved.status, resolved.resolution, resolved.evidence) == (
        "resolved",
        "monitor",
        evidence,
    )


def test_a_single_high_day_schedules_one_confirmation_and_no_flag(patient, actor):
    treat(patient, actor)
    check_in(patient, actor, 14, 2)
    check_in(patient, actor, 30, 5)

    [confirmation] = reminders_of(patient, "confirmation")
    assert flags_of(patient) == []
    assert (confirmation.status, confirmation.due_on) == ("scheduled", on(37))

    check_in(patient, actor, 32, 5)  # still inside the week: the pending request stands
    assert len(reminders_of(patient, "confirmation")) == 1
    assert flags_of(patient) == []


def test_adverse_event_on_day_2_opens_a_flag_and_alerts_each_active_clinician(
    patient, actor, clinician, admin, other_clinician
):
    factories.UserFactory(clinic=patient.clinic, active=False)
    treat(patient, actor)

    _, opened = check_in(
        patient, actor, 2, 3, pain=7, adverse_event=True, adverse_event_details="Hot, swollen knee"
    )

    [flag] = flags_of(patient)
    assert opened == [flag]
    assert flag.kind == "adverse_event" and flag.status == "open"
    assert flag.evidence["days_since_treatment"] == 2
    assert flag.evidence["details"] == "Hot, swollen knee"
    alerts = reminders_of(patient, "adverse_event_alert")
    assert sorted(alert.user_id for alert in alerts) == sorted([clinician.id, admin.id])
    assert all(alert.payload == {"flag_id": flag.id} for alert in alerts)
    assert all(alert.status == "scheduled" and alert.due_at == at(2) for alert in alerts)


def test_recording_a_booster_resolves_the_open_booster_window_flag(patient, actor, clinician):
    treatment = treat(patient, actor)
    record_series(patient, actor, SUSTAINED_RISE)
    [flag] = flags_of(patient)

    treat(patient, actor, day=60, booster_of=treatment.id, used_frozen_dose=True)

    [flag] = flags_of(patient)
    assert (flag.status, flag.resolution) == ("resolved", "booster_given")
    assert (flag.resolved_at, flag.resolved_by_id) == (at(60), clinician.id)
    assert patient.frozen_doses == 1


def test_non_responder_opens_at_84_days_without_improvement(patient, actor):
    treat(patient, actor, baseline_stiffness=6, baseline_pain=6)
    for day, stiffness, pain in ((14, 6, 6), (50, 5, 6), (83, 6, 5)):
        check_in(patient, actor, day, stiffness, pain)
    assert flags_of(patient) == []

    _, opened = check_in(patient, actor, 84, 6, 6)

    [flag] = opened
    assert flag.kind == "non_responder"
    assert flag.evidence["days_since_treatment"] == 84
    assert (flag.evidence["best_stiffness"], flag.evidence["best_pain"]) == (5, 5)


def test_improvement_before_84_days_means_no_non_responder(patient, actor):
    treat(patient, actor, baseline_stiffness=6, baseline_pain=6)
    for day, stiffness in ((14, 6), (50, 4), (84, 5), (90, 5)):
        check_in(patient, actor, day, stiffness, pain=6)
    assert flags_of(patient) == []


@pytest.mark.parametrize("order", [[4, 3, 2, 1, 0], [3, 0, 4, 1, 2], [1, 0, 3, 2, 4]])
def test_out_of_order_checkins_give_the_same_flags_as_in_order(clinic, actor, order):
    series = [*SUSTAINED_RISE, (54, 8)]
    in_order = factories.PatientFactory(clinic=clinic)
    shuffled = factories.PatientFactory(clinic=clinic)
    treat(in_order, actor)
    treat(shuffled, actor)

    record_series(in_order, actor, series)
    record_series(shuffled, actor, [series[index] for index in order])

    def outcome(patient):
        return [(f.kind, f.status, f.evidence) for f in flags_of(patient)]

    assert outcome(shuffled) == outcome(in_order)
    assert [kind for kind, _, _ in outcome(in_order)] == ["relapse"]


def test_a_checkin_completes_the_milestone_whose_window_contains_it(patient, actor):
    treat(patient, actor)
    check_in(patient, actor, 3, 4)  # before the 2-week window opens on day 11
    assert {r.status for r in reminders_of(patient, "milestone")} == {"scheduled"}

    check_in(patient, actor, 15, 2)

    status = {
        r.milestone_weeks: (r.status, r.completed_at) for r in reminders_of(patient, "milestone")
    }
    assert status == {
        2: ("completed", at(15)),
        8: ("scheduled", None),
        12: ("scheduled", None),
        52: ("scheduled", None),
    }


def test_an_invalid_checkin_writes_nothing(patient, actor):
    treat(patient, actor)
    future = date.today() + timedelta(days=3)
    with pytest.raises(InvalidInput) as raised:
        record_checkin(
            patient, actor, {"recorded_on": future, "pain": 11, "stiffness": 2}, "clinician"
        )
    assert set(raised.value.errors) == {"recorded_on", "pain"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_back_entered_rise_in_a_series_closed_by_a_later_treatment_opens_no_flag(patient, actor):
    first = treat(patient, actor, day=0)
    treat(patient, actor, day=60, baseline_stiffness=None, baseline_pain=None)
    for day, stiffness in SUSTAINED_RISE:  # all before day 60: the first treatment's series
        checkin, _ = record_checkin(
            patient,
            actor,
            {"recorded_on": on(day), "stiffness": stiffness, "pain": 3},
            "clinician",
            now=at(61),
        )
        assert checkin.treatment_id == first.id
    assert flags_of(patient) == []
    assert reminders_of(patient, "confirmation") == []
