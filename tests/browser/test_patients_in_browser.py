"""A clinician records a patient and a treatment in a real browser."""

from datetime import date, timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_clinician_records_patient_and_treatment_with_baseline(
    page, live_server, clinician, backend
):
    sign_in(page, live_server, clinician.email)
    assert page.locator("h1").inner_text().startswith("Worklist")

    page.click("text=New patient")
    page.fill("#external_id", "MRN-7001")
    page.fill("#name", "Hanako Yamada")
    page.fill("#email", "hanako@example.org")
    page.fill("#timezone", "America/New_York")
    page.select_option("#language", "ja")
    page.fill("#frozen_doses", "2")
    page.click("button:has-text('Record patient')")
    page.wait_for_selector("text=Patient Hanako Yamada recorded.")

    page.click("text=Record treatment")
    treated_on = (date.today() - timedelta(days=3)).isoformat()
    page.fill("#treated_on", treated_on)
    page.select_option("#kind", "adsc_cultured")
    page.select_option("#route", "intra_articular")
    page.fill("#site", "left knee")
    page.select_option("#kl_grade", "3")
    page.fill("#cell_dose_million", "50")
    page.select_option("#baseline_pain", "7")
    page.select_option("#baseline_stiffness", "6")
    page.fill("#baseline_morning_stiffness_minutes", "45")
    page.click("button:has-text('Record treatment')")
    page.wait_for_selector("text=recorded.")

    body = page.locator("main").inner_text()
    assert "Hanako Yamada" in body
    assert "left knee" in body
    assert "stiffness 6, pain 7, 45 min" in body
    assert "2-week check-in" in body
    screenshot(page, f"patient-page-after-treatment-{backend}")
