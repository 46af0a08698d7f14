"""Patients update their own details: a new time zone reschedules at once, a new address
waits for the link sent to it."""

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.account_helpers import emailed_link, submit
from tests.helpers import isolated_client
from tests.test_checkin_link import (
    compiled_translations,  # noqa: F401  (an autouse fixture)
    patient_in_follow_up,
)
from tests.test_portal import sign_in
from tracker.extensions import db
from tracker.models import AuditEvent, Patient, Reminder
from tracker.vocabulary import PENDING_STATUSES as PENDING


@pytest.fixture
def web(app):
    return isolated_client(app)


@pytest.fixture
def patient(clinic, clinician):
    patient, _ = patient_in_follow_up(
        clinic, clinician, days_ago=3, email="hanako@example.org", timezone="Asia/Tokyo"
    )
    return patient


def pending_milestones(patient_id: int) -> list[Reminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Reminder).where(
                Reminder.patient_id == patient_id,
                Reminder.kind == "milestone",
                Reminder.status.in_(PENDING),
            )
        )
    )


def save(web, **values):
    form = {"email": "hanako@example.org", "language": "en", "timezone": "Asia/Tokyo", **values}
    return submit(web, "/portal/details", form)


def last_event(action: str) -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


def test_details_page_lists_zones_grouped_by_country(web, patient):
    sign_in(web, patient)

    page = web.get("/portal/details").get_data(as_text=True)

    assert '<optgroup label="United Kingdom">' in page
    assert 'value="Europe/London"' in page
    assert '<option value="Asia/Tokyo" selected>' in page
    assert "timezone.js" in page


def test_time_zone_change_reschedules_to_the_morning_of_the_new_zone(web, patient, clinic):
    sign_in(web, patient)
    before = {r.id: r.due_at for r in pending_milestones(patient.id)}
    assert {
        r.due_at.astimezone(ZoneInfo("Asia/Tokyo")).hour for r in pending_milestones(patient.id)
    } == {clinic.send_hour}

    response = save(web, timezone="Europe/London")

    assert response.status_code == 303
    after = pending_milestones(patient.id)
    assert after and all(r.due_at != before[r.id] for r in after)
    for reminder in after:
        local = reminder.due_at.astimezone(ZoneInfo("Europe/London"))
        assert local.hour == clinic.send_hour
        assert local.date() == reminder.due_on
    assert db.session.get(Patient, patient.id).timezone == "Europe/London"
    assert last_event("patient.self_update").details == {
        "changed": {"timezone": ["Asia/Tokyo", "Europe/London"]}
    }
    assert "Europe/London" in web.get("/portal/details").get_data(as_text=True)


def test_language_change_is_saved_and_spoken(web, patient):
    sign_in(web, patient)

    save(web, language="ja")

    assert db.session.get(Patient, patient.id).language == "ja"
    assert "あなたの登録情報" in web.get("/portal/details").get_data(as_text=True)


def test_unknown_time_zone_is_refused_and_nothing_changes(web, patient):
    sign_in(web, patient)
    before = {r.id: r.due_at for r in pending_milestones(patient.id)}

    response = save(web, timezone="Mars/Olympus_Mons")

    assert response.status_code == 200
    assert "Unknown time zone" in response.get_data(as_text=True)
    assert {r.id: r.due_at for r in pending_milestones(patient.id)} == before


def test_new_email_takes_effect_once_confirmed_from_the_new_address(app, web, patient, smtp_server):
    sign_in(web, patient)

    response = save(web, email="hanako@new.example.jp")
    response.close()

    db.session.expire_all()
    assert db.session.get(Patient, patient.id).email == "hanako@example.org"
    link = emailed_link(smtp_server, "hanako@new.example.jp", "/portal/email/")
    other_device = isolated_client(app)
    assert other_device.get(link).status_code == 200
    db.session.expire_all()
    assert (
        db.session.get(Patient, patient.id).email == "hanako@example.org"
    )  # a GET changes nothing

    confirmed = submit(other_device, link, {})

    assert confirmed.status_code == 200
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).email == "hanako@new.example.jp"
    assert last_event("patient.email_changed").details == {
        "changed": {"email": ["hanako@example.org", "hanako@new.example.jp"]}
    }
    assert last_event("patient.email_change_requested") is not None
    assert isolated_client(app).get(link).status_code == 410


def test_details_need_a_portal_session(web, patient):
    response = web.get("/portal/details")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/request")


def test_tampered_email_change_link_answers_400(web):
    assert web.get("/portal/email/not-a-token").status_code == 400
