"""The demo clinic's Outcomes page and a patient's outcome rows, in a real browser."""

import pytest
from sqlalchemy import select

from tests.browser.conftest import screenshot, sign_in
from tracker.demo import DEMO_PASSWORD, seed_demo
from tracker.extensions import db
from tracker.models import OutcomeEvent, User

pytestmark = pytest.mark.browser


def test_outcomes_page_of_the_demo_clinic(page, live_server, app, backend):
    seed_demo()
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)

    page.click("nav >> text=Outcomes")
    page.wait_for_selector("svg.km")
    assert page.locator("svg.km path.km-curve").count() == 1
    assert page.locator("svg.km text.at-risk").count() >= 3
    assert page.locator("svg.responders rect.bar").count() >= 6
    assert page.locator("svg.trajectory path.line.stiff").count() == 1
    summary = page.locator(".outcome-summary").inner_text()
    assert "knees that responded" in summary
    screenshot(page, f"outcomes-demo-{backend}")

    page.select_option("#group_by", "kl_grade")
    page.click("button:has-text('Show')")
    page.wait_for_selector("#km-4")
    assert page.locator("svg.km").count() >= 3
    assert "Log-rank" in page.locator("main").inner_text()
    screenshot(page, f"outcomes-demo-by-kl-grade-{backend}")


def test_outcomes_page_in_japanese(browser, live_server, app, backend):
    seed_demo()
    # Signed-in staff read the pages in their own language.
    clinician = db.session.scalar(select(User).where(User.email == "clinician@demo.clinic"))
    clinician.language = "ja"
    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)
        page.goto(f"{live_server}/outcomes?group_by=route")
        page.wait_for_selector("svg.km")
        assert "効果の持続期間" in page.locator("main").inner_text()
        screenshot(page, f"outcomes-demo-ja-{backend}")
    finally:
        context.close()


def test_patient_page_shows_outcome_rows_and_the_replacement(page, live_server, app, backend):
    seed_demo()
    event = db.session.scalar(select(OutcomeEvent))
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)

    page.goto(f"{live_server}/patients/{event.patient_id}")
    page.wait_for_selector(f"#outcome-{event.treatment_id}")
    row = page.locator(f"#outcome-{event.treatment_id}").inner_text()
    assert "answered" in row
    assert "Followed until a later procedure" in row
    assert page.locator("svg.chart line.outcome_event").count() == 1
    assert "Knee replacement" in page.locator("main").inner_text()
    screenshot(page, f"patient-outcomes-demo-{backend}")
