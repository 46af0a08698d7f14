"""Admins are told 2 days before a report is due and each day it is overdue, once a day."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import AdverseEvent, ProvisionPlan, Reminder, ReportNotice, User
from tracker.reminders.dispatch import dispatch_due
from tracker.services.report_reminders import queue_report_reminders

# The event reached the clinic on 2 Dec (Tokyo): unassessed, it is due on 8 Dec.
AWARE_ON = date(2026, 12, 2)


def tokyo(day: date, hour: int) -> datetime:
    """An instant at a Tokyo hour (UTC+9, no DST)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=9)


@pytest.fixture
def admins(clinic):
    factories.UserFactory(clinic=clinic, email="clinician@example.org", role="clinician")
    return [
        factories.UserFactory(clinic=clinic, email="admin@example.org", role="admin"),
        factories.UserFactory(clinic=clinic, email="head@example.org", role="admin"),
    ]


@pytest.fixture
def event(clinic, admins):
    patient = factories.PatientFactory(clinic=clinic, name="Hanako Tanaka", external_id="MRN-1")
    event = AdverseEvent(
        clinic_id=clinic.id,
        patient_id=patient.id,
        source="clinician",
        aware_on=AWARE_ON,
        description="Fever after the injection.",
        status="to_assess",
    )
    db.session.add(event)
    db.session.commit()
    return event


def run_day(day: date, hour: int = 9) -> int:
    """Queue the day's reminders (twice, as two schedulers would) and send them."""
    now = tokyo(day, hour)
    queued = queue_report_reminders(now) + queue_report_reminders(now)
    dispatch_due(now)
    return queued


def test_admins_are_told_two_days_before_the_due_date_once(smtp_server, event):
    assert run_day(date(2026, 12, 5)) == 0  # 3 days before: nothing yet

    assert run_day(date(2026, 12, 6)) == 2  # one each admin, however many passes
    assert run_day(date(2026, 12, 6), hour=18) == 0

    recipients = sorted(address for to, _ in smtp_server.messages for address in to)
    assert recipients == ["admin@example.org", "head@example.org"]
    message = smtp_server.to("admin@example.org")[0]
    assert "2 days left" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Assessment of an adverse event of Hanako Tanaka (MRN-1)" in body
    assert "2026-12-08" in body
    assert f"/adverse-events/{event.id}" in body


def test_no_reminder_between_the_warning_and_the_due_day(smtp_server, event):
    run_day(date(2026, 12, 6))

    assert run_day(date(2026, 12, 7)) == 0
    assert run_day(date(2026, 12, 8)) == 0
    assert len(smtp_server.messages) == 2


def test_overdue_report_is_reminded_each_day_once(smtp_server, event):
    run_day(date(2026, 12, 6))

    assert run_day(date(2026, 12, 9)) == 2
    assert run_day(date(2026, 12, 9), hour=21) == 0
    assert run_day(date(2026, 12, 10)) == 2

    overdue = smtp_server.to("head@example.org")[1:]
    assert ["1 day overdue" in m["Subject"] for m in overdue] == [True, False]
    assert "2 days overdue" in overdue[1]["Subject"]
    notices = db.session.scalars(select(ReportNotice.day).order_by(ReportNotice.day)).all()
    assert notices == [date(2026, 12, 6), date(2026, 12, 9), date(2026, 12, 10)]


def test_reported_event_is_reminded_no_more(smtp_server, event):
    event.seriousness, event.causality = "non_serious", "unrelated"
    event.status = "not_reportable"
    db.session.commit()

    assert run_day(date(2026, 12, 9)) == 0
    assert smtp_server.messages == []


def test_reminder_is_in_japanese_for_an_admin_who_reads_japanese(smtp_server, clinic, event):
    clinic.regulatory_regime = "jp_asrm"
    for admin in db.session.scalars(select(User).where(User.clinic_id == clinic.id)):
        admin.language = "ja"
    db.session.commit()

    run_day(date(2026, 12, 6))

    message = smtp_server.to("admin@example.org")[0]
    assert "残り2日" in message["Subject"]
    assert "Hanako Tanaka" in message.get_body(("plain",)).get_content()


def test_periodic_report_is_reminded_under_jp_asrm(smtp_server, clinic, admins):
    clinic.regulatory_regime = "jp_asrm"
    # Plan year 0: 1 Mar 2025 - 28 Feb 2026, its report due 29 May 2026.
    plan = ProvisionPlan(
        clinic_id=clinic.id,
        plan_number="PB3150001",
        title="Knee PRP",
        risk_class=3,
        committee_name="Committee",
        committee_number="NC-1",
        submitted_on=date(2025, 2, 1),
        accepted_on=date(2025, 3, 1),
    )
    db.session.add(plan)
    db.session.commit()

    assert run_day(date(2026, 5, 26)) == 0
    assert run_day(date(2026, 5, 27)) == 2
    assert run_day(date(2026, 5, 27)) == 0

    body = smtp_server.to("admin@example.org")[0].get_body(("plain",)).get_content()
    assert "PB3150001" in body
    assert f"/plans/{plan.id}/periodic-reports/0" in body


def test_reminders_are_outbox_rows_of_their_own_kind(smtp_server, event):
    queue_report_reminders(tokyo(date(2026, 12, 6), 9))

    kinds = db.session.scalars(select(Reminder.kind)).all()
    assert kinds == ["report_reminder", "report_reminder"]


def test_report_reminders_command_queues_them(runner, event):
    result = runner.invoke(args=["report-reminders", "--now", "2026-12-06T00:00:00Z"])

    assert result.exit_code == 0, result.output
    assert "queued 2" in result.output
