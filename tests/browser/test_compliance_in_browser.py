"""The demo's Compliance page with its clocks, and a draft report printed on A4 in Japanese."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tracker.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser
A4_WIDTH_PT, A4_HEIGHT_PT = 595, 842


def test_compliance_page_shows_the_clocks_and_the_draft_prints_on_a4(
    page, live_server, app, backend
):
    seed_demo()
    sign_in(page, live_server, "admin@demo.clinic", DEMO_PASSWORD)

    page.click("nav.mainnav >> text=Compliance")
    page.wait_for_selector(".compliance-reports table")
    reports = page.locator(".compliance-reports tbody tr")
    assert reports.count() >= 3
    first_due = reports.locator("td:first-child").all_inner_texts()
    dates = [text.split("\n")[0] for text in first_due]
    assert dates == sorted(dates), dates  # by due date
    assert page.locator(".compliance-reports .clock.overdue").count() >= 1  # in red
    assert "1 day left" in page.locator(".compliance-reports").inner_text()
    assert "PB3250099" in page.locator(".compliance-plans").inner_text()
    screenshot(page, f"compliance-demo-{backend}")

    draft_link = page.locator(".compliance-reports a:has-text('Draft')").first
    draft_link.click()
    page.wait_for_selector("table.form")
    page.emulate_media(media="print")
    assert page.locator("nav.screen-only").is_hidden()
    text = page.locator("body").inner_text()
    for label in ("疾病等報告書（案）", "患者イニシャル", "計画番号", "重篤度", "転帰", "担当医師"):
        assert label in text
    assert "治療のための入院又は入院期間の延長" in text
    screenshot(page, f"adverse-event-draft-print-{backend}")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"adverse-event-draft-{backend}.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", content)
    assert boxes, "no page in the PDF"
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(A4_WIDTH_PT, A4_HEIGHT_PT)}
    assert len(boxes) == 1  # the draft fits on one A4 page
