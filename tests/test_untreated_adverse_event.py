"""An adverse event before any treatment still opens a flag and alerts the clinicians.

docs/schedule-and-flags.md, exact readings: a safety signal is never dropped for want of treatment.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import post_form
from tracker.extensions import db
from tracker.models import Flag, Reminder
from tracker.reminders.dispatch import dispatch_due
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.timeutil import now_utc, today_in

DETAILS = "Fever & a hot, swollen knee"


@pytest.fixture
def patient(clinic):
    return factories.PatientFactory(clinic=clinic, name="Ken Abe", external_id="KA-0042")


@pytest.fixture
def today(clinic):
    return today_in(clinic.timezone)


def treat(patient, clinician, treated_on):
    values = {"treated_on": treated_on, "kind": "prp", "route": "intra_articular", "site": "knee"}
    return record_treatment(patient, Actor(clinician, "user"), values)


def report_adverse_event(patient, recorded_on, source="clinician", actor=None):
    values = {
        "recorded_on": recorded_on,
        "pain": 7,
        "stiffness": 5,
        "adverse_event": True,
        "adverse_event_details": DETAILS,
    }
    return record_checkin(patient, actor or Actor(None, "patient"), values, source)


def flags_of(patient) -> list[Flag]:
    return list(db.session.scalars(select(Flag).where(Flag.patient_id == patient.id)))


def assert_clinicians_alerted(smtp_server, patient, flag, clinicians, stranger):
    alerts = db.session.scalars(
        select(Reminder).where(Reminder.kind == "adverse_event_alert")
    ).all()
    assert sorted(alert.user_id for alert in alerts) == sorted(user.id for user in clinicians)
    assert all(alert.payload == {"flag_id": flag.id} for alert in alerts)

    result = dispatch_due(now_utc())

    assert result.sent == len(clinicians) and result.failed == 0
    for user in clinicians:
        [message] = smtp_server.to(user.email)
        assert message["Subject"].startswith("Adverse event reported: KA-0042")
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Ken Abe" in text and DETAILS in text
        assert "before any treatment" in text
        assert f"http://tracker.test/patients/{patient.id}" in text
    assert smtp_server.to(stranger.email) == []


def test_adverse_event_five_days_before_the_treatment_opens_a_flag_and_emails_the_clinicians(
    smtp_server, patient, clinician, admin, other_clinician, today
):
    treat(patient, clinician, today)

    checkin, opened = report_adverse_event(
        patient, today - timedelta(days=5), actor=Actor(clinician, "user")
    )

    [flag] = flags_of(patient)
    assert opened == [flag]
    assert (flag.kind, flag.status, flag.treatment_id) == ("adverse_event", "open", None)
    assert (flag.checkin_id, checkin.treatment_id) == (checkin.id, None)
    assert flag.evidence["details"] == DETAILS
    assert flag.evidence["days_since_treatment"] is None
    assert_clinicians_alerted(smtp_server, patient, flag, [clinician, admin], other_clinician)


def test_adverse_event_of_a_patient_never_treated_opens_a_flag_and_emails_the_clinicians(
    smtp_server, api, patient, clinician, admin, other_clinician, today
):
    response = api.post(
        f"/api/v1/patients/{patient.id}/checkins",
        json={
            "recorded_on": today.isoformat(),
            "pain": 7,
            "stiffness": 5,
            "adverse_event": True,
            "adverse_event_details": DETAILS,
        },
    )

    assert response.status_code == 201, response.get_json()
    [shown] = response.get_json()["flags"]
    [flag] = flags_of(patient)
    assert (shown["id"], shown["kind"], shown["treatment_id"]) == (flag.id, "adverse_event", None)
    assert (flag.kind, flag.status, flag.treatment_id) == ("adverse_event", "open", None)
    assert_clinicians_alerted(smtp_server, patient, flag, [clinician, admin], other_clinician)


def test_the_same_report_never_opens_a_second_flag_once_a_treatment_covers_it(
    patient, clinician, today
):
    report_adverse_event(patient, today - timedelta(days=5))
    # Recorded later but dated earlier: the report now falls in this treatment's series.
    treat(patient, clinician, today - timedelta(days=10))

    report_adverse_event(patient, today)

    flags = flags_of(patient)
    assert sorted((flag.kind, flag.treatment_id is None) for flag in flags) == [
        ("adverse_event", False),
        ("adverse_event", True),
    ]
    assert len({flag.checkin_id for flag in flags}) == 2


def test_a_report_without_adverse_event_and_without_treatment_opens_nothing(patient, today):
    values = {"recorded_on": today, "pain": 3, "stiffness": 2, "adverse_event": False}

    _, opened = record_checkin(patient, Actor(None, "patient"), values, "portal")

    assert opened == [] and flags_of(patient) == []


def test_worklist_patient_page_and_resolve_page_show_a_flag_without_treatment(
    logged_in, patient, today
):
    report_adverse_event(patient, today - timedelta(days=1))
    [flag] = flags_of(patient)

    worklist = logged_in.get("/")
    assert worklist.status_code == 200
    html = worklist.get_data(as_text=True)
    assert f'id="flag-{flag.id}"' in html
    assert "Before any treatment" in html
    assert "before any treatment" in html  # in the evidence words

    page = logged_in.get(f"/patients/{patient.id}")
    assert page.status_code == 200
    assert "adverse event" in page.get_data(as_text=True)

    resolve_url = f"/flags/{flag.id}/resolve"
    form = logged_in.get(resolve_url)
    assert form.status_code == 200
    assert "before any treatment" in form.get_data(as_text=True)
    answer = post_form(logged_in, resolve_url, {"resolution": "monitor", "note": "Called back."})
    assert answer.status_code == 302
    db.session.refresh(flag)
    assert (flag.status, flag.resolution) == ("resolved", "monitor")


def test_api_lists_a_flag_without_treatment(api, patient, today):
    report_adverse_event(patient, today)

    response = api.get("/api/v1/flags?kind=adverse_event")

    assert response.status_code == 200
    [flag] = response.get_json()["flags"]
    assert (flag["kind"], flag["treatment_id"], flag["patient_id"]) == (
        "adverse_event",
        None,
        patient.id,
    )
    assert flag["evidence"]["details"] == DETAILS


def test_daily_digest_lists_a_flag_without_treatment(smtp_server, clinic, patient, clinician):
    from tracker.services.digest import queue_clinic_digest

    report_adverse_event(patient, today_in(clinic.timezone))
    dispatch_due(now_utc())  # the immediate alert goes first
    queue_clinic_digest(clinic, today_in(clinic.timezone), now_utc())
    db.session.commit()

    result = dispatch_due(now_utc())

    assert result.sent == 1 and result.failed == 0
    [_, digest] = smtp_server.to(clinician.email)
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "Ken Abe" in text and "before any treatment" in text
