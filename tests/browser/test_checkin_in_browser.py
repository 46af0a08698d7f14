"""A patient checks in from the emailed link on a phone, in a real browser."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tracker.extensions import db
from tracker.links import checkin_url, portal_url
from tracker.models import CheckIn, PortalLink, Reminder
from tracker.services.actors import Actor
from tracker.services.notifications import queue_portal_link
from tracker.services.treatments import record_treatment
from tracker.timeutil import now_utc, today_in

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def phone(browser, request):
    """A phone-sized browser page; a screenshot is kept when the test fails."""
    context = browser.new_context(**PHONE, **getattr(request, "param", {}))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


def two_week_link(app, clinic, clinician, live_server, language: str) -> tuple[str, int]:
    """Treat a patient 14 days ago (so the 2-week check-in is due); return its link."""
    patient = factories.PatientFactory(
        clinic=clinic, name="Hanako Yamada", email="hanako@example.org", language=language
    )
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": today_in(patient.timezone) - timedelta(days=14),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
            "baseline_pain": 7,
            "baseline_stiffness": 6,
        },
    )
    reminder = db.session.scalar(
        select(Reminder).where(Reminder.patient_id == patient.id, Reminder.milestone_weeks == 2)
    )
    url = checkin_url(reminder).replace(app.config["PUBLIC_BASE_URL"], live_server)
    return url, patient.id


def option(page, name: str, value: int):
    return page.locator(f".option:has(input[name={name}][value='{value}'])")


@pytest.mark.parametrize(
    ("language", "thanks", "progress"),
    [("en", "Thank you", "Your progress"), ("ja", "ありがとうございました", "これまでの経過")],
)
def test_patient_checks_in_on_a_phone(
    app, phone, live_server, clinic, clinician, backend, language, thanks, progress
):
    url, patient_id = two_week_link(app, clinic, clinician, live_server, language)
    phone.goto(url)
    assert phone.locator(".patient-clinic").inner_text() == "Tokyo Knee Clinic"
    assert phone.locator("html").get_attribute("lang") == language

    # Every 0-10 button is a comfortable tap target (one row of eleven: tall, and wider than
    # WCAG 2.2's 24 px minimum), and the page fits the phone's width.
    for box in (o.bounding_box() for o in phone.locator("#q-pain .option").all()):
        assert box["width"] >= 24 and box["height"] >= 44
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    option(phone, "pain", 3).tap()
    option(phone, "stiffness", 4).tap()
    assert phone.locator("input[name=pain][value='3']").is_checked()
    # The details box appears only for a "yes".
    assert not phone.locator("#adverse_event_details").is_visible()
    option(phone, "adverse_event", "yes").tap()
    assert phone.locator("#adverse_event_details").is_visible()
    option(phone, "adverse_event", "no").tap()
    phone.fill("#morning_stiffness_minutes", "20")
    screenshot(phone, f"checkin-phone-form-{language}-{backend}")

    phone.locator("button[type=submit]").tap()
    phone.wait_for_url("**/thanks")
    assert phone.locator("h1").inner_text() == thanks
    assert phone.locator(".progress-chart").is_visible()
    assert progress in phone.locator("main").inner_text()
    first_row = phone.locator(".progress-table tbody tr").first.locator("td").all_inner_texts()
    assert first_row[1:] == ["4", "3", "20"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, f"checkin-phone-thanks-{language}-{backend}")

    db.session.expire_all()
    [checkin] = db.session.scalars(select(CheckIn).where(CheckIn.patient_id == patient_id)).all()
    assert (checkin.pain, checkin.stiffness, checkin.source) == (3, 4, "email_link")


@pytest.mark.parametrize("phone", [{"java_script_enabled": False}], indirect=True)
def test_the_form_works_without_javascript(app, phone, live_server, clinic, clinician, backend):
    url, patient_id = two_week_link(app, clinic, clinician, live_server, "en")
    phone.goto(url)
    option(phone, "pain", 0).tap()
    option(phone, "stiffness", 10).tap()
    option(phone, "adverse_event", "yes").tap()
    phone.fill("#adverse_event_details", "Warm knee for two days")
    phone.locator("button[type=submit]").tap()
    phone.wait_for_url("**/thanks")
    assert "your care team has been told" in phone.locator("main").inner_text()
    screenshot(phone, f"checkin-phone-adverse-nojs-{backend}")
    db.session.expire_all()
    [checkin] = db.session.scalars(select(CheckIn).where(CheckIn.patient_id == patient_id)).all()
    assert (checkin.pain, checkin.stiffness, checkin.adverse_event) == (0, 10, True)


@pytest.mark.parametrize(
    ("language", "question"),
    [("en", "Side effects or new symptoms"), ("ja", "副作用・気になる症状")],
)
def test_missing_answers_are_listed_on_top_and_the_summary_takes_the_focus(
    app, phone, live_server, clinic, clinician, backend, language, question
):
    url, patient_id = two_week_link(app, clinic, clinician, live_server, language)
    phone.goto(url)
    # Nothing is answered for the patient: the side-effect question starts unanswered.
    assert not phone.locator("input[name=adverse_event]:checked").count()
    option(phone, "stiffness", 2).tap()
    with phone.expect_navigation():
        phone.locator("button[type=submit]").tap()
    # The page moves the focus to the summary once loaded; wait for it (fails if it never does).
    phone.wait_for_function("document.activeElement.classList.contains('error-summary')")

    # Every missing answer at once, and the pain score kept as it was not sent yet.
    summary = phone.locator(".error-summary")
    assert summary.locator("a").count() == 2
    option(phone, "pain", 5).tap()
    assert phone.locator("input[name=stiffness][value='2']").is_checked()

    # Now only the side-effect question is left unanswered.
    with phone.expect_navigation():
        phone.locator("button[type=submit]").tap()
    phone.wait_for_function("document.activeElement.classList.contains('error-summary')")
    [entry] = summary.locator("a").all()
    assert question in entry.inner_text()
    assert entry.get_attribute("href") == "#adverse_event-0"
    screenshot(phone, f"checkin-phone-side-effect-unanswered-{language}-{backend}")

    # The link leads to the question, which names its message for a screen reader.
    entry.tap()
    assert phone.evaluate("document.activeElement.id") == "adverse_event-0"
    described = phone.locator("#q-adverse_event").get_attribute("aria-describedby")
    assert phone.locator(f"#{described}").inner_text() in entry.inner_text()
    option(phone, "adverse_event", "no").tap()
    phone.locator("button[type=submit]").tap()
    phone.wait_for_url("**/thanks")
    db.session.expire_all()
    [checkin] = db.session.scalars(select(CheckIn).where(CheckIn.patient_id == patient_id)).all()
    assert (checkin.pain, checkin.stiffness, checkin.adverse_event) == (5, 2, False)


def test_patient_opens_the_portal_and_checks_in_again(
    app, phone, live_server, clinic, clinician, backend
):
    url, patient_id = two_week_link(app, clinic, clinician, live_server, "en")
    phone.goto(url)
    option(phone, "pain", 5).tap()
    option(phone, "stiffness", 5).tap()
    option(phone, "adverse_event", "no").tap()
    phone.locator("button[type=submit]").tap()
    phone.wait_for_url("**/thanks")

    message = queue_portal_link(patient_id, clinic.id, 30, now_utc())
    db.session.commit()
    link = db.session.get(PortalLink, message.payload["portal_link_id"])
    phone.goto(portal_url(link).replace(app.config["PUBLIC_BASE_URL"], live_server))
    phone.locator("button:has-text('Open my follow-up')").tap()
    phone.wait_for_url(f"{live_server}/portal")
    assert phone.locator(".progress-chart").is_visible()
    # Checked in minutes ago: the page thanks and says what is next; the form waits folded.
    assert phone.locator("#checked-in").is_visible()
    assert phone.locator(".next-steps").is_visible()
    assert phone.get_by_text("Check in now").count() == 0
    assert not phone.locator("#checkin form").is_visible()
    screenshot(phone, f"portal-phone-after-checkin-{backend}")

    phone.locator("#checkin summary").tap()
    option(phone, "pain", 2).tap()
    option(phone, "stiffness", 3).tap()
    option(phone, "adverse_event", "no").tap()
    phone.locator("#checkin button[type=submit]").tap()
    phone.wait_for_selector("text=Thank you. Your check-in was recorded.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, f"portal-phone-{backend}")
    db.session.expire_all()
    sources = db.session.scalars(
        select(CheckIn.source).where(CheckIn.patient_id == patient_id).order_by(CheckIn.id)
    ).all()
    assert sources == ["email_link", "portal"]
