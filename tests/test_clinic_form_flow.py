"""Clinic forms as a clinician uses them: one flow from patient to treatment, plain defaults."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

from tests import factories
from tests.conftest import post_form
from tests.test_patients_ui import NEW_PATIENT
from tests.test_worklist import flagged_patient
from tracker.extensions import db
from tracker.models import Patient

# 08:00 on 21 November 2026 in Tokyo is still 20 November in New York.
NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_new_patient_leads_on_to_recording_the_treatment(logged_in, clinic):
    response = post_form(logged_in, "/patients/new", NEW_PATIENT)
    patient = db.session.query(Patient).filter_by(external_id="MRN-1001").one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{patient.id}/treatments/new"
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hanako Tanaka recorded" in page and "record the treatment" in page


def test_treatment_date_defaults_to_the_patients_today(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic, timezone="America/New_York")
    page = logged_in.get(f"/patients/{patient.id}/treatments/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="treated_on"[^>]*value="2026-11-20"', page), page


def test_treatment_kind_list_takes_the_whole_row(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    page = logged_in.get(f"/patients/{patient.id}/treatments/new").get_data(as_text=True)
    kind_block = re.search(r'<div class="field ([^"]*)">\s*<label for="kind"', page)
    assert kind_block and "wide" in kind_block.group(1).split()
    assert "Cultured adipose-derived stem cells" in page


def test_clinician_checkin_asks_pain_first_and_swelling_as_buttons(logged_in, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    page = logged_in.get(f"/patients/{patient.id}/checkins/new").get_data(as_text=True)
    assert page.index('name="pain"') < page.index('name="stiffness"')
    assert page.index('name="stiffness"') < page.index('name="swelling"')
    assert "<select" not in page.split('name="swelling"')[0].rsplit("<fieldset", 1)[-1]
    assert len(re.findall(r'<input[^>]*name="swelling"[^>]*type="radio"', page)) == 11


def test_resolve_form_preselects_no_decision_and_asks_for_one(logged_in, clinic):
    flag = flagged_patient(clinic)
    page = logged_in.get(f"/flags/{flag.id}/resolve").get_data(as_text=True)
    assert "selected" not in re.search(r'<select[^>]*name="resolution".*?</select>', page, re.S)[0]
    worklist = logged_in.get("/").get_data(as_text=True)
    assert (
        "selected" not in re.search(r'<select[^>]*name="resolution".*?</select>', worklist, re.S)[0]
    )

    response = post_form(logged_in, f"/flags/{flag.id}/resolve", {"resolution": ""})
    assert response.status_code == 200
    assert "Choose what was decided." in response.get_data(as_text=True)
    db.session.refresh(flag)
    assert flag.status == "open"


def test_taking_a_flag_is_one_word_everywhere(logged_in, clinic, other_clinician):
    flag = flagged_patient(clinic)
    owned = flagged_patient(clinic, owner_id=None)
    pages = [
        logged_in.get("/").get_data(as_text=True),
        logged_in.get(f"/patients/{flag.patient_id}").get_data(as_text=True),
        logged_in.get(f"/patients/{owned.patient_id}").get_data(as_text=True),
    ]
    for page in pages:
        buttons = re.findall(r'<button[^>]*type="submit">([^<]*)</button>', page)
        assert "Take" in buttons
        assert "Acknowledge" not in page and "Take over" not in page


def test_forbidden_page_speaks_plainly(logged_in):
    response = logged_in.get("/admin/settings")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Only the clinic's administrators can open this page." in page
    assert "You don't have the permission" not in page


@pytest.mark.parametrize(
    ("path", "status"),
    [("/c/", 404), ("/p/", 404), ("/portal/nothing-here", 404), ("/u/", 404)],
)
def test_patient_side_errors_never_send_a_patient_to_the_clinician_sign_in(client, path, status):
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert 'href="/login"' not in page and 'href="/"' not in page
    assert "Follow-up tracker</a>" not in page  # no clinician header
    assert 'href="/portal/request"' in page
