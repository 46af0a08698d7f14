"""The patient page shows every time in the clinic's zone, named once, with the patient's own
time beside due times; each reminder names its treatment; portal links stand apart."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from tests import factories
from tests.html_page import parse_page
from tracker.extensions import db
from tracker.services.actors import Actor
from tracker.services.notifications import queue_portal_link
from tracker.services.treatments import record_treatment

# 12:00 in Tokyo, 03:00 in London, on Saturday 21 November 2026 (GMT, no summer time).
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
BOOSTER = "14 Nov 2026 booster Cultured adipose-derived stem cells · left knee"
FIRST = "10 Jan 2026 Platelet-rich plasma · right knee"
ZONE_ABBREVIATIONS = re.compile(r"\b(JST|GMT|BST|UTC|AEDT|AEST|EST|EDT)\b")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def londoner(clinic, clinician):
    """A patient in London of the Tokyo clinic, treated twice (a booster), with a portal link."""
    patient = factories.PatientFactory(clinic=clinic, timezone="Europe/London", name="Amy Fox")
    actor = Actor(clinician, "user")
    first = record_treatment(
        patient,
        actor,
        {
            "treated_on": date(2026, 1, 10),
            "kind": "prp",
            "route": "intra_articular",
            "site": "right knee",
        },
    )
    record_treatment(
        patient,
        actor,
        {
            "treated_on": date(2026, 11, 14),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "booster_of": first.id,
        },
    )
    queue_portal_link(patient.id, clinic.id, 30, NOW)
    db.session.commit()
    return patient


def table_rows(page: str, table_class: str) -> list[list[str]]:
    table = next(
        e for e in parse_page(page).walk() if e.tag == "table" and table_class in e.classes()
    )
    body = next(e for e in table.walk() if e.tag == "tbody")
    return [
        [cell.text() for cell in row.walk() if cell.tag == "td"]
        for row in body.walk()
        if row.tag == "tr"
    ]


def test_every_time_is_in_the_clinics_named_zone(logged_in, londoner):
    page = logged_in.get(f"/patients/{londoner.id}").get_data(as_text=True)

    assert "Times on this page are in the clinic's time zone, Asia/Tokyo (JST)." in page
    rows = table_rows(page, "reminders")
    assert rows
    for row in rows:
        # No row names a zone of its own: the one zone is named above the tables.
        assert not ZONE_ABBREVIATIONS.search(" ".join(row)), row


def test_due_times_show_the_patients_own_time_beside_the_clinics(logged_in, londoner):
    page = logged_in.get(f"/patients/{londoner.id}").get_data(as_text=True)

    two_weeks = next(
        row for row in table_rows(page, "reminders") if row[:2] == ["2-week check-in", BOOSTER]
    )
    # Due at 09:00 in London on 28 November, which is 18:00 in Tokyo.
    assert two_weeks[2] == "Nov 28, 2026 18:00 Nov 28, 2026 09:00 patient's time"


def test_each_milestone_names_its_treatment(logged_in, londoner):
    page = logged_in.get(f"/patients/{londoner.id}").get_data(as_text=True)

    rows = table_rows(page, "reminders")
    named = {(row[0], row[1]) for row in rows}
    assert ("2-week check-in", BOOSTER) in named
    assert ("2-week check-in", FIRST) in named
    assert {row[1] for row in rows} == {BOOSTER, FIRST}


def test_portal_links_are_listed_apart_from_the_milestones(logged_in, londoner):
    page = logged_in.get(f"/patients/{londoner.id}").get_data(as_text=True)

    assert all("portal" not in row[0] for row in table_rows(page, "reminders"))
    [portal_row] = table_rows(page, "portal-links")
    assert portal_row[0] == "Nov 21, 2026 12:00"


def test_a_patient_in_the_clinics_zone_gets_no_second_time(logged_in, clinic, clinician):
    patient = factories.PatientFactory(clinic=clinic)
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": date(2026, 11, 14),
            "kind": "prp",
            "route": "intra_articular",
            "site": "knee",
        },
    )

    page = logged_in.get(f"/patients/{patient.id}").get_data(as_text=True)

    assert "patient's time" not in page
    two_weeks = next(row for row in table_rows(page, "reminders") if row[0] == "2-week check-in")
    assert two_weeks[2] == "Nov 28, 2026 09:00"
