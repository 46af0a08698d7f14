"""The patient chart tells the story: baseline at day 0, today, one treatment's series."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tracker.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


def labels_outside(page) -> list[str]:
    """Texts of the chart that stick out of its box (cut off or overlapping the edge)."""
    return page.evaluate(
        """() => { const box = document.querySelector('svg.chart').getBoundingClientRect();
             return [...document.querySelectorAll('svg.chart text')].filter(t => {
               const b = t.getBoundingClientRect();
               return b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1;
             }).map(t => t.textContent); }"""
    )


def day_labels(page) -> list[str]:
    return page.locator("svg.chart text.axis-label").evaluate_all(
        "texts => texts.map(t => t.textContent)"
    )


@pytest.mark.parametrize("width", [1366, 390])
def test_chart_has_baseline_today_and_the_cards_width(browser, live_server, app, backend, width):
    seed_demo()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)
    page.goto(f"{live_server}/patients?q=Margaret")
    page.click("text=Margaret Collins")
    page.wait_for_selector("svg.chart")
    page.locator("svg.chart").scroll_into_view_if_needed()
    screenshot(page, f"chart-{width}-{backend}")

    chart = page.locator("svg.chart").bounding_box()
    card = page.locator("section.chart-card").bounding_box()
    assert chart["width"] >= card["width"] - 2 * 22  # the card's width, less its padding
    baseline = page.locator("svg.chart circle.baseline.stiff").bounding_box()
    first_day = page.locator("svg.chart circle.dot.stiff:not(.baseline)").first.bounding_box()
    assert baseline["x"] < first_day["x"]  # day 0, before every check-in
    today = page.locator("svg.chart line.today").bounding_box()
    assert (
        today["height"] > chart["height"] / 2
        and chart["x"] < today["x"] < chart["x"] + chart["width"]
    )
    assert labels_outside(page) == []
    context.close()


def test_a_booster_is_a_new_origin_and_the_first_treatment_its_own_series(
    browser, live_server, app, backend
):
    seed_demo()
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)
    page.goto(f"{live_server}/patients?q=James")
    page.click("text=James Wilson")
    page.wait_for_selector("svg.chart")
    ticks = [int(t) for t in day_labels(page) if t.lstrip("-").isdigit()]
    assert min(ticks) == 0  # no -370...0 axis after a booster
    screenshot(page, f"chart-booster-{backend}")

    page.click(".chart-series a:has-text('Treatment')")
    page.wait_for_selector("svg.chart")
    ticks = [int(t) for t in day_labels(page) if t.lstrip("-").isdigit()]
    assert min(ticks) == 0 and max(ticks) <= 370
    assert page.locator("svg.chart circle.dot.stiff:not(.baseline)").count() == 4
    assert page.locator("svg.chart line.today").count() == 0  # today is in the booster's series
    screenshot(page, f"chart-first-treatment-{backend}")
    context.close()
