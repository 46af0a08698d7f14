"""The clinician side in Japanese: every page, message, flash and email a ja user reads, and a
catalogue where every message has a finished Japanese translation."""

import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests import factories
from tests.conftest import log_in, post_form
from tests.helpers import add_reminder, isolated_client, make_flag
from tests.html_page import parse_page
from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)
from tracker.extensions import db
from tracker.models import AdverseEvent, Flag, ProvisionPlan
from tracker.services.actors import Actor
from tracker.services.api_tokens import issue_token
from tracker.services.checkins import record_checkin
from tracker.services.treatments import record_treatment
from tracker.services.two_factor import ISSUER
from tracker.timeutil import now_utc, today_in

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tracker" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"

# Pages another change rewrites and translates: the worklist, the flag decision, the phone
# check-in (and the chart, which the patient page includes; see OWNED_ELSEWHERE).
NOT_CHECKED_HERE = {"clinic.worklist", "clinic.resolve_flag", "clinic.new_checkin"}
CLINICIAN_BLUEPRINTS = ("clinic", "admin", "account")
# Words a Japanese clinic writes in Latin letters, and the values this test seeds.
ALLOWED_WORDS = {
    "FHIR", "CSV", "MRN", "KL", "PRP", "API", "ID", "MSC", "MSCs", "BMAC", "ADSC", "QR",
    "JST", "UTC", "GMT", "BST", "Asia", "Tokyo", "Europe", "London", "English",
    "TOTP", "URL", "Bearer", "Prometheus", "SMTP", "PB3150001", "NB3150010",
}  # fmt: skip
# A word: letters (with an inner apostrophe or hyphen), maybe quoted or bracketed, maybe
# ending a clause. Tokens with digits, @, / or . inside (codes, emails, zones, URLs) are not.
WORD = re.compile(r"^[(\"“‘]?([A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z])[)\"”’]?[.,:;!?)]*$")


def english_left(text: str) -> list[str]:
    """Return the English words in text: every word of letters not on the allow-list."""
    found = []
    for token in text.split():
        match = WORD.match(token)
        if match and match.group(1) not in ALLOWED_WORDS and len(match.group(1)) > 1:
            found.append(match.group(1))
    return found


def owned_elsewhere(element) -> bool:
    """The patient chart is another change's: its own template says its words."""
    return element.attrs.get("id") == "chart-title" or "chart-card" in element.classes()


def readable_text(html: str) -> str:
    """What a person reads on a page: its text and the words its attributes show."""
    parts = []

    def walk(element):
        if element.tag in ("script", "style") or owned_elsewhere(element):
            return
        for name in ("placeholder", "title", "aria-label", "alt"):
            if element.attrs.get(name):
                parts.append(element.attrs[name])
        for child in element.children:
            if isinstance(child, str):
                parts.append(child)
            else:
                walk(child)

    walk(parse_page(html))
    return " ".join(parts)


@pytest.fixture
def clinic(app):
    return factories.ClinicFactory(
        name="東京ひざクリニック", timezone="Asia/Tokyo", regulatory_regime="jp_asrm"
    )


@pytest.fixture
def clinician(clinic):
    return factories.UserFactory(
        clinic=clinic, email="sato@example.org", name="佐藤 医師", language="ja"
    )


@pytest.fixture
def admin(clinic):
    return factories.UserFactory(
        clinic=clinic, email="kanri@example.org", name="管理 太郎", role="admin", language="ja"
    )


@pytest.fixture
def seeded(clinic, clinician, admin):
    """A patient with a treatment, a booster, check-ins, flags, an adverse event, a plan and a
    failed email: something on every page; return the ids pages are reached by."""
    plan = ProvisionPlan(
        clinic_id=clinic.id,
        plan_number="PB3150001",
        title="変形性膝関節症に対する自己脂肪由来間葉系幹細胞治療",
        risk_class=2,
        committee_name="東京再生医療等委員会",
        committee_number="NB3150010",
        submitted_on=date(2025, 1, 10),
        accepted_on=date(2025, 2, 1),
        processing_facility="東京CPC",
    )
    db.session.add(plan)
    db.session.commit()
    patient = factories.PatientFactory(
        clinic=clinic,
        name="田中 花子",
        external_id="MRN-1001",
        email="hanako@example.org",
        phone="+81312345678",
        timezone="Europe/London",
        language="ja",
        frozen_doses=2,
        date_of_birth=date(1958, 6, 1),
        sex="female",
        diagnosis="変形性膝関節症",
    )
    today = today_in(patient.timezone)
    by_clinician = Actor(clinician, "user")
    first = record_treatment(
        patient,
        by_clinician,
        {
            "treated_on": today - timedelta(days=120),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "左膝",
            "plan_id": plan.id,
            "baseline_pain": 7,
            "baseline_stiffness": 7,
            "baseline_morning_stiffness_minutes": 40,
            "cell_dose_million": 50,
        },
    )
    for days_ago, stiffness in ((100, 3), (60, 2)):
        record_checkin(
            patient,
            by_clinician,
            {"recorded_on": today - timedelta(days=days_ago), "pain": 3, "stiffness": stiffness},
            "clinician",
        )
    booster = record_treatment(
        patient,
        by_clinician,
        {
            "treated_on": today - timedelta(days=20),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "左膝",
            "plan_id": plan.id,
            "booster_of": first.id,
            "used_frozen_dose": True,
        },
    )
    record_checkin(
        patient,
        Actor(None, "patient"),
        {"pain": 6, "stiffness": 5, "adverse_event": True, "adverse_event_details": "膝の腫れ"},
        "email_link",
    )
    make_flag(
        patient,
        first,
        kind="missed_milestone",
        evidence={"milestone_weeks": 8, "window_closes_on": "2026-01-01", "outcome": "no_email"},
    )
    add_reminder(
        patient, now_utc() - timedelta(hours=2), status="failed", attempts=5, last_error="550"
    )
    issue_token(clinician, "電子カルテ連携")
    db.session.commit()
    event = db.session.scalars(select(AdverseEvent)).one()
    flag = db.session.scalars(select(Flag).where(Flag.kind == "adverse_event")).one()
    return {
        "patient_id": patient.id,
        "treatment_id": booster.id,
        "event_id": event.id,
        "plan_id": plan.id,
        "index": 0,
        "flag_id": flag.id,
        "user_id": clinician.id,
    }


def signed_in(app, user):
    browser = isolated_client(app)
    assert log_in(browser, user.email).status_code == 302
    return browser


def clinician_pages(app, values: dict, admin: bool) -> list[tuple[str, str]]:
    """Every clinician (or admin) page a GET shows, as (endpoint, URL)."""
    pages = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if (
            "GET" not in rule.methods
            or blueprint not in CLINICIAN_BLUEPRINTS
            or rule.endpoint in NOT_CHECKED_HERE
            or (blueprint == "admin" and not admin)
            or rule.rule.endswith(".csv")
        ):
            continue
        arguments = {name: values[name] for name in rule.arguments}
        pages.append((rule.endpoint, rule.build(arguments, append_unknown=False)[1]))
    return sorted(pages)


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_every_clinician_page_reads_in_japanese(app, seeded, clinician, admin, role):
    user = admin if role == "admin" else clinician
    browser = signed_in(app, user)
    pages = clinician_pages(app, seeded, admin=role == "admin")
    assert len(pages) >= (20 if role == "admin" else 12), pages

    english = {}
    for endpoint, url in pages:
        response = browser.get(url, follow_redirects=True)
        assert response.status_code == 200, (endpoint, url, response.status_code)
        assert response.mimetype == "text/html", endpoint
        html = response.get_data(as_text=True)
        # The name an authenticator app lists the account under stays as it was enrolled.
        left = english_left(readable_text(html).replace(ISSUER, ""))
        if '<html lang="ja">' not in html:
            left.append("<html lang>")
        if left:
            english[endpoint] = sorted(set(left))
    assert not english, "\n".join(f"{page}: {' '.join(words)}" for page, words in english.items())


def test_english_words_are_found():
    html = '<p>患者 <b>Edit details</b></p><input placeholder="e.g. Tanaka"><script>var x</script>'
    assert english_left(readable_text(html)) == ["Edit", "details", "Tanaka"]
    assert english_left("MRN-1001 hanako@example.org Asia/Tokyo 2026/03/01 KL 3") == []


def test_form_errors_from_the_services_are_in_japanese_and_english_in_the_api(
    app, clinic, clinician, admin
):
    browser = signed_in(app, clinician)
    response = post_form(
        browser,
        "/patients/new",
        {
            "external_id": "MRN-9",
            "name": "山田 太郎",
            "email": "yamada@example",
            "phone": "12",
            "timezone": "Mars/Olympus",
            "language": "ja",
        },
    )
    assert response.status_code == 200
    text = readable_text(response.get_data(as_text=True))
    assert "タイムゾーン" in text
    assert not english_left(text), english_left(text)

    token = issue_token(clinician, "テスト")
    db.session.commit()
    api = app.test_client().post(
        "/api/v1/patients",
        json={"external_id": "MRN-9", "name": "Taro", "timezone": "Mars/Olympus"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 422
    assert "Unknown time zone" in api.get_json()["errors"]["timezone"]


def test_flashes_are_in_japanese(app, clinic, clinician):
    clinic.regulatory_regime = "none"
    db.session.commit()
    browser = signed_in(app, clinician)
    patient = factories.PatientFactory(clinic=clinic, name="山田 太郎", external_id="MRN-7")
    page = post_form(
        browser,
        f"/patients/{patient.id}/treatments/new",
        {"treated_on": "2026-01-05", "kind": "prp", "route": "intra_articular", "site": "右膝"},
        follow_redirects=True,
    )
    flashes = [
        element.text()
        for element in parse_page(page.get_data(as_text=True)).find_all(class_="flash")
    ]
    assert flashes and not english_left(" ".join(flashes)), flashes


def test_clinician_emails_come_in_each_readers_language(app, smtp_server, clinic, clinician, admin):
    from tracker.reminders.dispatch import dispatch_due
    from tracker.services.digest import queue_digests

    clinic.regulatory_regime = "none"
    clinic.send_hour = 0
    admin.language = "en"
    db.session.commit()
    patient = factories.PatientFactory(clinic=clinic, name="田中 花子", external_id="MRN-1001")
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": today_in(patient.timezone) - timedelta(days=30),
            "kind": "ucmsc",
            "route": "iv",
            "site": "静脈",
        },
    )
    record_checkin(
        patient,
        Actor(None, "patient"),
        {"pain": 4, "stiffness": 3, "adverse_event": True, "adverse_event_details": "発熱"},
        "email_link",
    )
    now = now_utc()
    dispatch_due(now)
    later = now + timedelta(hours=1)  # the send hour is midnight: the digest is due
    assert queue_digests(later) == 2
    dispatch_due(later)

    [alert, digest] = smtp_server.to(clinician.email)
    assert "有害事象" in alert["Subject"]
    assert "MRN-1001" in alert["Subject"]
    assert "経過確認" in digest["Subject"] or "フラグ" in digest["Subject"]
    for message in (alert, digest):
        for part in ("plain", "html"):
            body = message.get_body((part,)).get_content()
            text = readable_text(body) if part == "html" else body
            assert not english_left(text), (message["Subject"], part, english_left(text))
    [english_alert, english_digest] = smtp_server.to(admin.email)
    assert english_alert["Subject"].startswith("Adverse event reported")
    assert "Dear 管理 太郎" in english_digest.get_body(("plain",)).get_content()


# The markers pybabel extracts, as `make messages` passes them: N_ marks a service's message
# (tracker.messages), the lazy forms label made at import time, translated when shown.
KEYWORDS = ("_l", "N_", "lazy_gettext", "lazy_pgettext:1c,2", "lazy_ngettext:1,2")


def extracted_messages(folder):
    """What pybabel extracts from the code and templates, as `make messages` runs it."""
    template = folder / "messages.pot"
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
        + [*keywords, "-o", str(template), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as pot_file:
        return read_po(pot_file)


def test_every_message_in_the_catalogue_has_a_finished_japanese_translation(tmp_path):
    wanted = extracted_messages(tmp_path)
    with CATALOGUE.open("rb") as po_file:
        japanese = read_po(po_file)

    unfinished = []
    for message in wanted:
        if not message.id:
            continue
        found = japanese.get(message.id, context=message.context)
        strings = found.string if found is not None else None
        done = bool(strings) and (
            all(strings) if isinstance(strings, tuple | list) else bool(strings)
        )
        if not done or found.fuzzy:
            unfinished.append(message.id)
    assert len(wanted) > 500
    assert not unfinished, unfinished


def test_every_translation_is_of_a_message_the_code_marks(tmp_path):
    """`make messages` keeps only what extraction finds: a message looked up from a variable
    must be marked where it is written, or updating the catalogue would drop its Japanese."""
    extracted = {(message.context, message.id) for message in extracted_messages(tmp_path)}
    with CATALOGUE.open("rb") as po_file:
        japanese = read_po(po_file)
    unmarked = [
        message.id
        for message in japanese
        if message.id and (message.context, message.id) not in extracted
    ]
    assert not unmarked, unmarked
