"""A missed milestone's flag says what became of its email, as the outbox recorded it."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import PatientFactory, UserFactory
from tracker.clinic_words import evidence_text as describe_evidence
from tracker.extensions import db
from tracker.models import Flag, Reminder
from tracker.reminders.dispatch import dispatch_due
from tracker.services.actors import Actor
from tracker.services.follow_up_schedule import reschedule_patient, reschedule_treatment
from tracker.services.treatments import record_treatment
from tracker.services.windows import close_windows

TREATED_ON = date(2026, 2, 1)
RECORDED_AT = datetime(2026, 2, 1, 3, tzinfo=UTC)
# The 2-week milestone is due 2026-02-15 09:00 in Tokyo; its window closes 2026-03-02 00:00 JST.
DUE_AT = datetime(2026, 2, 15, 0, tzinfo=UTC)
WINDOW_CLOSES_AT = datetime(2026, 3, 1, 15, tzinfo=UTC)
ADDRESS = "hanako@example.org"


@pytest.fixture
def actor(clinic):
    return Actor(UserFactory(clinic=clinic), "user")


def treat(patient, actor, treated_on=TREATED_ON, now=RECORDED_AT):
    values = {"treated_on": treated_on, "kind": "prp", "route": "intra_articular", "site": "knee"}
    return record_treatment(patient, actor, values, now=now)


def two_week(patient) -> Reminder:
    return db.session.scalar(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            Reminder.kind == "milestone",
            Reminder.milestone_weeks == 2,
        )
    )


def missed_flag(patient) -> Flag:
    close_windows(WINDOW_CLOSES_AT)
    [flag] = db.session.scalars(
        select(Flag).where(Flag.patient_id == patient.id, Flag.kind == "missed_milestone")
    ).all()
    assert flag.reminder_id == two_week(patient).id
    assert two_week(patient).status == "missed"
    return flag


def only_the_two_week_milestone(patient) -> None:
    """Cancel the later milestones, so a dispatch pass sends (or tries) the 2-week one alone."""
    for reminder in db.session.scalars(
        select(Reminder).where(Reminder.patient_id == patient.id, Reminder.milestone_weeks != 2)
    ):
        reminder.status = "cancelled"
    db.session.commit()


def test_send_refused_for_good_then_window_closed_says_the_send_failed(smtp_server, clinic, actor):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treat(patient, actor)
    only_the_two_week_milestone(patient)
    smtp_server.handler.refuse[ADDRESS] = "550 5.1.1 No such user"

    result = dispatch_due(DUE_AT)

    assert (result.failed, result.sent) == (1, 0)
    assert (two_week(patient).status, two_week(patient).outcome) == ("failed", "send_failed")
    flag = missed_flag(patient)
    assert flag.evidence["outcome"] == "send_failed"
    assert "skipped" not in flag.evidence.values()
    assert describe_evidence(flag.kind, flag.evidence).endswith(
        ": the email could not be delivered"
    )
    assert two_week(patient).outcome == "send_failed"


def test_send_still_retrying_when_the_window_closed_says_the_send_failed(
    smtp_server, clinic, actor
):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treat(patient, actor)
    only_the_two_week_milestone(patient)
    smtp_server.handler.refuse[ADDRESS] = "451 4.3.0 Try again later"

    dispatch_due(DUE_AT)

    assert two_week(patient).status == "retry"
    assert missed_flag(patient).evidence["outcome"] == "send_failed"


def test_no_email_address_says_so(smtp_server, clinic, actor):
    patient = PatientFactory(clinic=clinic, email=None)
    treat(patient, actor)
    only_the_two_week_milestone(patient)

    result = dispatch_due(DUE_AT)

    assert result.skipped == 1 and smtp_server.messages == []
    assert (two_week(patient).status, two_week(patient).outcome) == ("skipped", "no_email")
    flag = missed_flag(patient)
    assert flag.evidence["outcome"] == "no_email"
    assert describe_evidence(flag.kind, flag.evidence).endswith(": no email address on file")


def test_patient_opted_out_says_so(smtp_server, clinic, actor):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treat(patient, actor)
    only_the_two_week_milestone(patient)
    # Opted out while the row was already claimable (opting out cancels it otherwise).
    patient.opted_out_at = DUE_AT - timedelta(minutes=1)
    db.session.commit()

    dispatch_due(DUE_AT)

    assert (two_week(patient).status, two_week(patient).outcome) == ("skipped", "opted_out")
    assert missed_flag(patient).evidence["outcome"] == "opted_out"


def test_sent_and_unanswered_says_so(smtp_server, clinic, actor):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treat(patient, actor)
    only_the_two_week_milestone(patient)

    result = dispatch_due(DUE_AT)

    assert result.sent == 1 and len(smtp_server.to(ADDRESS)) == 1
    assert (two_week(patient).status, two_week(patient).outcome) == ("sent", None)
    flag = missed_flag(patient)
    assert flag.evidence["outcome"] == "unanswered"
    assert describe_evidence(flag.kind, flag.evidence).endswith(
        ": the email was sent and not answered"
    )
    assert two_week(patient).outcome == "unanswered"


def test_never_sent_before_the_window_closed_says_so(clinic, actor):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treat(patient, actor)  # no dispatcher ran in the whole window

    flag = missed_flag(patient)

    assert flag.evidence["outcome"] == "window_closed_unsent"
    assert describe_evidence(flag.kind, flag.evidence).endswith(
        ": the email was not sent before the window closed"
    )


def test_dispatcher_too_late_for_the_window_says_the_email_was_not_sent(smtp_server, clinic, actor):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treat(patient, actor)
    only_the_two_week_milestone(patient)

    dispatch_due(WINDOW_CLOSES_AT)

    assert smtp_server.messages == []
    assert two_week(patient).outcome == "window_closed_unsent"
    assert missed_flag(patient).evidence["outcome"] == "window_closed_unsent"


def test_treatment_moved_back_past_the_window_skips_it_for_good_and_keeps_created_at(clinic, actor):
    patient = PatientFactory(clinic=clinic, email=ADDRESS)
    treatment = treat(patient, actor)
    created_at = two_week(patient).created_at

    # Corrected a day later to three months earlier: the 2-week window closed long ago.
    treatment.treated_on = TREATED_ON - timedelta(days=90)
    reschedule_treatment(treatment, RECORDED_AT + timedelta(days=1))
    db.session.commit()

    milestone = two_week(patient)
    assert (milestone.status, milestone.outcome) == ("skipped", "planned_after_window")
    assert milestone.created_at == created_at
    # The 12-week window was still open when the date moved (it closed on 2026-02-09).
    close_windows(WINDOW_CLOSES_AT)
    missed = db.session.scalars(select(Flag.evidence)).all()
    assert [evidence["milestone_weeks"] for evidence in missed] == [12]


def test_milestone_skipped_for_want_of_an_address_moves_once_the_patient_has_one(
    smtp_server, clinic, actor
):
    patient = PatientFactory(clinic=clinic, email=None)
    treat(patient, actor)
    only_the_two_week_milestone(patient)
    dispatch_due(DUE_AT)
    assert (two_week(patient).status, two_week(patient).outcome) == ("skipped", "no_email")

    patient.email = ADDRESS
    reschedule_patient(patient, DUE_AT + timedelta(hours=1))
    db.session.commit()

    assert (two_week(patient).status, two_week(patient).outcome) == ("scheduled", None)
    assert dispatch_due(DUE_AT + timedelta(hours=1)).sent == 1
