"""Adverse-event records: from check-ins and clinicians, assessed, reported, never deleted."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import AdverseEvent, AuditEvent, Flag, ProvisionPlan
from tracker.services.actors import Actor
from tracker.services.adverse_events import (
    assess_adverse_event,
    create_adverse_event,
    open_reports,
    record_reports,
)
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.services.validation import InvalidInput

# 23:30 UTC on 1 Dec is 08:30 on 2 Dec in Tokyo: the clinic learned of it on 2 Dec.
LATE_EVENING_UTC = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
REPORT = {
    "pain": 7,
    "stiffness": 6,
    "adverse_event": True,
    "adverse_event_details": "Knee hot and swollen since last night.",
}


@pytest.fixture
def plan(clinic):
    plan = ProvisionPlan(
        clinic_id=clinic.id,
        plan_number="PB3150001",
        title="Autologous adipose-derived MSCs for knee osteoarthritis",
        risk_class=2,
        committee_name="Tokyo Regenerative Medicine Committee",
        committee_number="NB3150010",
        submitted_on=date(2026, 1, 5),
        accepted_on=date(2026, 2, 1),
    )
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.fixture
def treated(clinic, clinician, plan):
    patient = factories.PatientFactory(
        clinic=clinic, name="Hanako Tanaka", timezone="Europe/London"
    )
    treatment = record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": date(2026, 11, 20),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "plan_id": plan.id,
        },
        now=datetime(2026, 11, 20, 3, tzinfo=UTC),
    )
    return patient, treatment


def test_checkin_reporting_an_event_makes_a_record_linked_from_its_flag(treated, plan):
    patient, treatment = treated

    checkin, opened = record_checkin(
        patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC
    )

    event = db.session.scalars(select(AdverseEvent)).one()
    assert (event.patient_id, event.treatment_id, event.plan_id) == (
        patient.id,
        treatment.id,
        plan.id,
    )
    assert event.checkin_id == checkin.id
    assert event.source == "checkin"
    assert event.aware_on == date(2026, 12, 2)  # the clinic's day, not UTC's
    assert event.status == "to_assess"
    assert event.description == REPORT["adverse_event_details"]
    flag = db.session.scalars(select(Flag).where(Flag.kind == "adverse_event")).one()
    assert flag.adverse_event_id == event.id
    assert [f.id for f in opened] == [flag.id]
    assert (
        db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "adverse_event.create")
        ).object_id
        == event.id
    )


def test_checkin_without_an_event_makes_no_record(treated):
    patient, _ = treated

    record_checkin(patient, Actor(None, "patient"), {"pain": 2, "stiffness": 2}, "email_link")

    assert db.session.scalars(select(AdverseEvent)).all() == []


def test_event_before_any_treatment_is_recorded_without_treatment_or_plan(clinic):
    patient = factories.PatientFactory(clinic=clinic)

    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)

    event = db.session.scalars(select(AdverseEvent)).one()
    assert (event.treatment_id, event.plan_id, event.status) == (None, None, "to_assess")


def test_unassessed_event_is_due_as_a_7_day_report(treated):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)

    [clock] = open_reports(patient.clinic, now=datetime(2026, 12, 6, 1, tzinfo=UTC))

    assert clock.due_on == date(2026, 12, 8)  # 2 Dec is day 1 of 7
    assert clock.days_left == 2
    assert clock.category == "seven_day"


def test_assessment_sets_status_and_due_date_and_is_audited(treated, clinician):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)
    event = db.session.scalars(select(AdverseEvent)).one()

    assess_adverse_event(
        event,
        Actor(clinician, "user"),
        {
            "seriousness": "hospitalisation",
            "causality": "possibly_related",
            "outcome": "recovering",
            "onset_on": date(2026, 12, 1),
        },
        now=datetime(2026, 12, 3, 1, tzinfo=UTC),
    )

    assert event.status == "to_report"
    assert (event.assessed_by_id, event.onset_on) == (clinician.id, date(2026, 12, 1))
    [clock] = open_reports(patient.clinic, now=datetime(2026, 12, 3, 1, tzinfo=UTC))
    assert (clock.category, clock.due_on) == ("fifteen_day", date(2026, 12, 16))  # 2 Dec + 14
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "adverse_event.assess"))
    assert audit.details["status"] == ["to_assess", "to_report"]
    assert audit.details["changed"]["seriousness"] == [None, "hospitalisation"]


def test_non_serious_event_is_due_with_its_60_day_batch(treated, clinician):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)
    event = db.session.scalars(select(AdverseEvent)).one()

    assess_adverse_event(
        event, Actor(clinician, "user"), {"seriousness": "non_serious", "causality": "related"}
    )

    # Submitted 5 Jan 2026 (day 0): 2 Dec is day 331, in period 5, days 300 (1 Nov) to
    # 359 (30 Dec), whose batch is due 10 days later.
    [clock] = open_reports(patient.clinic, now=datetime(2026, 12, 3, 1, tzinfo=UTC))
    assert (clock.category, clock.due_on) == ("periodic_batch", date(2027, 1, 9))


def test_unrelated_event_is_not_reportable_and_kept(treated, clinician):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)
    event = db.session.scalars(select(AdverseEvent)).one()

    assess_adverse_event(
        event, Actor(clinician, "user"), {"seriousness": "non_serious", "causality": "unrelated"}
    )

    assert event.status == "not_reportable"
    assert open_reports(patient.clinic) == []
    assert db.session.get(AdverseEvent, event.id) is not None


def test_reports_to_committee_and_minister_leave_the_open_list(treated, clinician):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)
    event = db.session.scalars(select(AdverseEvent)).one()
    actor = Actor(clinician, "user")
    now = datetime(2026, 12, 5, 1, tzinfo=UTC)
    assess_adverse_event(event, actor, {"seriousness": "death", "causality": "related"}, now=now)

    record_reports(event, actor, {"reported_to_committee_on": date(2026, 12, 4)}, now=now)
    assert event.status == "to_report"  # a 7-day report goes to the minister too
    assert len(open_reports(patient.clinic, now=now)) == 1

    record_reports(
        event,
        actor,
        {
            "reported_to_committee_on": date(2026, 12, 4),
            "reported_to_minister_on": date(2026, 12, 5),
            "processor_notified_on": date(2026, 12, 5),
            "committee_opinion": "Continue with closer follow-up.",
        },
        now=now,
    )

    assert event.status == "reported"
    assert open_reports(patient.clinic, now=now) == []
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "adverse_event")
    ).all()
    assert actions.count("adverse_event.reported") == 2


def test_report_before_assessment_is_refused_and_changes_nothing(treated, clinician):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)
    event = db.session.scalars(select(AdverseEvent)).one()

    with pytest.raises(InvalidInput) as refused:
        record_reports(
            event, Actor(clinician, "user"), {"reported_to_committee_on": date(2026, 12, 3)}
        )

    assert "status" in refused.value.errors
    db.session.rollback()
    assert db.session.get(AdverseEvent, event.id).reported_to_committee_on is None


def test_assessment_refuses_unknown_words_and_future_onset(treated, clinician):
    patient, _ = treated
    record_checkin(patient, Actor(None, "patient"), REPORT, "email_link", now=LATE_EVENING_UTC)
    event = db.session.scalars(select(AdverseEvent)).one()

    with pytest.raises(InvalidInput) as refused:
        assess_adverse_event(
            event,
            Actor(clinician, "user"),
            {"seriousness": "bad", "causality": None, "outcome": "cured", "onset_on": "2099-01-01"},
        )

    assert set(refused.value.errors) == {"seriousness", "causality", "outcome", "onset_on"}


def test_clinician_entry_names_the_latest_treatment_and_its_plan(treated, clinician, plan):
    patient, treatment = treated

    event = create_adverse_event(
        patient,
        Actor(clinician, "user"),
        {"description": "Fever after the injection, by phone.", "onset_on": "2026-11-22"},
        now=datetime(2026, 11, 25, 2, tzinfo=UTC),
    )

    assert (event.treatment_id, event.plan_id) == (treatment.id, plan.id)
    assert (event.source, event.aware_on, event.status) == (
        "clinician",
        date(2026, 11, 25),
        "to_assess",
    )
    assert event.created_by_id == clinician.id


def test_clinician_entry_needs_a_description_and_an_onset_no_later_than_awareness(
    treated, clinician
):
    patient, _ = treated

    with pytest.raises(InvalidInput) as refused:
        create_adverse_event(
            patient,
            Actor(clinician, "user"),
            {"description": "", "aware_on": "2026-11-22", "onset_on": "2026-11-23"},
            now=datetime(2026, 11, 25, 2, tzinfo=UTC),
        )

    assert set(refused.value.errors) == {"description", "onset_on"}
    assert db.session.scalars(select(AdverseEvent)).all() == []
