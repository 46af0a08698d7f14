"""The patient page shows the patient's audit trail: who changed what, old -> new."""

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.account_helpers import submit
from tests.conftest import log_in, post_form
from tests.helpers import isolated_client
from tests.test_checkin_link import (
    compiled_translations,  # noqa: F401  (an autouse fixture)
    patient_in_follow_up,
)
from tests.test_portal import sign_in
from tracker.extensions import db
from tracker.models import AuditEvent


@pytest.fixture
def patient(clinic, clinician):
    patient, _ = patient_in_follow_up(
        clinic, clinician, days_ago=3, email="hanako@example.org", timezone="Asia/Tokyo"
    )
    return patient


@pytest.fixture
def moved_to_london(app, patient):
    """The patient chose Europe/London on their portal page."""
    web = isolated_client(app)
    sign_in(web, patient)
    form = {"email": "hanako@example.org", "language": "en", "timezone": "Europe/London"}
    assert submit(web, "/portal/details", form).status_code in (200, 302, 303)
    return patient


def history_of(page: str) -> str:
    """The text of the History section, tags and runs of blanks removed."""
    match = re.search(r'<(details|section)[^>]*id="history".*?</\1>', page, re.S)
    assert match, "no History section"
    return text_of(match.group(0))


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def history_rows(page: str) -> list[str]:
    """Each row of the history table as text: when, who, what, what changed."""
    section = re.search(r'id="history".*', page, re.S).group(0)
    return [text_of(row) for row in re.findall(r"<tr><td>.*?</tr>", section, re.S)]


def test_time_zone_a_patient_changed_on_the_portal_shows_old_and_new(logged_in, moved_to_london):
    page = logged_in.get(f"/patients/{moved_to_london.id}").get_data(as_text=True)

    assert '<details class="card history-section" id="history">' in page  # collapsed at first
    assert "History" in history_of(page)
    [row] = [row for row in history_rows(page) if "Changed their details" in row]
    assert "patient Changed their details Time zone: Asia/Tokyo → Europe/London" in row


def test_full_history_page_lists_the_change_too(logged_in, moved_to_london):
    response = logged_in.get(f"/patients/{moved_to_london.id}/history")

    assert response.status_code == 200
    assert "Asia/Tokyo → Europe/London" in response.get_data(as_text=True)


def test_clinicians_edit_shows_who_and_old_and_new(logged_in, patient, clinician):
    old_name = patient.name
    response = post_form(
        logged_in,
        f"/patients/{patient.id}/edit",
        {
            "external_id": patient.external_id,
            "name": "Hanako Suzuki",
            "email": patient.email,
            "phone": "",
            "timezone": patient.timezone,
            "language": patient.language,
            "frozen_doses": patient.frozen_doses,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)

    [row] = [row for row in history_rows(page) if "Edited the patient's details" in row]
    assert f"Dr Sato Edited the patient's details Name: {old_name} → Hanako Suzuki" in row


def test_history_is_newest_first_at_most_fifty_with_a_link_to_all(logged_in, patient, clinic):
    # Midnight UTC after every other event: 09:00 to 09:59 in Tokyo, newer than the rest.
    latest = db.session.scalar(select(func.max(AuditEvent.at)))
    start = datetime.combine(latest.date() + timedelta(days=1), time(), tzinfo=UTC)
    for minute in range(60):
        db.session.add(
            AuditEvent(
                clinic_id=clinic.id,
                actor_kind="system",
                action="patient.archive",
                object_type="patient",
                object_id=patient.id,
                at=start + timedelta(minutes=minute),
                details={"reminders_cancelled": minute},
            )
        )
    db.session.commit()

    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)
    history = history_of(page)

    assert history.count("Archived") == 50
    assert f'href="/patients/{patient.id}/history"' in page
    full = history_of(logged_in.get(f"/patients/{patient.id}/history").get_data(as_text=True))
    assert full.count("Archived") == 60
    # The times of the archive events only: this test's own page views are in the history
    # too, at whatever time it runs.
    times = re.findall(r"\b(\d\d:\d\d) system Archived\b", full)
    assert len(times) == 60
    assert times == sorted(times, reverse=True) and times[0] == "09:59"  # 00:59 UTC in Tokyo


def test_another_clinic_cannot_see_the_history(app, moved_to_london, other_clinician):
    browser = isolated_client(app)
    assert log_in(browser, other_clinician.email).status_code == 302

    assert browser.get(f"/patients/{moved_to_london.id}/history").status_code == 404
    assert browser.get(f"/patients/{moved_to_london.id}").status_code == 404


def test_history_in_japanese(logged_in, moved_to_london, clinician):
    clinician.language = "ja"
    db.session.commit()

    history = history_of(logged_in.get(f"/patients/{moved_to_london.id}").get_data(as_text=True))

    assert "履歴" in history
    assert "患者" in history
    assert "Asia/Tokyo → Europe/London" in history
