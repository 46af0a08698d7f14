"""The patient portal: magic links that open once, one patient's history, ad-hoc check-ins."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from tests import factories
from tests.conftest import csrf_token_from
from tests.helpers import count, isolated_client, row_counts
from tests.test_checkin_link import (
    ANSWERS,
    compiled_translations,  # noqa: F401  (an autouse fixture)
    patient_in_follow_up,
)
from tracker import links
from tracker.extensions import db
from tracker.links import (
    LinkUsed,
    checkin_token,
    portal_token,
    portal_url,
    redeem_portal_link,
)
from tracker.models import CheckIn, PortalLink, Reminder
from tracker.services.actors import Actor
from tracker.services.checkins import record_checkin
from tracker.services.notifications import queue_portal_link
from tracker.timeutil import now_utc


@pytest.fixture
def web(app):
    return isolated_client(app)


@pytest.fixture
def followed(clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician, email="hanako@example.org")
    return patient


def new_portal_link(patient) -> PortalLink:
    message = queue_portal_link(patient.id, patient.clinic_id, 30, now_utc())
    db.session.commit()
    return db.session.get(PortalLink, message.payload["portal_link_id"])


def sign_in(web, patient) -> None:
    """Open a fresh portal link and press the button, as the patient would."""
    path = f"/p/{portal_token(new_portal_link(patient))}"
    response = web.post(path, data={"csrf_token": csrf_token_from(web.get(path))})
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal"


def ask_for_link(web, email: str):
    token = csrf_token_from(web.get("/portal/request"))
    return web.post("/portal/request", data={"email": email, "csrf_token": token})


def portal_messages() -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.kind == "portal_link")))


def test_request_answers_the_same_whether_or_not_the_address_is_known(app, followed):
    known = ask_for_link(isolated_client(app), "Hanako@Example.org ")
    unknown = ask_for_link(isolated_client(app), "nobody@example.org")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    known_page = isolated_client(app).get(known.headers["Location"]).get_data(as_text=True)
    unknown_page = isolated_client(app).get(unknown.headers["Location"]).get_data(as_text=True)
    assert known_page == unknown_page
    assert "If this address is known to your clinic, a link is on its way." in known_page

    [message] = portal_messages()
    assert message.patient_id == followed.id
    assert message.status == "scheduled"
    link = db.session.get(PortalLink, message.payload["portal_link_id"])
    assert link.patient_id == followed.id and link.used_at is None
    assert link.expires_at == link.created_at + timedelta(minutes=30)


def test_request_queues_a_link_for_each_patient_with_the_address(
    web, followed, other_clinic, clinician
):
    twin = factories.PatientFactory(clinic=other_clinic, email="hanako@example.org")
    ask_for_link(web, "hanako@example.org")
    assert sorted(m.patient_id for m in portal_messages()) == sorted([followed.id, twin.id])


def test_request_refuses_what_is_not_an_email_address(web, followed):
    response = ask_for_link(web, "hanako")
    assert response.status_code == 200
    assert "Please enter a valid email address." in response.get_data(as_text=True)
    assert portal_messages() == []


def test_requests_for_one_address_are_rate_limited(web, followed):
    for _ in range(3):
        assert ask_for_link(web, "hanako@example.org").status_code == 303
    refused = ask_for_link(web, "hanako@example.org")
    assert refused.status_code == 429
    assert "Please wait a few minutes" in refused.get_data(as_text=True)
    assert len(portal_messages()) == 3


def test_requests_from_one_ip_are_rate_limited(web, followed):
    for n in range(5):
        assert ask_for_link(web, f"someone{n}@example.org").status_code == 303
    assert ask_for_link(web, "hanako@example.org").status_code == 429
    assert portal_messages() == []


def test_opening_a_portal_link_needs_a_post_and_works_once(app, web, followed):
    link = new_portal_link(followed)
    path = path_of_link(link)
    confirm = web.get(path)
    assert confirm.status_code == 200
    assert "Open my follow-up" in confirm.get_data(as_text=True)
    web.get(path)
    db.session.refresh(link)
    assert link.used_at is None  # mail scanners only GET

    response = web.post(path, data={"csrf_token": csrf_token_from(confirm)})
    assert response.status_code == 303
    db.session.refresh(link)
    assert link.used_at is not None
    assert web.get("/portal").status_code == 200

    second = isolated_client(app)
    for attempt in (second.get(path), web.get(path)):
        assert attempt.status_code == 410
        page = attempt.get_data(as_text=True)
        assert "This link was used already" in page
        assert "/portal/request" in page
    token = csrf_token_from(second.get("/portal/request"))
    assert second.post(path, data={"csrf_token": token}).status_code == 410
    assert second.get("/portal").status_code == 302


def path_of_link(link: PortalLink) -> str:
    url = portal_url(link)
    assert url.startswith("http://tracker.test/p/")
    return url.removeprefix("http://tracker.test")


def test_a_portal_link_expires(web, followed):
    link = new_portal_link(followed)
    path = path_of_link(link)
    with time_machine.travel(link.expires_at - timedelta(minutes=1), tick=False):
        confirm = web.get(path)
        assert confirm.status_code == 200
    with time_machine.travel(link.expires_at + timedelta(seconds=1), tick=False):
        response = web.get(path)
        assert response.status_code == 410
        assert "This link has expired" in response.get_data(as_text=True)
        posted = web.post(path, data={"csrf_token": csrf_token_from(confirm)})
        assert posted.status_code == 410
    db.session.refresh(link)
    assert link.used_at is None


def test_tampered_or_foreign_portal_token_gets_400(web, clinic, clinician):
    patient, reminder = patient_in_follow_up(clinic, clinician)
    token = portal_token(new_portal_link(patient))
    for bad in (token[:-3] + "abc", "x", checkin_token(reminder)):
        response = web.get(f"/p/{bad}")
        assert response.status_code == 400
        assert "This link does not work" in response.get_data(as_text=True)


def test_redeeming_is_a_compare_and_set(app, followed, monkeypatch):
    link = new_portal_link(followed)
    token = portal_token(link)
    # Another request redeems the link between our read and our write.
    db.session.execute(update(PortalLink).values(used_at=now_utc()))
    db.session.commit()
    monkeypatch.setattr(links, "load_portal_link", lambda token, now=None: link)
    with pytest.raises(LinkUsed):
        redeem_portal_link(token)


def test_portal_shows_only_the_signed_in_patients_history(web, clinic, clinician, followed):
    other, _ = patient_in_follow_up(clinic, clinician, email="other@example.org")
    actor = Actor(None, "patient")
    record_checkin(followed, actor, {"pain": 1, "stiffness": 2}, "email_link")
    record_checkin(other, actor, {"pain": 9, "stiffness": 8}, "email_link")
    sign_in(web, followed)
    page = web.get("/portal").get_data(as_text=True)
    assert '<td class="num">2</td>' in page and '<td class="num">1</td>' in page
    assert '<td class="num">9</td>' not in page and '<td class="num">8</td>' not in page
    assert other.name not in page


def test_portal_check_in_is_recorded_for_the_session_patient_only(web, clinic, clinician, followed):
    other, _ = patient_in_follow_up(clinic, clinician, email="other@example.org")
    sign_in(web, followed)
    token = csrf_token_from(web.get("/portal"))
    response = web.post(
        "/portal/checkin",
        data={**ANSWERS, "patient_id": str(other.id), "csrf_token": token},
    )
    assert response.status_code == 303
    [checkin] = db.session.scalars(select(CheckIn)).all()
    assert checkin.patient_id == followed.id
    assert checkin.source == "portal"
    assert checkin.reminder_id is None
    page = web.get("/portal").get_data(as_text=True)
    assert "Thank you. Your check-in was recorded." in page


def test_portal_check_in_errors_are_shown_and_nothing_is_written(web, followed):
    sign_in(web, followed)
    token = csrf_token_from(web.get("/portal"))
    before = row_counts()
    response = web.post("/portal/checkin", data={"pain": "12", "csrf_token": token})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("Please choose a number from 0 to 10.</p>") == 2  # beside each question
    assert row_counts() == before
    assert web.post("/portal/checkin", data=ANSWERS).status_code == 400  # no CSRF token
    assert row_counts() == before


def test_portal_needs_a_session(web, followed):
    assert web.get("/portal").headers["Location"] == "/portal/request"
    token = csrf_token_from(web.get("/portal/request"))
    response = web.post("/portal/checkin", data={**ANSWERS, "csrf_token": token})
    assert response.status_code == 302
    assert count(CheckIn) == 0


def test_sign_out_ends_the_portal_session(web, followed):
    sign_in(web, followed)
    token = csrf_token_from(web.get("/portal"))
    response = web.post("/portal/logout", data={"csrf_token": token})
    assert response.status_code == 303
    signed_out = web.get(response.headers["Location"])
    assert "You are signed out" in signed_out.get_data(as_text=True)
    assert web.get("/portal").status_code == 302


def test_portal_session_lasts_12_hours(web, followed):
    sign_in(web, followed)
    with time_machine.travel(now_utc() + timedelta(hours=11, minutes=59), tick=False):
        assert web.get("/portal").status_code == 200
    with time_machine.travel(now_utc() + timedelta(hours=12, minutes=1), tick=False):
        assert web.get("/portal").status_code == 302


def test_portal_speaks_the_patients_language(web, clinic, clinician):
    patient, _ = patient_in_follow_up(clinic, clinician, language="ja")
    link = new_portal_link(patient)
    confirm = web.get(path_of_link(link)).get_data(as_text=True)
    assert "経過記録ページを開く" in confirm
    sign_in(web, patient)
    page = web.get("/portal").get_data(as_text=True)
    assert 'lang="ja"' in page
    assert "痛み" in page and "今日の状態を記録する" in page


def test_request_page_follows_the_language_asked_for(web):
    assert "メールアドレス" in web.get("/portal/request?lang=ja").get_data(as_text=True)
    page = web.get("/portal/request", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "メールアドレス" in page
    assert "Email address" in web.get("/portal/request").get_data(as_text=True)


def test_portal_link_minutes_come_from_the_config(app, web, followed, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_LINK_MINUTES", 45)
    page = web.get("/portal/sent").get_data(as_text=True)
    assert "for 45 minutes" in page


def test_a_nul_character_in_the_address_is_refused_not_a_server_error(web, followed):
    response = ask_for_link(web, "hanako\x00@example.org")
    assert response.status_code == 200
    assert "Please enter a valid email address." in response.get_data(as_text=True)
    assert portal_messages() == []


def test_link_is_emailed_by_the_web_process_once_the_answer_is_sent(app, smtp_server, followed):
    response = ask_for_link(isolated_client(app), "hanako@example.org")
    [message] = portal_messages()
    assert message.status == "scheduled"  # nothing is sent before the answer has gone out
    assert smtp_server.messages == []

    response.close()  # what the WSGI server does after writing the answer

    db.session.expire_all()
    assert portal_messages()[0].status == "sent"
    [email] = smtp_server.to("hanako@example.org")
    assert "/p/" in email.get_body(preferencelist=("plain",)).get_content()


def test_failed_immediate_send_is_left_to_the_dispatcher(app, smtp_server, followed):
    smtp_server.stop()
    response = ask_for_link(isolated_client(app), "hanako@example.org")
    response.close()
    db.session.expire_all()
    [message] = portal_messages()
    assert message.status == "retry" and message.attempts == 1
