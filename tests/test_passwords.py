"""Passwords: changing one's own, forgotten ones by email, and the policy."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.account_helpers import emailed_link, password_step, submit
from tests.conftest import DEFAULT_PASSWORD, log_in
from tests.helpers import audit_actions, isolated_client
from tracker.extensions import db
from tracker.models import PasswordReset, Reminder
from tracker.services.accounts import password_problem

NEW_PASSWORD = "lanterns along the canal"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def forgot(web, email: str):
    return submit(web, "/password/forgot", {"email": email})


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("eleven char", "at least 12"),
        ("qwertyuiop123", "most common"),
        ("PASSWORD1234", "most common"),
        ("aaaaaaaaaaaaaaaaaaaa", "most common"),
        ("x" * 201, "at most 200"),
        (NEW_PASSWORD, None),
    ],
)
def test_password_policy(app, password, problem):
    found = password_problem(password)

    assert (found is None) if problem is None else (problem in found)


def test_change_own_password_needs_the_current_one_and_ends_other_sessions(app, clinician):
    here, elsewhere = isolated_client(app), isolated_client(app)
    log_in(here, clinician.email)
    log_in(elsewhere, clinician.email)

    wrong = submit(
        here,
        "/account/password",
        {
            "current_password": "not it at all",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert "not correct" in wrong.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 200

    changed = submit(
        here,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )

    assert changed.status_code == 303
    assert here.get("/").status_code == 200  # this browser carries on
    assert elsewhere.get("/").status_code == 302  # every other session ended
    assert password_step(isolated_client(app), clinician.email, NEW_PASSWORD).status_code == 302
    assert "account.password_change" in audit_actions()


def test_new_password_must_follow_the_policy(logged_in):
    response = submit(
        logged_in,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "qwertyuiop123",
            "confirm": "qwertyuiop123",
        },
    )

    assert response.status_code == 200
    assert "most common" in response.get_data(as_text=True)


def test_forgot_reset_and_old_sessions_end(app, clinician, smtp_server):
    old_session = isolated_client(app)
    log_in(old_session, clinician.email)
    web = isolated_client(app)

    response = forgot(web, clinician.email)
    assert response.status_code == 303
    response.close()
    link = emailed_link(smtp_server, clinician.email, "/password/reset/")
    reset = submit(web, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert reset.status_code == 303
    assert old_session.get("/").status_code == 302
    assert password_step(isolated_client(app), clinician.email, DEFAULT_PASSWORD).status_code == 200
    assert password_step(isolated_client(app), clinician.email, NEW_PASSWORD).status_code == 302
    assert isolated_client(app).get(link).status_code == 410  # single use
    assert {"account.password_reset_requested", "account.password_reset"} <= set(audit_actions())


def test_forgot_answers_the_same_whether_or_not_the_address_exists(app, clinician, smtp_server):
    known = forgot(isolated_client(app), clinician.email)
    unknown = forgot(isolated_client(app), "nobody@example.org")
    known.close()
    unknown.close()

    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert smtp_server.to("nobody@example.org") == []
    assert len(smtp_server.to(clinician.email)) == 1


def test_reset_link_lasts_30_minutes(app, clinician, smtp_server):
    with time_machine.travel(NOW, tick=False):
        forgot(isolated_client(app), clinician.email).close()
    link = emailed_link(smtp_server, clinician.email, "/password/reset/")

    with time_machine.travel(NOW + timedelta(minutes=29), tick=False):
        assert isolated_client(app).get(link).status_code == 200
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        assert isolated_client(app).get(link).status_code == 410


def test_forgot_password_is_rate_limited_per_address(app, clinician):
    web = isolated_client(app)
    answers = [forgot(web, clinician.email).status_code for _ in range(4)]

    assert answers == [303, 303, 303, 429]
    assert len(db.session.scalars(select(PasswordReset)).all()) == 3


def test_tampered_reset_link_answers_400(app, clinician):
    assert isolated_client(app).get("/password/reset/not-a-token").status_code == 400
    assert db.session.scalar(select(Reminder)) is None
