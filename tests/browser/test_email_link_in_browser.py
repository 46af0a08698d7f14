"""The patient's path: a reminder arrives by real SMTP, the link opens on a phone, the check-in lands."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories import PatientFactory, UserFactory
from tracker.extensions import db
from tracker.models import CheckIn, Reminder
from tracker.reminders.dispatch import dispatch_due
from tracker.services.actors import Actor
from tracker.services.treatments import record_treatment
from tracker.timeutil import now_utc

pytestmark = pytest.mark.browser


def test_patient_follows_emailed_link_and_checks_in_on_a_phone(
    app, browser, live_server, smtp_server, clinic, backend
):
    clinician = UserFactory(clinic=clinic)
    patient = PatientFactory(
        clinic=clinic, name="Aoi Kobayashi", email="aoi@example.jp", timezone="America/New_York"
    )
    treated_on = now_utc().astimezone().date() - timedelta(days=15)
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": treated_on,
            "kind": "ucmsc",
            "route": "intra_articular",
            "site": "right knee",
        },
        now=datetime.combine(treated_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15),
    )
    app.config["PUBLIC_BASE_URL"] = live_server
    try:
        result = dispatch_due(now_utc())
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://tracker.test"
    assert result.sent == 1

    [message] = smtp_server.to("aoi@example.jp")
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(re.escape(live_server) + r"/c/[\w.-]+", text)

    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(link)
        assert "2-week check-in" in page.locator("body").inner_text()
        screenshot(page, f"email-link-checkin-form-phone-{backend}")
        page.locator("label[for=pain-3]").tap()
        page.locator("label[for=stiffness-2]").tap()
        page.locator("label[for=adverse_event-0]").tap()  # No side effect, said explicitly
        page.locator("button[type=submit]").tap()
        page.wait_for_url("**/thanks")
        body = page.locator("body").inner_text()
        assert "Thank you" in body
        screenshot(page, f"email-link-checkin-received-phone-{backend}")
    finally:
        context.close()

    checkin = db.session.scalars(select(CheckIn).where(CheckIn.patient_id == patient.id)).one()
    assert (checkin.pain, checkin.stiffness, checkin.source) == (3, 2, "email_link")
    milestone = db.session.scalar(
        select(Reminder).where(Reminder.patient_id == patient.id, Reminder.milestone_weeks == 2)
    )
    assert milestone.status == "completed"
    assert checkin.recorded_on <= date.today() + timedelta(days=1)
