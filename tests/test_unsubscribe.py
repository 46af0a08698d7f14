"""The unsubscribe link: a confirm page, a POST that stops the emails, RFC 8058 one-click."""

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.helpers import isolated_client, row_counts
from tests.test_checkin_link import (
    compiled_translations,  # noqa: F401  (an autouse fixture)
    patient_in_follow_up,
)
from tracker.extensions import db
from tracker.links import checkin_token, unsubscribe_token, unsubscribe_url
from tracker.models import AuditEvent, Reminder


@pytest.fixture
def web(app):
    return isolated_client(app)


@pytest.fixture
def followed(clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician)
    return patient


def unsubscribe_path(patient) -> str:
    url = unsubscribe_url(patient)
    assert url.startswith("http://tracker.test/u/")
    return url.removeprefix("http://tracker.test")


def pending_reminders(patient) -> list[Reminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Reminder).where(
                Reminder.patient_id == patient.id, Reminder.status.in_(("scheduled", "retry"))
            )
        )
    )


def test_the_link_shows_a_confirm_page_and_changes_nothing(web, followed):
    before = row_counts()
    response = web.get(unsubscribe_path(followed))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stop follow-up emails?" in page
    assert "Tokyo Knee Clinic" in page
    assert 'method="post"' in page
    assert row_counts() == before
    db.session.refresh(followed)
    assert followed.opted_out_at is None
    assert pending_reminders(followed)


def test_pressing_the_button_opts_out_and_cancels_pending_reminders(web, followed):
    path = unsubscribe_path(followed)
    response = web.post(path, data={"csrf_token": csrf_token_from(web.get(path))})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    db.session.refresh(followed)
    assert followed.opted_out_at is not None
    assert pending_reminders(followed) == []
    cancelled = db.session.scalars(
        select(Reminder).where(Reminder.patient_id == followed.id, Reminder.status == "cancelled")
    ).all()
    assert cancelled
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.opt_out")
    ).all()
    assert (event.object_id, event.actor_kind) == (followed.id, "patient")
    # Opening the link again says so, and a second POST changes nothing.
    assert "You are unsubscribed" in web.get(path).get_data(as_text=True)
    first_opt_out = followed.opted_out_at
    web.post(path)
    db.session.refresh(followed)
    assert followed.opted_out_at == first_opt_out


def test_one_click_post_from_a_mail_client_works_without_csrf_token(web, followed):
    response = web.post(
        unsubscribe_path(followed),
        data={"List-Unsubscribe": "One-Click"},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    db.session.refresh(followed)
    assert followed.opted_out_at is not None
    assert pending_reminders(followed) == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.opt_out"))
    assert event.details == {"via": "one_click"}


def test_tampered_or_foreign_token_gets_400_and_changes_nothing(web, clinic, clinician, followed):
    _, reminder = patient_in_follow_up(clinic, clinician)
    token = unsubscribe_token(followed)
    before = row_counts()
    tampered = token[:-2] + ("zz" if not token.endswith("zz") else "yy")
    for bad in (tampered, "nonsense", checkin_token(reminder)):
        for response in (web.get(f"/u/{bad}"), web.post(f"/u/{bad}")):
            assert response.status_code == 400
            assert "This link does not work" in response.get_data(as_text=True)
    assert row_counts() == before


def test_only_the_unsubscribe_post_is_exempt_from_csrf(web, followed):
    reminder = db.session.scalar(select(Reminder).where(Reminder.patient_id == followed.id))
    response = web.post(f"/c/{checkin_token(reminder)}", data={"pain": "1", "stiffness": "1"})
    assert response.status_code == 400
    assert web.post("/portal/request", data={"email": followed.email}).status_code == 400


def test_japanese_patient_gets_the_page_in_japanese(web, clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician, language="ja")
    page = web.get(unsubscribe_path(patient)).get_data(as_text=True)
    assert 'lang="ja"' in page
    assert "経過確認のメールを停止しますか？" in page
