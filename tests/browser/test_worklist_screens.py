"""The worklist of a busy clinic day on a desktop, a tablet and a phone; screenshots kept."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.test_worklist import add_flag
from tracker.demo import DEMO_CLINIC, DEMO_PASSWORD, seed_demo
from tracker.extensions import db
from tracker.models import CheckIn, Clinic, Flag, User
from tracker.timeutil import now_utc, today_in

pytestmark = pytest.mark.browser
FLAGS_ON_A_DAY = 30
SCREEN = 900
# Everything a clinician presses: buttons, the Resolve disclosure, filter chips.
ACTIONS = "main button, main .button, main summary, .chip, header button"

NAMES = [
    "Akiko Yamamoto",
    "Hiroshi Kobayashi",
    "Sarah O'Connor",
    "Tomoko Ishikawa-Fernández",
    "David Lee",
    "Mei Lin",
    "Takeshi Nakamura",
    "Grace Evans",
    "Ren Fujita",
    "Noah Patel",
    "Sakura Inoue",
    "Liam Murphy",
    "Yui Kato",
    "Oliver Smith",
    "Aoi Shimizu",
    "Isla Walker",
    "Sota Hayashi",
    "Chloe Baker",
    "Hina Mori",
    "Jack Turner",
    "Riku Ogawa",
    "Ava Harris",
]
KINDS = ["booster_window", "relapse", "non_responder", "missed_milestone", "adverse_event"]


def busy_day() -> Clinic:
    """The demo clinic with extra flags of every kind, up to a busy day's thirty."""
    seed_demo()
    clinic = db.session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC))
    owner = db.session.scalar(select(User).where(User.email == "admin@demo.clinic"))
    today = today_in(clinic.timezone)
    number = 0
    while db.session.query(Flag).filter(Flag.status != "resolved").count() < FLAGS_ON_A_DAY:
        kind = KINDS[number % len(KINDS)]
        evidence = None
        if kind == "missed_milestone":
            evidence = {
                "milestone_weeks": 8,
                "window_closes_on": (today - timedelta(days=number % 9)).isoformat(),
                "outcome": "unanswered",
            }
        elif kind == "adverse_event":
            evidence = {"recorded_on": today.isoformat(), "details": "Knee warm and swollen."}
        treatment = factories.TreatmentFactory(
            patient__clinic=clinic,
            patient__external_id=f"MRN-9{number:03d}",
            patient__name=NAMES[number % len(NAMES)],
            patient__phone=f"+8190{12345000 + number}",
            patient__frozen_doses=number % 4,
            treated_on=today - timedelta(days=60 + 9 * number),
        )
        for week, (stiffness, pain) in enumerate([(5, 5), (2, 3), (3, 3), (5, 4), (5, 5)]):
            db.session.add(
                CheckIn(
                    clinic_id=clinic.id,
                    patient_id=treatment.patient_id,
                    treatment_id=treatment.id,
                    recorded_on=treatment.treated_on + timedelta(days=14 + 10 * week),
                    source="email_link",
                    pain=pain,
                    stiffness=stiffness,
                )
            )
        if evidence is None:
            evidence = rise_evidence(treatment.treated_on)
        add_flag(
            treatment.patient,
            kind,
            treatment=treatment,
            opened_at=now_utc() - timedelta(days=number % 6),
            owner_id=owner.id if number % 3 == 0 else None,
            evidence=evidence,
        )
        number += 1
    db.session.commit()
    return clinic


def rise_evidence(treated_on):
    """Evidence as the flag rules write it for the series busy_day records."""

    def on(day: int) -> str:
        return (treated_on + timedelta(days=day)).isoformat()

    return {
        "baseline": {"pain": 6, "stiffness": 7, "source": "treatment"},
        "nadir": {"stiffness": 2, "recorded_on": on(24)},
        "run_started_on": on(44),
        "first": {"stiffness": 5, "pain": 4, "recorded_on": on(44)},
        "latest": {"stiffness": 5, "pain": 5, "recorded_on": on(54)},
        "rise": 3,
        "days_since_treatment": 54,
        "min_improvement": 2,
        "non_responder_days": 84,
    }


def document_boxes(page, selector: str) -> list[dict]:
    return page.locator(selector).evaluate_all(
        """elements => elements.map(e => { const b = e.getBoundingClientRect();
             return {top: b.top + scrollY, bottom: b.bottom + scrollY, left: b.left,
                     right: b.right, width: b.width, height: b.height,
                     text: (e.innerText || e.getAttribute('aria-label') || e.tagName).slice(0, 40)}; })"""
    )


def wider_than_the_viewport(page, width: int) -> list[str]:
    return page.evaluate(
        """width => [...document.querySelectorAll('body *')].filter(e => {
             const b = e.getBoundingClientRect();
             // A closed Resolve form is laid out but never shown.
             return e.checkVisibility() && b.width > 1 && (b.right > width + 1 || b.left < -1);
           }).map(e => e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 30))""",
        width,
    )


def visible_actions(page) -> list[dict]:
    return [box for box in document_boxes(page, ACTIONS) if box["width"] > 0]


def test_thirty_flags_fit_in_two_screens_at_1366(browser, live_server, app, backend):
    busy_day()
    context = browser.new_context(viewport={"width": 1366, "height": SCREEN})
    page = context.new_page()
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)
    screenshot(page, f"worklist-1366-{backend}")
    page.screenshot(path=str(ARTIFACTS / f"worklist-1366-first-screen-{backend}.png"))

    rows = document_boxes(page, "table.flags tbody tr")
    fully_visible = [row for row in rows if row["bottom"] <= 2 * SCREEN]
    assert len(rows) >= FLAGS_ON_A_DAY
    assert len(fully_visible) >= FLAGS_ON_A_DAY, [round(row["bottom"]) for row in rows]
    # One compact line per flag: two short lines of text, three at most (a booster's date).
    heights = sorted(row["height"] for row in rows)
    assert heights[len(heights) // 2] <= 50 and heights[-1] <= 64, heights
    table = document_boxes(page, "table.flags")[0]
    assert table["width"] >= 1250  # the row uses the screen, not 1,030 of its 1,366 px
    assert not wider_than_the_viewport(page, 1366)
    assert "Page 1" not in page.locator("main").inner_text()
    context.close()


@pytest.mark.parametrize("width", [820, 390])
def test_worklist_fits_tablets_and_phones_with_thumb_sized_actions(
    browser, live_server, app, backend, width
):
    busy_day()
    context = browser.new_context(viewport={"width": width, "height": SCREEN}, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, "clinician@demo.clinic", DEMO_PASSWORD)
    screenshot(page, f"worklist-{width}-{backend}")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert wider_than_the_viewport(page, width) == []
    small = [box for box in visible_actions(page) if box["height"] < 44]
    assert small == [], small
    # Nothing cut off: no cell hides text it cannot fit.
    clipped = page.locator("table.flags td").evaluate_all(
        "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)"
    )
    assert clipped == []
    # Dates stay whole: a date's box is one line high.
    for date in document_boxes(page, "table.flags .date"):
        assert date["height"] < 24, date
    if width < 600:
        # Cards: every field of a flag on its own line, one flag after another.
        first = document_boxes(page, "table.flags tbody tr:first-child td")
        assert len({round(cell["top"]) for cell in first}) >= 8
    page.locator("table.flags summary").first.click()
    assert page.locator("table.flags details[open] select").is_visible()
    assert wider_than_the_viewport(page, width) == []
    screenshot(page, f"worklist-{width}-resolve-open-{backend}")
    context.close()
