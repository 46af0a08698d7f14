"""The emailed check-in link: one screen, in the patient's language, recorded only on POST."""

import base64
import json
import re
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token_from
from tests.helpers import add_reminder, count, isolated_client, row_counts
from tracker.extensions import db
from tracker.links import (
    LinkExpired,
    LinkInvalid,
    checkin_token,
    checkin_url,
    load_checkin_reminder,
    unsubscribe_token,
)
from tracker.models import CheckIn, Reminder
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.follow_up_schedule import opt_out
from tracker.services.treatments import record_treatment
from tracker.timeutil import now_utc, today_in

TRANSLATIONS = Path(__file__).resolve().parents[1] / "tracker" / "translations"
ANSWERS = {"pain": "3", "stiffness": "4", "morning_stiffness_minutes": "20", "adverse_event": "no"}


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogs if the install step has not (the .mo files are not committed)."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)


def patient_in_follow_up(clinic, clinician, days_ago: int = 14, **patient_values):
    """A patient treated days_ago, with the service-made reminders; return (patient, 2-week)."""
    patient = factories.PatientFactory(clinic=clinic, **patient_values)
    record_treatment(
        patient,
        Actor(clinician, "user"),
        {
            "treated_on": today_in(patient.timezone) - timedelta(days=days_ago),
            "kind": "adsc_cultured",
            "route": "intra_articular",
            "site": "left knee",
        },
    )
    reminder = db.session.scalar(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            Reminder.kind == "milestone",
            Reminder.milestone_weeks == 2,
        )
    )
    return patient, reminder


def path_of(url: str) -> str:
    return urlsplit(url).path


def send_checkin(web, url: str, answers: dict | None = None):
    """Open the link as a browser would, then send the form."""
    path = path_of(url)
    token = csrf_token_from(web.get(path))
    return web.post(path, data={**(answers or ANSWERS), "csrf_token": token})


def checkins_of(patient) -> list[CheckIn]:
    return list(db.session.scalars(select(CheckIn).where(CheckIn.patient_id == patient.id)))


@pytest.fixture
def web(app):
    return isolated_client(app)


@pytest.fixture
def followed(clinic, clinician):
    return patient_in_follow_up(clinic, clinician)


def test_link_is_absolute_and_carries_only_the_reminder_id(app, followed):
    patient, reminder = followed
    url = checkin_url(reminder)
    assert url.startswith("http://tracker.test/c/")
    payload = checkin_token(reminder).split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == reminder.id
    assert patient.email not in url and patient.name not in url


def test_form_shows_clinic_and_milestone_with_0_to_10_buttons(web, followed):
    _, reminder = followed
    response = web.get(path_of(checkin_url(reminder)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="en"' in page
    assert "Tokyo Knee Clinic" in page
    assert "2-week check-in" in page
    for name in ("pain", "stiffness", "swelling"):
        for value in range(11):
            assert f'name="{name}" value="{value}"' in page
    assert "Worst pain imaginable" in page
    assert "Worklist" not in page  # no clinician navigation on patient pages
    assert "style=" not in page and "<script>" not in page


def test_tampered_or_foreign_token_gets_a_clear_400_page(web, followed):
    patient, reminder = followed
    token = checkin_token(reminder)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", "1"):
        response = web.get(f"/c/{bad}")
        assert response.status_code == 400
        assert "This link does not work" in response.get_data(as_text=True)
    # A genuine token of another kind (the unsubscribe link) does not open the form.
    response = web.get(f"/c/{unsubscribe_token(patient)}")
    assert response.status_code == 400
    form_token = csrf_token_from(web.get(f"/c/{token}"))
    tampered = web.post(f"/c/{token[:-2]}xx", data={**ANSWERS, "csrf_token": form_token})
    assert tampered.status_code == 400
    assert count(CheckIn) == 0


def test_link_expires_when_the_window_closes(web, followed):
    _, reminder = followed
    path = path_of(checkin_url(reminder))
    with time_machine.travel(reminder.window_closes_at - timedelta(minutes=1), tick=False):
        form_page = web.get(path)
        assert form_page.status_code == 200
    with time_machine.travel(reminder.window_closes_at + timedelta(seconds=1), tick=False):
        response = web.get(path)
        assert response.status_code == 410
        assert "This check-in has closed" in response.get_data(as_text=True)
        assert "/portal/request" in response.get_data(as_text=True)
        posted = web.post(path, data={**ANSWERS, "csrf_token": csrf_token_from(form_page)})
        assert posted.status_code == 410
    assert count(CheckIn) == 0


def test_reminder_without_window_lives_14_days_after_it_is_due(app, followed):
    patient, milestone = followed
    confirmation = add_reminder(
        patient, now_utc(), kind="confirmation", treatment_id=milestone.treatment_id
    )
    token = checkin_token(confirmation)
    assert load_checkin_reminder(token, now_utc() + timedelta(days=13)) == confirmation
    with pytest.raises(LinkExpired):
        load_checkin_reminder(token, now_utc() + timedelta(days=14, seconds=1))


def test_only_check_in_reminders_have_check_in_links(app, followed):
    patient, _ = followed
    message = add_reminder(patient, now_utc(), kind="portal_link")
    with pytest.raises(LinkInvalid):
        load_checkin_reminder(checkin_token(message))


def test_opening_the_link_many_times_consumes_nothing(web, followed):
    _, reminder = followed
    before = row_counts()
    for _ in range(5):
        assert web.get(path_of(checkin_url(reminder))).status_code == 200
    assert row_counts() == before
    db.session.refresh(reminder)
    assert reminder.status == "scheduled"


def test_post_records_completes_the_milestone_and_shows_progress(web, followed):
    patient, reminder = followed
    response = send_checkin(web, checkin_url(reminder))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/thanks")

    [checkin] = checkins_of(patient)
    assert (checkin.pain, checkin.stiffness, checkin.morning_stiffness_minutes) == (3, 4, 20)
    assert checkin.source == "email_link"
    assert checkin.reminder_id == reminder.id
    assert checkin.swelling is None and checkin.adverse_event is False
    db.session.refresh(reminder)
    assert reminder.status == "completed"

    thanks = web.get(response.headers["Location"])
    page = thanks.get_data(as_text=True)
    assert thanks.status_code == 200
    assert "Thank you" in page
    assert "Your progress" in page
    assert '<svg class="progress-chart"' in page
    assert re.search(r'<td class="num">4</td>\s*<td class="num">3</td>', page)
    assert "Day 14" in page
    assert "/portal/request" in page


def test_reopening_the_link_after_checking_in_says_received(app, web, followed):
    patient, reminder = followed
    send_checkin(web, checkin_url(reminder))
    other_browser = isolated_client(app)
    response = other_browser.get(path_of(checkin_url(reminder)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Already received" in page
    assert "/portal/request" in page
    assert 'name="pain"' not in page
    # The progress is shown only to the browser that sent the check-in.
    thanks = other_browser.get(path_of(checkin_url(reminder)) + "/thanks")
    assert thanks.status_code == 303
    # Sending the same form again records nothing more.
    token = csrf_token_from(web.get("/portal/request"))
    again = web.post(path_of(checkin_url(reminder)), data={**ANSWERS, "csrf_token": token})
    assert again.status_code == 303
    assert len(checkins_of(patient)) == 1


def test_an_invalid_form_sent_after_the_answer_finds_the_answer_standing(web, followed):
    patient, reminder = followed
    send_checkin(web, checkin_url(reminder))
    token = csrf_token_from(web.get("/portal/request"))
    invalid = {**ANSWERS, "pain": "11", "csrf_token": token}
    again = web.post(path_of(checkin_url(reminder)), data=invalid)
    assert again.status_code == 303
    assert again.headers["Location"].endswith(path_of(checkin_url(reminder)))
    assert len(checkins_of(patient)) == 1


def test_the_nudge_link_says_received_after_the_milestone_was_answered(web, followed):
    patient, milestone = followed
    nudge = add_reminder(
        patient,
        now_utc(),
        kind="nudge",
        treatment_id=milestone.treatment_id,
        milestone_weeks=2,
        window_closes_at=milestone.window_closes_at,
    )
    send_checkin(web, checkin_url(milestone))
    assert "Already received" in web.get(path_of(checkin_url(nudge))).get_data(as_text=True)


def test_a_link_records_only_for_its_own_patient(app, web, clinic, clinician, followed):
    patient, reminder = followed
    other, other_reminder = patient_in_follow_up(clinic, clinician)
    record_checkin(
        other,
        Actor(None, "patient"),
        {"pain": 9, "stiffness": 8, "notes": "other's secret"},
        "portal",
    )
    response = send_checkin(
        web, checkin_url(reminder), {**ANSWERS, "patient_id": str(other.id), "notes": "mine"}
    )
    assert response.status_code == 303
    assert [c.notes for c in checkins_of(patient)] == ["mine"]
    assert [c.notes for c in checkins_of(other)] == ["other's secret"]
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert '<td class="num">8</td>' not in page and '<td class="num">9</td>' not in page
    # A's thank-you page cannot be reached with B's link.
    assert web.get(path_of(checkin_url(other_reminder)) + "/thanks").status_code == 303


def test_japanese_patient_gets_the_page_in_japanese(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician, language="ja")
    response = web.get(path_of(checkin_url(reminder)), headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="ja"' in page
    assert "痛み" in page and "朝のこわばり" in page and "腫れ" in page
    assert "2週間後の経過確認" in page
    assert "副作用・気になる症状" in page
    assert "Pain" not in page


def test_japanese_errors_and_thanks(web, clinic, clinician):
    patient, reminder = patient_in_follow_up(clinic, clinician, language="ja")
    refused = send_checkin(web, checkin_url(reminder), {"stiffness": "4"})
    assert "0から10までの数字を選んでください。" in refused.get_data(as_text=True)
    response = send_checkin(web, checkin_url(reminder))
    thanks = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "ありがとうございました" in thanks
    assert "14日目" in thanks


def test_post_without_csrf_token_is_refused_and_writes_nothing(web, followed):
    _, reminder = followed
    before = row_counts()
    response = web.post(path_of(checkin_url(reminder)), data=ANSWERS)
    assert response.status_code == 400
    assert "This page was open too long" in response.get_data(as_text=True)
    assert row_counts() == before


def test_invalid_answers_are_shown_and_nothing_is_written(web, followed):
    patient, reminder = followed
    before = row_counts()
    response = send_checkin(
        web,
        checkin_url(reminder),
        {
            "pain": "11",
            "stiffness": "abc",
            "swelling": "-1",
            "morning_stiffness_minutes": "2000",
            "adverse_event": "yes",
            "adverse_event_details": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please check the answers marked below." in page
    # Once beside each of the three questions (and once more each in the summary on top).
    assert page.count("Please choose a number from 0 to 10.</p>") == 3
    assert "Please enter the minutes as a whole number from 0 to 1440." in page
    assert "Please tell us briefly what happened." in page
    assert row_counts() == before
    db.session.refresh(reminder)
    assert reminder.status == "scheduled"


def test_adverse_event_is_recorded_and_the_patient_is_told_what_to_do(web, followed):
    patient, reminder = followed
    response = send_checkin(
        web,
        checkin_url(reminder),
        {**ANSWERS, "adverse_event": "yes", "adverse_event_details": "Knee hot and swollen"},
    )
    [checkin] = checkins_of(patient)
    assert checkin.adverse_event is True
    assert checkin.adverse_event_details == "Knee hot and swollen"
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "call your clinic or your local emergency number" in page


def test_details_typed_before_answering_no_are_not_a_report(web, followed):
    patient, reminder = followed
    send_checkin(
        web,
        checkin_url(reminder),
        {**ANSWERS, "adverse_event": "no", "adverse_event_details": "typed then changed mind"},
    )
    [checkin] = checkins_of(patient)
    assert checkin.adverse_event is False and checkin.adverse_event_details == ""


def test_long_notes_are_refused_and_patient_text_is_escaped(web, followed):
    _, reminder = followed
    response = send_checkin(
        web,
        checkin_url(reminder),
        {**ANSWERS, "notes": "<script>alert(1)</script>" + "x" * 4000, "minutes": "<b>"},
    )
    page = response.get_data(as_text=True)
    assert "Please keep this under 4000 characters." in page
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert count(CheckIn) == 0


def test_opted_out_patient_can_still_check_in(web, followed):
    patient, reminder = followed
    opt_out(patient, now_utc())
    db.session.commit()
    assert send_checkin(web, checkin_url(reminder)).status_code == 303
    assert len(checkins_of(patient)) == 1


def test_problem_pages_speak_the_patients_language_when_it_is_known(web, clinic, clinician):
    _, reminder = patient_in_follow_up(clinic, clinician, language="ja")
    path = path_of(checkin_url(reminder))
    no_csrf = web.post(path, data=ANSWERS)
    assert no_csrf.status_code == 400
    assert "ページの有効期限が切れました" in no_csrf.get_data(as_text=True)
    with time_machine.travel(reminder.window_closes_at + timedelta(seconds=1), tick=False):
        expired = web.get(path)
    assert expired.status_code == 410
    assert "この経過確認の受付は終了しました" in expired.get_data(as_text=True)
    assert 'lang="ja"' in expired.get_data(as_text=True)
    # A tampered link names nobody: the browser's language decides.
    tampered = web.get(path + "x", headers={"Accept-Language": "ja,en;q=0.5"})
    assert "このリンクは使用できません" in tampered.get_data(as_text=True)


def test_two_taps_at_once_record_one_check_in(app, backend, followed):
    patient, reminder = followed
    path = path_of(checkin_url(reminder))
    browsers = [isolated_client(app), isolated_client(app)]
    tokens = [csrf_token_from(browser.get(path)) for browser in browsers]
    start = threading.Barrier(len(browsers))
    statuses = []

    def tap(browser, token):
        start.wait()
        statuses.append(browser.post(path, data={**ANSWERS, "csrf_token": token}).status_code)

    threads = [
        threading.Thread(target=tap, args=pair) for pair in zip(browsers, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [303, 303]
    assert len(checkins_of(patient)) == 1


def test_a_nul_character_is_refused_not_a_server_error(web, followed):
    _, reminder = followed
    response = send_checkin(web, checkin_url(reminder), {**ANSWERS, "notes": "ok\x00no"})
    assert response.status_code == 200
    assert "Please check this answer." in response.get_data(as_text=True)
    assert count(CheckIn) == 0
