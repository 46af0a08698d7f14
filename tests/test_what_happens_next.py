"""After a check-in the patient sees what happens next: the next check-in's date in their own
locale, and how to reach the clinic; every email to a patient carries the clinic's contacts."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token_from
from tests.helpers import isolated_client
from tests.test_checkin_link import (
    ANSWERS,
    compiled_translations,  # noqa: F401  (an autouse fixture)
    path_of,
    send_checkin,
)
from tests.test_portal import sign_in
from tracker.extensions import db
from tracker.links import checkin_url
from tracker.models import Reminder
from tracker.reminders.emails import follow_up_message, portal_link_message
from tracker.services.actors import Actor
from tracker.services.notifications import queue_portal_link
from tracker.services.treatments import record_treatment

# Friday 13 November 2026, 10:00 UTC: morning in London and New York, evening in Tokyo.
NOW = datetime(2026, 11, 13, 10, 0, tzinfo=UTC)
TREATED_ON = date(2026, 10, 30)  # the 2-week check-in is due today; the 8-week on 25 December
NEXT = {"en_GB": "25 Dec 2026", "en_US": "Dec 25, 2026", "ja": "2026/12/25"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def web(app):
    return isolated_client(app)


@pytest.fixture
def reachable_clinic(clinic):
    clinic.phone = "+81312345678"
    clinic.contact_email = "desk@knee.example.org"
    db.session.commit()
    return clinic


def treated_patient(clinic, clinician, **values):
    """A patient treated on TREATED_ON; return (patient, their 2-week reminder)."""
    patient = factories.PatientFactory(clinic=clinic, **values)
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {"treated_on": TREATED_ON, "kind": "prp", "route": "intra_articular", "site": "knee"},
    )
    reminder = db.session.scalar(
        select(Reminder).where(Reminder.patient_id == patient.id, Reminder.milestone_weeks == 2)
    )
    return patient, reminder


@pytest.mark.parametrize(
    ("language", "zone", "next_day", "phone"),
    [
        ("en", "Europe/London", NEXT["en_GB"], "+81 3-1234-5678"),
        ("en", "America/New_York", NEXT["en_US"], "+81 3-1234-5678"),
        ("en", "Asia/Tokyo", NEXT["en_GB"], "03-1234-5678"),
        ("ja", "Asia/Tokyo", NEXT["ja"], "03-1234-5678"),
    ],
)
def test_the_thanks_page_gives_the_next_check_in_and_the_clinics_phone(
    web, reachable_clinic, clinician, language, zone, next_day, phone
):
    _, reminder = treated_patient(reachable_clinic, clinician, language=language, timezone=zone)

    response = send_checkin(web, checkin_url(reminder))
    page = web.get(response.headers["Location"]).get_data(as_text=True)

    assert next_day in page
    assert f'href="tel:+81312345678">{phone}</a>' in page
    assert "desk@knee.example.org" in page


def test_the_thanks_page_says_when_no_check_in_is_planned(web, clinic, clinician):
    _, reminder = treated_patient(clinic, clinician)
    db.session.execute(
        Reminder.__table__.update()
        .where(Reminder.__table__.c.milestone_weeks > 2)
        .values(status="cancelled")
    )
    db.session.commit()

    response = send_checkin(web, checkin_url(reminder))
    page = web.get(response.headers["Location"]).get_data(as_text=True)

    assert "No further check-in is planned" in page


def test_the_call_your_clinic_notes_carry_the_clinics_phone(web, reachable_clinic, clinician):
    _, reminder = treated_patient(reachable_clinic, clinician, timezone="Europe/London")

    form = web.get(path_of(checkin_url(reminder))).get_data(as_text=True)
    assert "call your clinic on" in form and 'href="tel:+81312345678"' in form

    response = send_checkin(
        web,
        checkin_url(reminder),
        {**ANSWERS, "adverse_event": "yes", "adverse_event_details": "Swollen since Monday"},
    )
    thanks = web.get(response.headers["Location"]).get_data(as_text=True)
    alert = thanks[thanks.index('role="alert"') :]
    assert 'href="tel:+81312345678">+81 3-1234-5678</a>' in alert[: alert.index("</p>")]


def test_the_portal_after_a_check_in_thanks_instead_of_asking_again(
    web, reachable_clinic, clinician
):
    patient, _ = treated_patient(reachable_clinic, clinician, timezone="Europe/London")
    sign_in(web, patient)
    portal = web.get("/portal")
    before = portal.get_data(as_text=True)
    assert "Check in now" in before
    assert "13 Nov 2026" in before  # the 2-week check-in, due today

    token = csrf_token_from(portal)
    response = web.post("/portal/checkin", data={**ANSWERS, "csrf_token": token})
    page = web.get(response.headers["Location"]).get_data(as_text=True)

    assert "Check in now" not in page
    assert "You checked in today" in page
    assert NEXT["en_GB"] in page
    assert 'href="tel:+81312345678">+81 3-1234-5678</a>' in page
    assert "desk@knee.example.org" in page


@pytest.mark.parametrize("kind", ["milestone", "nudge", "confirmation", "portal_link"])
@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_patient_email_carries_the_clinics_phone_and_email(
    app, reachable_clinic, clinician, kind, language
):
    patient, reminder = treated_patient(
        reachable_clinic, clinician, language=language, timezone="Europe/London"
    )
    if kind == "portal_link":
        message = portal_link_message(
            queue_portal_link(patient.id, reachable_clinic.id, 30, NOW), patient, reachable_clinic
        )
    else:
        reminder.kind = kind
        message = follow_up_message(reminder, patient, reachable_clinic)

    for part in (message.body, message.html):
        assert "+81 3-1234-5678" in part, part
        assert "desk@knee.example.org" in part
    assert 'href="tel:+81312345678"' in message.html


def test_an_email_from_a_clinic_without_contacts_says_nothing_of_them(app, clinic, clinician):
    patient, reminder = treated_patient(clinic, clinician)

    message = follow_up_message(reminder, patient, clinic)

    assert "tel:" not in message.html
    assert "None" not in message.body
