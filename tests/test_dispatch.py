"""Delivery of the outbox through a real SMTP server on 127.0.0.1."""

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tracker.extensions import db
from tracker.followup.delivery import MAX_ATTEMPTS
from tracker.links import load_checkin_reminder, load_unsubscribe_patient
from tracker.models import Clinic, Patient, Reminder
from tracker.reminders.dispatch import claim_due, dispatch_due
from tracker.services.actors import Actor
from tracker.services.treatments import record_treatment

NOW = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo


def confirmation(patient: Patient, due_at: datetime = NOW, **values) -> Reminder:
    """A due confirmation reminder for the patient (an outbox row without a milestone)."""
    reminder = Reminder(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="confirmation",
        due_on=due_at.date(),
        due_at=due_at,
        next_attempt_at=due_at,
        status="scheduled",
        window_closes_at=due_at + timedelta(days=14),
        created_at=due_at - timedelta(days=1),
        **values,
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder


@pytest.fixture
def treated_patient(clinic):
    """A patient in Tokyo whose 2-week milestone is due on 2026-03-01 at 09:00 JST."""
    clinician = UserFactory(clinic=clinic)
    patient = PatientFactory(clinic=clinic, email="hanako@example.org", name="Hanako Ito")
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": date(2026, 2, 15),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
        },
        now=datetime(2026, 2, 15, 3, tzinfo=UTC),
    )
    return patient


def milestone(patient: Patient, weeks: int = 2) -> Reminder:
    return db.session.scalar(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            Reminder.kind == "milestone",
            Reminder.milestone_weeks == weeks,
        )
    )


def test_due_milestone_is_emailed_with_link_and_unsubscribe_headers(smtp_server, treated_patient):
    result = dispatch_due(NOW)

    assert (result.claimed, result.sent) == (1, 1)
    reminder = milestone(treated_patient)
    assert reminder.status == "sent" and reminder.sent_at == NOW
    [message] = smtp_server.to("hanako@example.org")
    assert "2-week check-in" in message["Subject"]
    assert "Tokyo Knee Clinic" in message["Subject"]
    assert message["Message-ID"] == f"<reminder-{reminder.id}.{reminder.clinic_id}@tracker.test>"
    assert reminder.message_id == message["Message-ID"]
    # Long headers are folded on the wire; the value is the same.
    # The signed link carries the second it was signed in: compare what it names, not its text.
    unsubscribe = re.fullmatch(
        r"<http://tracker\.test/u/([\w.-]+)>", message["List-Unsubscribe"].strip()
    )
    assert unsubscribe and load_unsubscribe_patient(unsubscribe.group(1)).id == treated_patient.id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    [link] = re.findall(r"http://tracker\.test/c/[\w.-]+", text)
    assert link in html
    assert load_checkin_reminder(link.rsplit("/", 1)[1], now=NOW).id == reminder.id
    assert "Dear Hanako Ito" in text


def test_nothing_is_sent_before_it_is_due(smtp_server, treated_patient):
    result = dispatch_due(NOW - timedelta(hours=1))
    assert result.claimed == 0
    assert smtp_server.messages == []


def test_sent_milestone_gets_one_nudge_later(smtp_server, treated_patient):
    dispatch_due(NOW)
    nudges = db.session.scalars(select(Reminder).where(Reminder.kind == "nudge")).all()
    assert len(nudges) == 1
    # nudge_after_days (3) later, at the send hour in Tokyo
    assert nudges[0].due_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    dispatch_due(NOW + timedelta(days=3))
    assert len(smtp_server.to("hanako@example.org")) == 2
    assert "reminder about your 2-week check-in" in smtp_server.messages[-1][1]["Subject"]
    assert (
        db.session.scalars(select(Reminder).where(Reminder.kind == "nudge")).one().status == "sent"
    )


def test_japanese_patient_gets_japanese_email(smtp_server, clinic):
    patient = PatientFactory(clinic=clinic, language="ja", email="taro@example.jp")
    confirmation(patient)
    dispatch_due(NOW)
    [message] = smtp_server.to("taro@example.jp")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "朝のこわばり" in text
    assert message.get_body(preferencelist=("html",)).get_content().count('lang="ja"') == 1


def test_server_down_then_retried_later_and_delivered(smtp_server, clinic):
    patient = PatientFactory(clinic=clinic)
    reminder = confirmation(patient)
    smtp_server.stop()

    result = dispatch_due(NOW)

    db.session.refresh(reminder)
    assert result.retried == 1 and result.errors
    assert reminder.status == "retry"
    assert reminder.attempts == 1
    assert "ConnectionRefusedError" in reminder.last_error
    assert NOW + timedelta(seconds=30) <= reminder.next_attempt_at <= NOW + timedelta(minutes=1)
    assert dispatch_due(NOW + timedelta(seconds=10)).claimed == 0  # backing off

    smtp_server.start()
    result = dispatch_due(reminder.next_attempt_at)
    db.session.refresh(reminder)
    assert result.sent == 1
    assert reminder.status == "sent" and reminder.attempts == 2
    assert len(smtp_server.to(patient.email)) == 1


def test_permanent_refusal_fails_one_and_sends_the_rest(smtp_server, clinic):
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    reminders = [confirmation(patient) for patient in patients]
    smtp_server.handler.refuse[patients[1].email] = "550 5.1.1 No such user here"

    result = dispatch_due(NOW)

    assert (result.sent, result.failed) == (2, 1)
    statuses = {r.id: db.session.get(Reminder, r.id) for r in reminders}
    assert statuses[reminders[1].id].status == "failed"
    assert "550" in statuses[reminders[1].id].last_error
    assert [statuses[r.id].status for r in (reminders[0], reminders[2])] == ["sent", "sent"]
    assert (
        len(smtp_server.to(patients[0].email)) == 1 and len(smtp_server.to(patients[2].email)) == 1
    )


def test_temporary_refusal_is_retried(smtp_server, clinic):
    patient = PatientFactory(clinic=clinic)
    reminder = confirmation(patient)
    smtp_server.handler.refuse[patient.email] = "451 4.3.0 Mailbox busy, try again"
    dispatch_due(NOW)
    db.session.refresh(reminder)
    assert reminder.status == "retry" and "451" in reminder.last_error


def test_last_attempt_gives_up_as_failed(smtp_server, clinic):
    patient = PatientFactory(clinic=clinic)
    reminder = confirmation(patient, attempts=MAX_ATTEMPTS - 1)
    smtp_server.stop()
    dispatch_due(NOW)
    db.session.refresh(reminder)
    assert reminder.status == "failed" and reminder.attempts == MAX_ATTEMPTS


def test_crashed_dispatchers_rows_come_back_after_the_lease(smtp_server, app, clinic):
    patients = [PatientFactory(clinic=clinic) for _ in range(5)]
    for patient in patients:
        confirmation(patient)
    lease = app.config["DISPATCH_LEASE_SECONDS"]

    claimed = claim_due(NOW, limit=10, lease_seconds=lease)  # then the process dies
    assert len(claimed) == 5
    assert dispatch_due(NOW + timedelta(seconds=lease - 1)).claimed == 0
    assert smtp_server.messages == []

    result = dispatch_due(NOW + timedelta(seconds=lease + 1))
    assert result.sent == 5
    for patient in patients:
        assert len(smtp_server.to(patient.email)) == 1


def test_a_pass_claims_no_more_than_its_batch(app, clinic):
    reminders = [confirmation(PatientFactory(clinic=clinic)) for _ in range(5)]
    lease = app.config["DISPATCH_LEASE_SECONDS"]

    assert claim_due(NOW, limit=2, lease_seconds=lease) == [r.id for r in reminders[:2]]
    assert claim_due(NOW, limit=2, lease_seconds=lease) == [r.id for r in reminders[2:4]]
    assert claim_due(NOW, limit=2, lease_seconds=lease) == [reminders[4].id]


def test_patient_without_email_or_opted_out_is_skipped(smtp_server, clinic):
    silent = confirmation(PatientFactory(clinic=clinic, email=None))
    opted_out = confirmation(PatientFactory(clinic=clinic, opted_out_at=NOW - timedelta(days=1)))
    result = dispatch_due(NOW)
    assert result.skipped == 2 and smtp_server.messages == []
    assert db.session.get(Reminder, silent.id).status == "skipped"
    assert "No email address" in db.session.get(Reminder, silent.id).last_error
    assert db.session.get(Reminder, opted_out.id).status == "skipped"


def test_two_dispatchers_send_500_reminders_exactly_once(smtp_server, app, backend):
    clinic_id = ClinicFactory().id
    rows = [
        {
            "clinic_id": clinic_id,
            "external_id": f"MRN-{n}",
            "name": f"Patient {n}",
            "email": f"p{n}@example.org",
            "timezone": "Asia/Tokyo",
            "language": "en",
            "frozen_doses": 0,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(500)
    ]
    db.session.execute(insert(Patient), rows)
    patient_ids = db.session.scalars(select(Patient.id).where(Patient.clinic_id == clinic_id)).all()
    db.session.execute(
        insert(Reminder),
        [
            {
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "kind": "confirmation",
                "due_on": NOW.date(),
                "due_at": NOW,
                "next_attempt_at": NOW,
                "status": "scheduled",
                "window_closes_at": NOW + timedelta(days=14),
                "attempts": 0,
                "last_error": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for patient_id in patient_ids
        ],
    )
    db.session.commit()
    db.session.remove()
    totals = []

    def dispatcher():
        with app.app_context():
            sent = 0
            while True:
                result = dispatch_due(NOW, limit=25)
                sent += result.sent
                if result.claimed == 0:
                    break
            totals.append(sent)
            db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    recipients = [address for addresses, _ in smtp_server.messages for address in addresses]
    assert len(recipients) == 500
    assert len(set(recipients)) == 500
    assert sum(totals) == 500
    assert all(total > 0 for total in totals), totals  # both took a share
    statuses = db.session.scalars(select(Reminder.status).where(Reminder.clinic_id == clinic_id))
    assert set(statuses) == {"sent"}


def test_adverse_event_emails_each_clinician_of_the_clinic_at_once(smtp_server, clinic):
    from tracker.services.checkins import record_checkin

    doctors = [UserFactory(clinic=clinic), UserFactory(clinic=clinic)]
    stranger = UserFactory(clinic=ClinicFactory())
    patient = PatientFactory(clinic=clinic, name="Ken Abe")
    record_treatment(
        patient,
        Actor(doctors[0], "user"),
        {
            "treated_on": date(2026, 2, 27),
            "kind": "prp",
            "route": "intra_articular",
            "site": "left knee",
        },
        now=datetime(2026, 2, 27, tzinfo=UTC),
    )
    record_checkin(
        patient,
        Actor(None, "patient"),
        {
            "recorded_on": date(2026, 2, 28),
            "pain": 8,
            "stiffness": 6,
            "adverse_event": True,
            "adverse_event_details": "Fever & <swelling> since last night",
        },
        source="email_link",
        now=NOW,
    )
    result = dispatch_due(NOW)

    assert result.sent == 2
    for doctor in doctors:
        [message] = smtp_server.to(doctor.email)
        assert "Adverse event reported" in message["Subject"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "Ken Abe" in text and "Fever & <swelling> since last night" in text
        assert "Fever &amp; &lt;swelling&gt;" in html  # the patient's words are escaped
        assert f"http://tracker.test/patients/{patient.id}" in text
    assert smtp_server.to(stranger.email) == []


def test_daily_digest_lists_new_and_unattended_flags_once_a_day(smtp_server, clinic):
    from tracker.models import Flag
    from tracker.services.digest import queue_digests

    doctor = UserFactory(clinic=clinic)
    patient = PatientFactory(clinic=clinic, name="Mei Lin")
    old = Flag(
        clinic_id=clinic.id,
        patient_id=patient.id,
        kind="non_responder",
        evidence={},
        opened_at=NOW - timedelta(days=4),
    )
    new = Flag(
        clinic_id=clinic.id,
        patient_id=patient.id,
        kind="missed_milestone",
        evidence={"milestone_weeks": 8, "window_closes_on": "2026-02-27"},
        opened_at=NOW - timedelta(hours=3),
    )
    db.session.add_all([old, new])
    db.session.commit()

    assert queue_digests(NOW - timedelta(hours=1)) == 0  # 08:30 in Tokyo: before the send hour
    assert queue_digests(NOW) == 1
    assert queue_digests(NOW + timedelta(hours=2)) == 0  # once a day
    dispatch_due(NOW)

    [message] = smtp_server.to(doctor.email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    new_part, unattended_part = text.split("not yet taken by anyone")
    assert "No check-in for the 8-week milestone" in new_part
    assert "Non-responder: Mei Lin" in unattended_part


def test_reminder_whose_window_closed_is_not_sent_late(smtp_server, clinic):
    reminder = confirmation(PatientFactory(clinic=clinic))
    result = dispatch_due(reminder.window_closes_at)
    db.session.refresh(reminder)
    assert result.skipped == 1 and smtp_server.messages == []
    assert reminder.status == "skipped" and "window closed" in reminder.last_error


def test_milestone_sent_again_keeps_its_one_nudge(smtp_server, treated_patient):
    dispatch_due(NOW)
    reminder = milestone(treated_patient)
    reminder.status, reminder.next_attempt_at = "retry", NOW  # as an admin's retry does
    db.session.commit()

    assert dispatch_due(NOW + timedelta(minutes=1)).sent == 1

    assert len(smtp_server.to("hanako@example.org")) == 2
    nudges = db.session.scalars(select(Reminder).where(Reminder.kind == "nudge")).all()
    assert len(nudges) == 1


def test_a_message_that_cannot_be_sent_fails_alone_and_the_batch_goes_on(
    smtp_server, clinic, other_clinic
):
    # Validation refuses such a name now; rows written before it must still not stall a batch.
    db.session.execute(
        update(Clinic)
        .where(Clinic.id == other_clinic.id)
        .values(name="Other Clinic\r\nBcc: everyone@example.org")
    )
    db.session.commit()
    bad_header = confirmation(
        PatientFactory(clinic=other_clinic), due_at=NOW - timedelta(minutes=5)
    )
    doctor = UserFactory(clinic=other_clinic)
    # An alert whose flag is gone: building its message fails.
    unbuildable = Reminder(
        clinic_id=other_clinic.id,
        user_id=doctor.id,
        kind="adverse_event_alert",
        due_at=NOW - timedelta(minutes=5),
        next_attempt_at=NOW - timedelta(minutes=5),
        payload={"flag_id": 999_999},
    )
    db.session.add(unbuildable)
    db.session.commit()
    good = [PatientFactory(clinic=clinic) for _ in range(8)]
    for patient in good:
        confirmation(patient)

    result = dispatch_due(NOW)

    assert result.claimed == 10 and result.sent == 8 and result.retried == 2
    for patient in good:
        assert len(smtp_server.to(patient.email)) == 1
    assert len(smtp_server.messages) == 8
    bad_header, unbuildable = (db.session.get(Reminder, r.id) for r in (bad_header, unbuildable))
    assert bad_header.status == "retry" and "line break" in bad_header.last_error
    assert unbuildable.status == "retry" and "Could not build the message" in unbuildable.last_error
    for reminder in (bad_header, unbuildable):
        assert reminder.lease_until is None
        assert NOW + timedelta(seconds=30) <= reminder.next_attempt_at <= NOW + timedelta(minutes=1)
    statuses = db.session.scalars(select(Reminder.status)).all()
    assert "sending" not in statuses


def test_a_message_that_keeps_failing_ends_failed_with_its_error(smtp_server, clinic):
    db.session.execute(update(Clinic).where(Clinic.id == clinic.id).values(name="Bad\nName"))
    db.session.commit()
    reminder = confirmation(PatientFactory(clinic=clinic), attempts=MAX_ATTEMPTS - 1)

    result = dispatch_due(NOW)

    db.session.refresh(reminder)
    assert result.failed == 1 and smtp_server.messages == []
    assert reminder.status == "failed" and "line break" in reminder.last_error


def test_each_row_is_renewed_just_before_its_message_is_sent(smtp_server, app, clinic):
    reminders = [confirmation(PatientFactory(clinic=clinic)) for _ in range(3)]
    ids = [reminder.id for reminder in reminders]
    claimed_until = NOW + timedelta(seconds=app.config["DISPATCH_LEASE_SECONDS"])
    leases_seen = []

    def look_at_the_leases(envelope):
        with app.app_context():
            leases = select(Reminder.id, Reminder.lease_until).where(Reminder.status == "sending")
            leases_seen.append(dict(db.session.execute(leases).all()))

    smtp_server.handler.while_receiving = look_at_the_leases
    assert dispatch_due(NOW).sent == 3

    assert len(leases_seen) == 3
    for position, leases in enumerate(leases_seen):
        assert leases[ids[position]] > claimed_until  # renewed
        assert all(leases[later] == claimed_until for later in ids[position + 1 :])


def test_a_pass_that_lost_its_lease_stops_and_hands_back_the_rest(smtp_server, app, clinic):
    patients = [PatientFactory(clinic=clinic) for _ in range(5)]
    reminders = [confirmation(patient) for patient in patients]
    lease = app.config["DISPATCH_LEASE_SECONDS"]
    much_later = NOW + timedelta(seconds=lease + 60)  # every lease of the first pass has run out
    rival = []

    def rival_claims_one_row_during_the_first_send(envelope):
        if not rival:
            with app.app_context():
                rival.extend(claim_due(much_later, limit=1, lease_seconds=lease))

    smtp_server.handler.while_receiving = rival_claims_one_row_during_the_first_send
    result = dispatch_due(NOW)

    # The row being sent was renewed, so the rival took the next one: the pass stops there.
    assert rival == [reminders[1].id]
    assert (result.claimed, result.sent) == (5, 1)
    assert len(smtp_server.messages) == 1
    for reminder in reminders[2:]:
        db.session.refresh(reminder)
        assert (reminder.status, reminder.attempts, reminder.claim_token) == ("scheduled", 0, None)
        assert reminder.next_attempt_at < NOW + timedelta(seconds=1)  # claimable at once
    assert dispatch_due(NOW + timedelta(seconds=1)).sent == 3
    assert db.session.get(Reminder, reminders[1].id).status == "sending"  # still the rival's
    assert dispatch_due(much_later + timedelta(seconds=lease + 1)).sent == 1

    for patient in patients:
        assert len(smtp_server.to(patient.email)) == 1
