"""Closing windows (missed milestones), the send-due command and the scheduler's jobs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import PatientFactory, UserFactory
from tracker.extensions import db
from tracker.models import Flag, Reminder, SchedulerHeartbeat
from tracker.reminders.scheduler import build_scheduler
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.services.windows import close_windows

TREATED_ON = date(2026, 2, 1)
RECORDED_AT = datetime(2026, 2, 1, 3, tzinfo=UTC)
# The 2-week window runs 2026-02-12 .. 2026-03-01 (Tokyo), closing at 2026-03-02 00:00 JST.
WINDOW_CLOSES_AT = datetime(2026, 3, 1, 15, tzinfo=UTC)


@pytest.fixture
def clinician_actor(clinic):
    return Actor(UserFactory(clinic=clinic), "user")


def treat(patient, actor, now=RECORDED_AT, treated_on=TREATED_ON):
    return record_treatment(
        patient,
        actor,
        {"treated_on": treated_on, "kind": "prp", "route": "intra_articular", "site": "right knee"},
        now=now,
    )


def two_week(patient) -> Reminder:
    return db.session.scalar(
        select(Reminder).where(Reminder.patient_id == patient.id, Reminder.milestone_weeks == 2)
    )


def test_window_closing_without_checkin_marks_missed_and_opens_flag(clinic, clinician_actor):
    patient = PatientFactory(clinic=clinic)
    treatment = treat(patient, clinician_actor)

    assert close_windows(WINDOW_CLOSES_AT - timedelta(seconds=1)) == 0
    assert close_windows(WINDOW_CLOSES_AT) == 1

    assert two_week(patient).status == "missed"
    flag = db.session.scalars(select(Flag)).one()
    assert (flag.kind, flag.status, flag.treatment_id) == ("missed_milestone", "open", treatment.id)
    assert flag.evidence["milestone_weeks"] == 2
    assert flag.evidence["window_closes_on"] == "2026-03-01"
    assert close_windows(WINDOW_CLOSES_AT + timedelta(days=1)) == 0  # never twice


def test_patient_without_email_still_reaches_the_worklist(clinic, clinician_actor):
    patient = PatientFactory(clinic=clinic, email=None)
    treat(patient, clinician_actor)
    close_windows(WINDOW_CLOSES_AT)
    assert db.session.scalars(select(Flag.kind)).all() == ["missed_milestone"]


def test_checkin_in_window_completes_milestone_and_is_not_missed(clinic, clinician_actor):
    patient = PatientFactory(clinic=clinic)
    treat(patient, clinician_actor)
    record_checkin(
        patient,
        clinician_actor,
        {"recorded_on": date(2026, 2, 16), "pain": 3, "stiffness": 3},
        source="clinician",
        now=datetime(2026, 2, 16, 5, tzinfo=UTC),
    )
    assert two_week(patient).status == "completed"
    assert close_windows(WINDOW_CLOSES_AT) == 0


def test_later_checkin_resolves_the_missed_milestone_flag(clinic, clinician_actor):
    patient = PatientFactory(clinic=clinic)
    treat(patient, clinician_actor)
    close_windows(WINDOW_CLOSES_AT)
    record_checkin(
        patient,
        clinician_actor,
        {"recorded_on": date(2026, 3, 5), "pain": 3, "stiffness": 3},
        source="clinician",
        now=datetime(2026, 3, 5, 5, tzinfo=UTC),
    )
    flag = db.session.scalars(select(Flag)).one()
    assert (flag.status, flag.resolution) == ("resolved", "checked_in")


def test_backdated_treatment_skips_closed_windows_and_they_never_count_as_missed(
    clinic, clinician_actor
):
    patient = PatientFactory(clinic=clinic)
    treat(patient, clinician_actor, now=datetime(2026, 4, 20, tzinfo=UTC))
    statuses = dict(
        db.session.execute(
            select(Reminder.milestone_weeks, Reminder.status).where(
                Reminder.patient_id == patient.id
            )
        ).all()
    )
    # 2 weeks: window closed 2026-03-01; 8 weeks (due 2026-03-29) closed 2026-04-12;
    # 12 weeks (due 2026-04-26) is open; 52 weeks in the future.
    assert statuses == {2: "skipped", 8: "skipped", 12: "scheduled", 52: "scheduled"}
    assert close_windows(datetime(2026, 4, 21, tzinfo=UTC)) == 0


def test_send_due_command_sends_and_reports(runner, smtp_server, clinic, clinician_actor):
    patient = PatientFactory(clinic=clinic)
    treat(patient, clinician_actor)
    result = runner.invoke(args=["send-due", "--now", "2026-02-15T01:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp_server.to(patient.email)) == 1


def test_send_due_exits_1_when_smtp_is_down(runner, smtp_server, clinic, clinician_actor):
    patient = PatientFactory(clinic=clinic)
    treat(patient, clinician_actor)
    smtp_server.stop()
    result = runner.invoke(args=["send-due", "--now", "2026-02-15T01:00:00Z"])
    assert result.exit_code == 1
    assert two_week(patient).status == "retry"


def test_send_due_refuses_a_time_without_zone(runner):
    result = runner.invoke(args=["send-due", "--now", "2026-02-15T01:00:00"])
    assert result.exit_code == 2
    assert "time zone" in result.output


def test_scheduler_has_the_jobs_and_a_heartbeat_job_writes(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"heartbeat", "dispatch", "close-windows", "digest", "report-reminders"}
    assert jobs["dispatch"].trigger.interval == timedelta(seconds=30)
    assert jobs["close-windows"].trigger.interval == timedelta(minutes=5)
    assert scheduler.timezone == UTC
    jobs["heartbeat"].func(*jobs["heartbeat"].args)
    assert db.session.scalars(select(SchedulerHeartbeat)).one().beat_at is not None


def test_web_app_never_starts_a_scheduler(app):
    import apscheduler.schedulers.base as base

    assert not any(isinstance(value, base.BaseScheduler) for value in app.extensions.values())
