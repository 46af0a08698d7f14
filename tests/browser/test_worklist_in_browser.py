"""A clinician works the demo clinic's worklist in a real browser."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tracker.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser
ORDER = ["adverse event", "relapse", "booster window", "non-responder", "missed milestone"]


def test_worklist_in_order_chart_renders_and_resolved_flag_leaves(page, live_server, app, backend):
    seed_demo()
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)

    kinds = page.locator("main table tbody td:first-child .badge").all_inner_texts()
    assert kinds, "the demo worklist is empty"
    positions = [ORDER.index(kind) for kind in kinds]
    assert positions == sorted(positions), kinds
    assert set(ORDER) <= set(kinds)
    screenshot(page, f"worklist-demo-{backend}")

    page.click("text=Margaret Collins")
    page.wait_for_selector("svg.chart")
    assert page.locator("svg.chart circle").count() >= 5  # her check-ins are plotted
    assert "rise threshold" in page.locator("main").inner_text()
    screenshot(page, f"patient-chart-{backend}")

    page.click("a.button:has-text('Resolve')")
    page.select_option("#resolution", "booster_scheduled")  # nothing is chosen before
    page.fill("#note", "Booster booked for next week; patient agrees.")
    page.click("button:has-text('Resolve')")
    page.goto(f"{live_server}/")
    names = page.locator("main table tbody").inner_text()
    assert "Margaret Collins" not in names
    assert "Robert Hughes" in names
