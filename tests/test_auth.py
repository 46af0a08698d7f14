"""Clinician sign-in: passwords, sessions, CSRF, rate limits, redirects and production settings."""

import hashlib
from datetime import timedelta

import pytest
import time_machine

from config import DEVELOPMENT_SECRET_KEY, ProductionConfig
from tests import factories
from tests.conftest import CSRF_PATTERN, DEFAULT_PASSWORD, csrf_token_from, log_in
from tests.helpers import IsolatedClient, count, isolated_client
from tracker import create_app
from tracker.extensions import db
from tracker.models import AuditEvent, Patient, User
from tracker.timeutil import now_utc

FAILED_LOGIN_MESSAGE = "That email and password do not match an active account."
GOOD_SECRET = "x" * 40
POSTGRES_URI = "postgresql+psycopg://tracker@db.internal/tracker"
REDIS_URI = "redis://127.0.0.1:6379/0"


def is_signed_in(client) -> bool:
    """A signed-in clinician gets the worklist; anyone else is sent to /login."""
    return client.get("/").status_code == 200


def login_post(client, email: str, password: str, query_string=None, remote_addr=None):
    environ_base = {"REMOTE_ADDR": remote_addr or "127.0.0.1"}
    token = csrf_token_from(client.get("/login", environ_base=environ_base))
    return client.post(
        "/login",
        query_string=query_string,
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ_base,
    )


# Sign-in and sign-out


def test_right_password_signs_in_and_redirects_to_the_worklist(client, clinician):
    response = log_in(client, clinician.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_sign_in_records_last_login_time(client, clinician):
    assert clinician.last_login_at is None

    log_in(client, clinician.email)

    db.session.expire_all()
    assert db.session.get(User, clinician.id).last_login_at is not None


def test_email_is_matched_without_regard_to_case(client, clinician):
    response = log_in(client, "Doctor@EXAMPLE.org")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_wrong_password_is_refused_with_a_generic_message(client, clinician):
    response = log_in(client, clinician.email, "not the password at all")

    assert response.status_code == 200
    assert FAILED_LOGIN_MESSAGE in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(client, clinician):
    wrong_password = log_in(client, clinician.email, "not the password at all")
    unknown_account = log_in(client, "nobody@example.org", "not the password at all")

    assert wrong_password.status_code == unknown_account.status_code == 200
    wrong_page = wrong_password.get_data(as_text=True)
    unknown_page = unknown_account.get_data(as_text=True)
    assert FAILED_LOGIN_MESSAGE in wrong_page
    assert FAILED_LOGIN_MESSAGE in unknown_page
    # Apart from the echoed email and the CSRF token, the pages are identical.
    assert without_email_and_token(wrong_page, clinician.email) == without_email_and_token(
        unknown_page, "nobody@example.org"
    )
    for revealing in ("no account", "not found", "unknown", "does not exist", "no such"):
        assert revealing not in unknown_page.lower()


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Count the scrypt computations (werkzeug's password hashing), still doing each one."""
    calls = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(*args, **kwargs):
        calls.append(1)
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    return calls


@pytest.mark.parametrize(
    "email", ["nobody@example.org", "left@example.org"], ids=["unknown", "inactive"]
)
def test_refused_account_costs_a_password_hash_like_a_wrong_password(
    client, clinic, scrypt_calls, email
):
    """Answering faster for an unknown or inactive account would reveal it by timing."""
    factories.UserFactory(clinic=clinic, email="left@example.org", active=False)
    log_in(client, email, "a guess")  # warm-up: the first unknown-account check makes its hash
    scrypt_calls.clear()

    log_in(client, email, "another guess")

    assert len(scrypt_calls) == 1


def without_email_and_token(page: str, email: str) -> str:
    token = CSRF_PATTERN.search(page).group(1)
    return page.replace(email, "EMAIL").replace(token, "TOKEN")


def test_inactive_user_with_the_right_password_is_refused(client, clinic):
    user = factories.UserFactory(clinic=clinic, email="left@example.org", active=False)

    response = log_in(client, user.email)

    assert response.status_code == 200
    assert FAILED_LOGIN_MESSAGE in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_user_made_inactive_loses_the_session_already_open(logged_in, clinician):
    clinician.active = False
    db.session.commit()

    response = logged_in.get("/patients")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_by_get_is_not_allowed(logged_in):
    response = logged_in.get("/logout")

    assert response.status_code == 405
    assert is_signed_in(logged_in)


def test_logout_without_csrf_token_is_refused(logged_in):
    response = logged_in.post("/logout")

    assert response.status_code == 400
    assert is_signed_in(logged_in)


def test_logout_with_csrf_token_signs_out(logged_in):
    token = csrf_token_from(logged_in.get("/"))

    response = logged_in.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not is_signed_in(logged_in)


def sign_in_remembered(client, email: str, password: str = DEFAULT_PASSWORD):
    token = csrf_token_from(client.get("/login"))
    return client.post(
        "/login",
        data={"email": email, "password": password, "remember": "y", "csrf_token": token},
    )


def sign_out(client):
    token = csrf_token_from(client.get("/"))
    return client.post("/logout", data={"csrf_token": token})


def replay(app, name: str, value: str):
    """A new browser holding only one cookie copied from another (as a thief would)."""
    thief = isolated_client(app)
    thief.set_cookie(name, value)
    return thief


def assert_sent_to_sign_in(client):
    response = client.get("/patients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_session_cookie_captured_before_logout_no_longer_works(app, client, clinician):
    log_in(client, clinician.email)
    captured = client.get_cookie("session").value
    assert replay(app, "session", captured).get("/patients").status_code == 200

    sign_out(client)

    assert_sent_to_sign_in(replay(app, "session", captured))


def test_remember_cookie_captured_before_logout_no_longer_works(app, client, clinician):
    sign_in_remembered(client, clinician.email)
    captured = client.get_cookie("remember_token").value
    assert replay(app, "remember_token", captured).get("/patients").status_code == 200

    sign_out(client)

    assert_sent_to_sign_in(replay(app, "remember_token", captured))


def test_logout_ends_the_sessions_on_other_devices_too(app, clinician):
    phone, desk = isolated_client(app), isolated_client(app)
    log_in(phone, clinician.email)
    sign_in_remembered(desk, clinician.email)

    sign_out(phone)

    assert_sent_to_sign_in(desk)


def test_signing_in_again_after_logout_works(client, clinician):
    log_in(client, clinician.email)
    sign_out(client)

    assert log_in(client, clinician.email).status_code == 302
    assert is_signed_in(client)


def test_password_change_ends_every_open_session(app, clinician):
    browser, remembered = isolated_client(app), isolated_client(app)
    log_in(browser, clinician.email)
    sign_in_remembered(remembered, clinician.email)
    remember_cookie = remembered.get_cookie("remember_token").value

    result = app.test_cli_runner().invoke(
        args=["set-password", clinician.email, "--password-stdin"],
        input="a brand new passphrase\n",
    )

    assert result.exit_code == 0, result.output
    assert_sent_to_sign_in(browser)
    assert_sent_to_sign_in(remembered)
    assert_sent_to_sign_in(replay(app, "remember_token", remember_cookie))
    assert log_in(isolated_client(app), clinician.email).status_code == 200
    assert (
        log_in(isolated_client(app), clinician.email, "a brand new passphrase").status_code == 302
    )


def test_set_password_rotates_the_session_token(clinician):
    before = clinician.session_token

    clinician.set_password("another long passphrase")

    assert clinician.session_token != before
    assert clinician.get_id() == clinician.session_token


def test_session_cookie_does_not_carry_the_user_id(client, clinician):
    """Flask-Login keeps get_id() in the session: the random token, never the guessable row id."""
    log_in(client, clinician.email)

    with client.session_transaction() as session:
        assert session["_user_id"] == clinician.session_token
        assert session["_user_id"] != str(clinician.id)


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_set_password_refuses_a_short_password_and_keeps_the_session(
    app, client, clinician, password
):
    log_in(client, clinician.email)

    result = app.test_cli_runner().invoke(
        args=["set-password", clinician.email, "--password-stdin"], input=password + "\n"
    )

    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert is_signed_in(client)


def test_set_password_for_an_unknown_user_fails(app, clinician):
    result = app.test_cli_runner().invoke(
        args=["set-password", "nobody@example.org", "--password-stdin"],
        input="a brand new passphrase\n",
    )

    assert result.exit_code == 1
    assert "No user with the email nobody@example.org" in result.stderr


# CSRF


def test_login_without_csrf_token_is_refused_and_signs_nobody_in(client, clinician):
    client.get("/login")  # a session exists, only the token is missing

    response = client.post("/login", data={"email": clinician.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 400
    assert not is_signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, clinician.id).last_login_at is None


def test_login_with_a_forged_csrf_token_is_refused(client, clinician):
    client.get("/login")

    response = client.post(
        "/login",
        data={"email": clinician.email, "password": DEFAULT_PASSWORD, "csrf_token": "forged"},
    )

    assert response.status_code == 400
    assert not is_signed_in(client)


def test_new_patient_without_csrf_token_is_refused_and_writes_nothing(logged_in):
    audit_events = count(AuditEvent)

    response = logged_in.post(
        "/patients/new",
        data={"external_id": "MRN-1", "name": "Hanako Tanaka", "language": "en"},
    )

    assert response.status_code == 400
    assert count(Patient) == 0
    assert count(AuditEvent) == audit_events


# Rate limits


def test_sixth_bad_attempt_on_one_account_is_rate_limited(client, clinician):
    for attempt in range(5):
        response = log_in(client, clinician.email, f"wrong password {attempt}")
        assert response.status_code == 200, f"attempt {attempt + 1}"

    response = log_in(client, clinician.email, "wrong password 6")

    assert response.status_code == 429


def test_rate_limited_account_stays_locked_even_with_the_right_password(client, clinician):
    for attempt in range(5):
        log_in(client, clinician.email, f"wrong password {attempt}")

    response = log_in(client, clinician.email)

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_six_successful_sign_ins_in_a_row_all_succeed(client, clinician):
    """A clinician signing in and out through the day is not an attack: only failures count."""
    for attempt in range(6):
        response = log_in(client, clinician.email)
        assert response.status_code == 302, f"sign-in {attempt + 1}"
        sign_out(client)


def test_many_colleagues_signing_in_from_one_address_are_not_limited(client, clinic):
    """A clinic's staff share one address behind its router; their sign-ins are not guesses."""
    for number in range(21):
        user = factories.UserFactory(clinic=clinic, email=f"staff{number}@example.org")
        response = log_in(client, user.email)
        assert response.status_code == 302, f"colleague {number + 1}"
        sign_out(client)


def test_only_failures_count_towards_the_account_limit(client, clinician):
    for attempt in range(4):
        log_in(client, clinician.email, f"wrong password {attempt}")
    for _ in range(3):
        assert log_in(client, clinician.email).status_code == 302
        sign_out(client)
    assert log_in(client, clinician.email, "wrong password 5").status_code == 200

    assert log_in(client, clinician.email).status_code == 429


def test_locked_out_page_says_how_long_to_wait(client, clinician):
    with time_machine.travel(now_utc(), tick=False) as traveller:
        for attempt in range(5):
            log_in(client, clinician.email, f"wrong password {attempt}")
        traveller.shift(timedelta(minutes=3))

        response = log_in(client, clinician.email)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "420"
    assert "Please wait 7 minutes and try again." in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_locked_out_page_says_how_long_to_wait_in_japanese(client, clinician):
    japanese = {"Accept-Language": "ja"}
    with time_machine.travel(now_utc(), tick=False) as traveller:
        for attempt in range(5):
            log_in(client, clinician.email, f"wrong password {attempt}")
        traveller.shift(timedelta(minutes=9, seconds=30))

        token = csrf_token_from(client.get("/login"))
        response = client.post(
            "/login",
            data={"email": clinician.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
            headers=japanese,
        )

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "1分ほど待ってから、もう一度お試しください。" in page
    assert 'lang="ja"' in page


def test_account_limit_ignores_the_case_of_the_email(client, clinician):
    for attempt, email in enumerate(
        ["doctor@example.org", "Doctor@example.org", "DOCTOR@EXAMPLE.ORG"] * 2
    ):
        response = log_in(client, email, "wrong password")
        expected = 429 if attempt == 5 else 200
        assert response.status_code == expected, f"attempt {attempt + 1} with {email}"


def test_account_limit_does_not_lock_other_accounts(client, clinician, admin):
    for attempt in range(6):
        locked = log_in(client, clinician.email, f"wrong password {attempt}")
    assert locked.status_code == 429

    response = log_in(client, admin.email)

    assert response.status_code == 302


def test_account_limit_lifts_after_the_window(client, clinician):
    with time_machine.travel(now_utc(), tick=False) as traveller:
        for attempt in range(6):
            log_in(client, clinician.email, f"wrong password {attempt}")
        assert log_in(client, clinician.email).status_code == 429

        traveller.shift(timedelta(minutes=11))

        assert log_in(client, clinician.email).status_code == 302


def test_twenty_first_attempt_from_one_ip_is_rate_limited(client, clinician):
    for attempt in range(20):
        response = log_in(client, f"guess{attempt}@example.org", "wrong password")
        assert response.status_code == 200, f"attempt {attempt + 1}"

    response = log_in(client, clinician.email)

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_ip_limit_does_not_lock_another_ip(app, clinician):
    attacker = isolated_client(app)
    for attempt in range(21):
        locked = login_post(
            attacker,
            f"guess{attempt}@example.org",
            "wrong password",
            remote_addr="203.0.113.9",
        )
    assert locked.status_code == 429

    colleague = isolated_client(app)
    response = login_post(
        colleague,
        clinician.email,
        DEFAULT_PASSWORD,
        remote_addr="198.51.100.7",
    )

    assert response.status_code == 302


# Redirects after sign-in


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/patients", "/patients"),
        ("/patients?q=tanaka", "/patients?q=tanaka"),
        ("//evil.example", "/"),
        ("//evil.example/patients", "/"),
        ("https://evil.example/", "/"),
        ("http://evil.example/patients", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("patients", "/"),
    ],
)
def test_next_redirect_stays_on_this_site(client, clinician, next_url, expected):
    response = login_post(
        client, clinician.email, DEFAULT_PASSWORD, query_string={"next": next_url}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_page_asked_for_before_sign_in_is_shown_after_it(client, clinician):
    response = client.get("/patients")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")

    token = csrf_token_from(client.get(login_url))
    response = client.post(
        login_url,
        data={"email": clinician.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )

    assert response.headers["Location"] == "/patients"


# Password storage and cookies


def test_password_is_stored_as_a_scrypt_hash(clinician):
    stored = db.session.get(User, clinician.id).password_hash

    assert stored.startswith("scrypt:")
    assert DEFAULT_PASSWORD not in stored
    assert clinician.check_password(DEFAULT_PASSWORD)
    assert not clinician.check_password(DEFAULT_PASSWORD + "!")


def set_cookie_headers(response, name: str) -> list[str]:
    return [header for header in response.headers.getlist("Set-Cookie") if header.startswith(name)]


def test_session_cookie_is_http_only_and_same_site_lax(client, clinician):
    response = log_in(client, clinician.email)

    [cookie] = set_cookie_headers(response, "session=")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_remember_me_cookie_is_http_only_and_same_site_lax(client, clinician):
    token = csrf_token_from(client.get("/login"))
    response = client.post(
        "/login",
        data={
            "email": clinician.email,
            "password": DEFAULT_PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )

    [cookie] = set_cookie_headers(response, "remember_token=")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


# Production settings


def production_config(**attributes) -> type[ProductionConfig]:
    values = {
        "SECRET_KEY": GOOD_SECRET,
        "SQLALCHEMY_DATABASE_URI": POSTGRES_URI,
        "RATELIMIT_STORAGE_URI": REDIS_URI,
        "METRICS_TOKEN": "a-long-random-scrape-token",
    }
    values.update(attributes)
    return type("TrialProductionConfig", (ProductionConfig,), values)


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "short", "x" * 31, DEVELOPMENT_SECRET_KEY],
    ids=["missing", "empty", "short", "31-characters", "development-key"],
)
def test_production_refuses_an_unsafe_secret_key(secret_key):
    config = production_config(SECRET_KEY=secret_key)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.check()


def test_production_app_factory_refuses_an_unsafe_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production_config(SECRET_KEY="short"))


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:////var/lib/tracker/tracker.db"])
def test_production_refuses_sqlite(uri):
    config = production_config(SQLALCHEMY_DATABASE_URI=uri)

    with pytest.raises(RuntimeError, match="PostgreSQL"):
        config.check()


def test_production_allows_sqlite_only_when_asked_explicitly():
    config = production_config(
        SQLALCHEMY_DATABASE_URI="sqlite:////var/lib/tracker/tracker.db",
        ALLOW_SQLITE_IN_PRODUCTION=True,
    )

    config.check()


def test_production_accepts_a_long_secret_key_and_postgresql():
    production_config().check()


@pytest.mark.parametrize("uri", ["memory://", "memory:///"])
def test_production_refuses_per_worker_rate_limit_storage(uri):
    config = production_config(RATELIMIT_STORAGE_URI=uri)

    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI=redis://"):
        config.check()


def test_production_app_factory_refuses_per_worker_rate_limit_storage():
    with pytest.raises(RuntimeError, match="RATELIMIT_SINGLE_WORKER"):
        create_app(production_config(RATELIMIT_STORAGE_URI="memory://"))


def test_production_allows_memory_rate_limits_only_for_a_declared_single_worker():
    config = production_config(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_SINGLE_WORKER=True)

    config.check()


def test_production_refuses_open_metrics():
    config = production_config(METRICS_TOKEN=None, METRICS_ALLOWED_IPS=())

    with pytest.raises(RuntimeError, match="METRICS_TOKEN or METRICS_ALLOWED_IPS"):
        config.check()


def test_production_app_factory_refuses_open_metrics():
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        create_app(production_config(METRICS_TOKEN=""))


def test_production_accepts_a_metrics_allow_list_without_a_token():
    production_config(METRICS_TOKEN=None, METRICS_ALLOWED_IPS=("10.0.0.5", "10.1.0.0/16")).check()


def test_production_refuses_a_malformed_metrics_allow_list():
    config = production_config(METRICS_TOKEN=None, METRICS_ALLOWED_IPS=("10.0.0.300",))

    with pytest.raises(RuntimeError, match="METRICS_ALLOWED_IPS"):
        config.check()


def test_production_metrics_answer_only_with_the_token(monkeypatch):
    config = production_config(
        SQLALCHEMY_DATABASE_URI="sqlite://",
        ALLOW_SQLITE_IN_PRODUCTION=True,
        # The limiter is one object per process: keep it off the shared Redis.
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_SINGLE_WORKER=True,
    )
    production = create_app(config)
    monkeypatch.setattr(production, "test_client_class", IsolatedClient)
    scraper = production.test_client()

    assert scraper.get("/metrics").status_code == 401
    with production.app_context():
        db.create_all()
    authorised = {"Authorization": "Bearer a-long-random-scrape-token"}
    assert scraper.get("/metrics", headers=authorised).status_code == 200


def test_production_cookies_are_secure_by_default():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
