"""Admin pages: the outbox of failed sends with its Retry button, and the clinic's settings."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests import helpers
from tests.conftest import csrf_token_from, log_in, post_form
from tests.factories import PatientFactory, UserFactory
from tests.helpers import row_counts
from tracker.extensions import db
from tracker.models import AuditEvent, Clinic, Reminder

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD_SETTINGS = {
    "timezone": "Europe/Berlin",
    "milestone_weeks": "12, 2, 26",
    "send_hour": "10",
    "window_before_days": "2",
    "window_after_days": "21",
    "nudge_after_days": "4",
    "early_days": "21",
    "min_improvement": "3",
    "rise_points": "3",
    "sustain_days": "10",
    "severe_pain": "8",
    "non_responder_days": "120",
}


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test runs at NOW, so sessions and CSRF tokens are signed and read at one time."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def as_admin(client, admin):
    response = log_in(client, admin.email)
    assert response.status_code == 302
    return client


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, name="Hanako Yamada")


def add_reminder(patient, status: str, **values) -> Reminder:
    moment = values.pop("next_attempt_at", NOW - timedelta(hours=1))
    return helpers.add_reminder(
        patient, moment, status, attempts=values.pop("attempts", 5), **values
    )


def fresh(reminder: Reminder) -> Reminder:
    db.session.expire_all()
    return db.session.get(Reminder, reminder.id)


# Access


@pytest.mark.parametrize("path", ["/admin/outbox", "/admin/settings"])
def test_a_clinician_is_refused_the_admin_pages(logged_in, path):
    assert logged_in.get(path).status_code == 403


def test_a_clinician_cannot_retry_a_reminder(logged_in, patient):
    reminder = add_reminder(patient, "failed", last_error="550 no such mailbox")
    token = csrf_token_from(logged_in.get("/patients/new"))

    response = logged_in.post(f"/admin/outbox/{reminder.id}/retry", data={"csrf_token": token})

    assert response.status_code == 403
    assert fresh(reminder).status == "failed"


@pytest.mark.parametrize("path", ["/admin/outbox", "/admin/settings"])
def test_signing_in_is_required_for_the_admin_pages(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# The outbox


def test_the_outbox_lists_only_this_clinics_failed_and_retrying_sends(
    as_admin, frozen_clock, clinic, other_clinic, patient
):
    add_reminder(patient, "failed", milestone_weeks=8, last_error="550 5.1.1 no such mailbox")
    add_reminder(
        patient,
        "retry",
        attempts=2,
        last_error="421 try again later",
        next_attempt_at=NOW + timedelta(minutes=30),
    )
    add_reminder(patient, "sending", attempts=1, next_attempt_at=NOW - timedelta(minutes=20))
    add_reminder(patient, "sending", attempts=1, next_attempt_at=NOW + timedelta(minutes=4))
    add_reminder(patient, "sent", last_error="")
    stranger = PatientFactory(clinic=other_clinic, name="Someone Elsewhere")
    add_reminder(stranger, "failed", last_error="550 elsewhere refused")

    page = as_admin.get("/admin/outbox").get_data(as_text=True)

    assert "Hanako Yamada" in page
    assert "550 5.1.1 no such mailbox" in page
    assert "421 try again later" in page
    assert "lease expired" in page
    assert page.count(">Retry</button>") == 3  # the live lease is not listed
    # 09:30 UTC shown in the clinic's zone (Asia/Tokyo).
    assert "2026-03-02 18:30 JST" in page
    assert "Someone Elsewhere" not in page
    assert "550 elsewhere refused" not in page


def test_the_outbox_counts_this_clinics_reminders_by_status(
    as_admin, frozen_clock, other_clinic, patient
):
    for _ in range(3):
        add_reminder(patient, "sent")
    add_reminder(patient, "failed")
    add_reminder(PatientFactory(clinic=other_clinic), "sent")

    page = as_admin.get("/admin/outbox").get_data(as_text=True)

    assert '<span class="badge sent">sent</span> <strong>3</strong>' in page
    assert '<span class="badge failed">failed</span> <strong>1</strong>' in page


def test_the_outbox_names_the_clinician_of_an_alert(as_admin, frozen_clock, clinic):
    colleague = UserFactory(clinic=clinic, name="Dr Ito")
    reminder = Reminder(
        clinic_id=clinic.id,
        user_id=colleague.id,
        kind="adverse_event_alert",
        due_at=NOW,
        next_attempt_at=NOW,
        status="failed",
        attempts=5,
        last_error="timed out",
    )
    db.session.add(reminder)
    db.session.commit()

    page = as_admin.get("/admin/outbox").get_data(as_text=True)

    assert "Dr Ito" in page
    assert "Adverse event alert" in page


def test_the_outbox_escapes_error_text(as_admin, frozen_clock, patient):
    add_reminder(patient, "failed", last_error="<script>alert(1)</script>")

    page = as_admin.get("/admin/outbox").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_retry_puts_a_failed_reminder_back_in_the_queue(as_admin, frozen_clock, admin, patient):
    reminder = add_reminder(patient, "failed", attempts=5, last_error="550 mailbox full")

    token = csrf_token_from(as_admin.get("/admin/outbox"))
    response = as_admin.post(
        f"/admin/outbox/{reminder.id}/retry", data={"csrf_token": token}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "will be sent on the next dispatch pass" in response.get_data(as_text=True)
    retried = fresh(reminder)
    assert retried.status == "scheduled"
    assert retried.attempts == 0
    assert retried.next_attempt_at == NOW
    assert retried.last_error == "Retried by Admin: 550 mailbox full"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reminder.retry"))
    assert event is not None
    assert (event.clinic_id, event.actor_user_id, event.object_type, event.object_id) == (
        patient.clinic_id,
        admin.id,
        "reminder",
        reminder.id,
    )
    assert event.details == {"previous_status": "failed", "previous_attempts": 5}


def test_retry_takes_over_a_send_whose_lease_expired(as_admin, frozen_clock, patient):
    reminder = add_reminder(
        patient, "sending", attempts=1, next_attempt_at=NOW - timedelta(hours=1)
    )
    token = csrf_token_from(as_admin.get("/admin/outbox"))

    as_admin.post(f"/admin/outbox/{reminder.id}/retry", data={"csrf_token": token})

    assert (fresh(reminder).status, fresh(reminder).attempts) == ("scheduled", 0)


def test_retry_leaves_a_send_in_progress_alone(as_admin, frozen_clock, patient):
    reminder = add_reminder(
        patient, "sending", attempts=1, next_attempt_at=NOW + timedelta(minutes=4)
    )
    token = csrf_token_from(as_admin.get("/admin/outbox"))

    response = as_admin.post(
        f"/admin/outbox/{reminder.id}/retry", data={"csrf_token": token}, follow_redirects=True
    )

    assert "not waiting for a retry any more" in response.get_data(as_text=True)
    assert fresh(reminder).status == "sending"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reminder.retry")) is None
    )


def test_retry_of_a_sent_reminder_changes_nothing(as_admin, frozen_clock, patient):
    reminder = add_reminder(patient, "sent", attempts=1)
    token = csrf_token_from(as_admin.get("/admin/outbox"))

    response = as_admin.post(
        f"/admin/outbox/{reminder.id}/retry", data={"csrf_token": token}, follow_redirects=True
    )

    assert "not waiting for a retry any more" in response.get_data(as_text=True)
    assert (fresh(reminder).status, fresh(reminder).attempts) == ("sent", 1)
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reminder.retry")) is None
    )


def test_retry_of_another_clinics_reminder_is_not_found(as_admin, frozen_clock, other_clinic):
    reminder = add_reminder(PatientFactory(clinic=other_clinic), "failed", last_error="x")
    token = csrf_token_from(as_admin.get("/admin/outbox"))

    response = as_admin.post(f"/admin/outbox/{reminder.id}/retry", data={"csrf_token": token})

    assert response.status_code == 404
    assert fresh(reminder).status == "failed"


def test_retry_needs_the_csrf_token(as_admin, frozen_clock, patient):
    reminder = add_reminder(patient, "failed")

    response = as_admin.post(f"/admin/outbox/{reminder.id}/retry", data={})

    assert response.status_code == 400
    assert fresh(reminder).status == "failed"


# Settings


def settings_of(clinic_id: int) -> dict:
    db.session.expire_all()
    clinic = db.session.get(Clinic, clinic_id)
    return {name: getattr(clinic, name) for name in GOOD_SETTINGS}


def test_the_settings_form_shows_the_clinics_values(as_admin, clinic):
    page = as_admin.get("/admin/settings").get_data(as_text=True)

    assert "Tokyo Knee Clinic" in page
    assert 'value="Asia/Tokyo"' in page
    assert 'value="2, 8, 12, 52"' in page
    assert "apply to treatments recorded from now on" in page


def test_good_settings_are_saved_and_audited(as_admin, clinic, admin):
    response = post_form(as_admin, "/admin/settings", GOOD_SETTINGS, follow_redirects=True)

    assert response.status_code == 200
    assert "Settings saved" in response.get_data(as_text=True)
    assert settings_of(clinic.id) == {
        "timezone": "Europe/Berlin",
        "milestone_weeks": [2, 12, 26],
        "send_hour": 10,
        "window_before_days": 2,
        "window_after_days": 21,
        "nudge_after_days": 4,
        "early_days": 21,
        "min_improvement": 3,
        "rise_points": 3,
        "sustain_days": 10,
        "severe_pain": 8,
        "non_responder_days": 120,
    }
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic.settings"))
    assert (event.clinic_id, event.actor_user_id, event.object_id) == (
        clinic.id,
        admin.id,
        clinic.id,
    )
    assert event.details["changed"]["send_hour"] == [9, 10]


BAD_VALUES = [
    ("timezone", "Mars/Olympus", "Unknown time zone"),
    ("timezone", "", "Unknown time zone"),
    ("milestone_weeks", "", "at least one milestone"),
    ("milestone_weeks", " , ", "at least one milestone"),
    ("milestone_weeks", "2, 8, 8", "8 repeats"),
    ("milestone_weeks", "0, 8", "from 1 to 260"),
    ("milestone_weeks", "2, 261", "from 1 to 260"),
    ("milestone_weeks", "2, eight", "eight is not"),
    ("milestone_weeks", "2.5", "from 1 to 260"),
    ("send_hour", "24", "between 0 and 23"),
    ("send_hour", "-1", "between 0 and 23"),
    ("send_hour", "nine", "whole number from 0 to 23"),
    ("send_hour", "", "required"),
    ("window_before_days", "31", "between 0 and 30"),
    ("window_after_days", "0", "between 1 and 60"),
    ("window_after_days", "61", "between 1 and 60"),
    ("nudge_after_days", "0", "between 1 and 30"),
    ("nudge_after_days", "31", "between 1 and 30"),
    ("early_days", "61", "between 0 and 60"),
    ("min_improvement", "0", "between 1 and 10"),
    ("min_improvement", "11", "between 1 and 10"),
    ("rise_points", "0", "between 1 and 10"),
    ("sustain_days", "0", "between 1 and 60"),
    ("sustain_days", "61", "between 1 and 60"),
    ("severe_pain", "11", "between 1 and 10"),
    ("non_responder_days", "13", "between 14 and 365"),
    ("non_responder_days", "366", "between 14 and 365"),
    ("non_responder_days", "1.5", "whole number from 14 to 365"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_a_bad_setting_is_explained_and_nothing_is_written(as_admin, clinic, field, value, message):
    before_settings = settings_of(clinic.id)
    before_rows = row_counts()

    response = post_form(as_admin, "/admin/settings", {**GOOD_SETTINGS, field: value})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert '<small class="error" id=' in page
    assert settings_of(clinic.id) == before_settings
    assert row_counts() == before_rows


def test_every_bad_setting_is_reported_at_once(as_admin, clinic):
    bad = {name: "999" for name in GOOD_SETTINGS}
    bad["timezone"] = "Nowhere/Town"

    page = post_form(as_admin, "/admin/settings", bad).get_data(as_text=True)

    assert page.count('<small class="error" id=') == len(GOOD_SETTINGS)


def test_settings_need_the_csrf_token(as_admin, clinic):
    response = as_admin.post("/admin/settings", data=GOOD_SETTINGS)

    assert response.status_code == 400
    assert settings_of(clinic.id)["send_hour"] == 9


def test_settings_change_only_the_admins_own_clinic(as_admin, clinic, other_clinic):
    before = settings_of(other_clinic.id)

    post_form(as_admin, "/admin/settings", GOOD_SETTINGS)

    assert settings_of(clinic.id)["timezone"] == "Europe/Berlin"  # the form was saved
    assert settings_of(other_clinic.id) == before
