"""Two-factor sign-in: enrolment, codes at a frozen time, replay, limits, recovery codes."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.account_helpers import code_for, password_step, submit
from tests.conftest import log_in
from tests.helpers import audit_actions, isolated_client
from tracker.extensions import db
from tracker.models import RecoveryCode, User

NOW = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step
SECRET = pyotp.random_base32()


@pytest.fixture(autouse=True)
def clock(app):
    """Every test runs at NOW, frozen: signed cookies and codes share one clock."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def logged_in(app, clock, clinician):
    web = isolated_client(app)
    assert log_in(web, clinician.email).status_code == 302
    return web


@pytest.fixture
def enrolled(clinic):
    return factories.UserFactory(
        clinic=clinic, email="enrolled@example.org", totp_secret=SECRET, totp_enabled_at=NOW
    )


def second_step(web, code: str):
    return submit(web, "/login/two-factor", {"code": code})


def test_enrolment_shows_an_svg_qr_code_and_recovery_codes_once(app, logged_in, clinician):
    page = logged_in.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page
    db.session.expire_all()
    secret = db.session.get(User, clinician.id).totp_secret
    assert secret in page

    wrong = submit(logged_in, "/account/two-factor", {"code": "000000"})
    assert "not right" in wrong.get_data(as_text=True)
    done = submit(logged_in, "/account/two-factor", {"code": code_for(secret, NOW)})

    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert done.headers["Cache-Control"] == "no-store"
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    db.session.expire_all()
    assert db.session.get(User, clinician.id).has_two_factor
    assert "account.two_factor_enabled" in audit_actions()


def test_sign_in_asks_for_the_code_after_the_password(app, enrolled):
    web = isolated_client(app)
    response = password_step(web, enrolled.email)
    assert response.headers["Location"] == "/login/two-factor"
    assert web.get("/").status_code == 302  # not signed in yet

    done = second_step(web, code_for(SECRET, NOW))

    assert done.status_code == 302
    assert web.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, enrolled.id).last_login_at is not None


def test_code_of_the_previous_window_is_accepted(app, enrolled):
    web = isolated_client(app)
    password_step(web, enrolled.email)
    done = second_step(web, code_for(SECRET, NOW - timedelta(seconds=30)))

    assert done.status_code == 302


def test_code_two_windows_old_is_refused(app, enrolled):
    web = isolated_client(app)
    password_step(web, enrolled.email)
    refused = second_step(web, code_for(SECRET, NOW - timedelta(seconds=60)))

    assert refused.status_code == 200
    assert "not right" in refused.get_data(as_text=True)
    assert "auth.second_factor_failed" in audit_actions()


def test_a_used_code_is_refused_in_its_window(app, clock, enrolled):
    code = code_for(SECRET, NOW)
    first, second = isolated_client(app), isolated_client(app)
    password_step(first, enrolled.email)
    assert second_step(first, code).status_code == 302
    clock.move_to(NOW + timedelta(seconds=15))
    password_step(second, enrolled.email)
    replay = second_step(second, code)

    assert replay.status_code == 200
    assert second.get("/").status_code == 302


def test_codes_are_rate_limited(app, enrolled):
    web = isolated_client(app)
    password_step(web, enrolled.email)
    answers = [second_step(web, "000000").status_code for _ in range(5)]
    locked = second_step(web, code_for(SECRET, NOW))

    assert answers == [200] * 5
    assert locked.status_code == 429
    assert web.get("/").status_code == 302


def test_a_recovery_code_works_once(app, logged_in, clinician):
    logged_in.get("/account/two-factor")
    db.session.expire_all()
    secret = db.session.get(User, clinician.id).totp_secret
    page = submit(logged_in, "/account/two-factor", {"code": code_for(secret, NOW)})
    [code, *_] = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.get_data(as_text=True))

    first, second = isolated_client(app), isolated_client(app)
    password_step(first, clinician.email)
    assert second_step(first, code.upper().replace("-", " ")).status_code == 302
    password_step(second, clinician.email)
    assert second_step(second, code).status_code == 200
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None)))


def test_required_two_factor_leads_to_enrolment_at_sign_in(app, clinician, clinic):
    clinic.require_two_factor = True
    db.session.commit()
    web = isolated_client(app)

    response = password_step(web, clinician.email)
    assert response.headers["Location"] == "/login/enrol"
    assert web.get("/").status_code == 302
    page = web.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and "requires two-factor" in page
    db.session.expire_all()
    secret = db.session.get(User, clinician.id).totp_secret
    done = submit(web, "/login/enrol", {"code": code_for(secret, NOW)})

    assert done.status_code == 200
    assert (
        len(re.findall(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", done.get_data(as_text=True))) == 10
    )
    assert web.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, clinician.id).has_two_factor


def test_admin_makes_two_factor_required(app, admin, clinic):
    web = isolated_client(app)
    log_in(web, admin.email)

    submit(web, "/admin/staff/two-factor", {"required": "y"}, "/admin/staff")

    db.session.expire_all()
    assert db.session.get(type(clinic), clinic.id).require_two_factor
    assert "clinic.two_factor_required" in audit_actions()


def test_two_factor_cannot_be_turned_off_when_the_clinic_requires_it(app, enrolled, clinic):
    clinic.require_two_factor = True
    db.session.commit()
    web = isolated_client(app)
    password_step(web, enrolled.email)
    second_step(web, code_for(SECRET, NOW))

    refused = submit(web, "/account/two-factor/off", {"password": "correct horse battery staple"})

    assert "requires two-factor" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, enrolled.id).has_two_factor


def test_pending_sign_in_lapses_after_ten_minutes(app, clock, enrolled):
    web = isolated_client(app)
    password_step(web, enrolled.email)
    later = NOW + timedelta(minutes=11)
    clock.move_to(later)
    response = web.get("/login/two-factor")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
