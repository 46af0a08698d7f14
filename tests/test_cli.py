"""Provisioning commands: usable by scripts, no prompts when values are given, honest exit codes."""

import hashlib

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import ApiClient, log_in
from tests.helpers import count, isolated_client
from tracker.extensions import db
from tracker.models import ApiToken, Clinic, User

PASSWORD = "a long enough password"


def user_named(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


# create-clinic


def test_create_clinic_records_the_clinic(cli):
    result = cli("create-clinic", "Osaka Joint Center", "--timezone", "Asia/Tokyo")

    assert result.exit_code == 0, result.output
    clinic = db.session.scalar(select(Clinic))
    assert (clinic.name, clinic.timezone) == ("Osaka Joint Center", "Asia/Tokyo")
    assert clinic.milestone_weeks == [2, 8, 12, 52]
    assert "Osaka Joint Center" in result.stdout


def test_create_clinic_defaults_to_utc(cli):
    result = cli("create-clinic", "Harbour Clinic")

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Clinic.timezone)) == "UTC"


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "asia/tokyo", "", "../etc/passwd"])
def test_create_clinic_with_an_unknown_time_zone_fails(cli, timezone):
    result = cli("create-clinic", "Osaka Joint Center", "--timezone", timezone)

    assert result.exit_code == 1
    assert "Unknown time zone" in result.stderr
    assert result.stdout == ""
    assert count(Clinic) == 0


def test_create_clinic_twice_fails_the_second_time(cli):
    assert cli("create-clinic", "Osaka Joint Center").exit_code == 0

    result = cli("create-clinic", "Osaka Joint Center", "--timezone", "Asia/Tokyo")

    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert count(Clinic) == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_create_clinic_with_a_bad_name_fails(cli, name):
    result = cli("create-clinic", name)

    assert result.exit_code == 1
    assert count(Clinic) == 0


# create-user


def create_user(cli, email: str, clinic_name: str, *options: str, stdin: str = PASSWORD + "\n"):
    """Run create-user with the password on standard input, as a provisioning script does."""
    return cli(
        "create-user", email, "--clinic", clinic_name, *options, "--password-stdin", input=stdin
    )


def test_create_user_reads_the_password_from_stdin_without_prompting(cli, clinic):
    result = create_user(cli, "nurse@example.org", clinic.name)

    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    user = user_named("nurse@example.org")
    assert (user.clinic_id, user.role, user.name, user.active) == (
        clinic.id,
        "clinician",
        "nurse",
        True,
    )
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(PASSWORD)


def test_created_user_can_sign_in(cli, app, clinic):
    assert create_user(cli, "nurse@example.org", clinic.name).exit_code == 0

    browser = isolated_client(app)
    response = log_in(browser, "nurse@example.org", PASSWORD)

    assert response.status_code == 302
    assert browser.get("/").status_code == 200


def test_create_user_keeps_spaces_in_the_password(cli, clinic):
    create_user(cli, "nurse@example.org", clinic.name, stdin="  spaces around it  \r\n")

    assert user_named("nurse@example.org").check_password("  spaces around it  ")


def test_create_user_as_admin(cli, clinic):
    result = create_user(
        cli, "boss@example.org", clinic.name, "--role", "admin", "--name", "Dr Boss"
    )

    assert result.exit_code == 0, result.output
    user = user_named("boss@example.org")
    assert (user.role, user.name, user.is_admin) == ("admin", "Dr Boss", True)


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_create_user_refuses_a_short_password(cli, clinic, password):
    result = create_user(cli, "nurse@example.org", clinic.name, stdin=password + "\n")

    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert count(User) == 0


@pytest.mark.parametrize(
    ("email", "clinic_name", "options", "exit_code", "message"),
    [
        ("boss@example.org", "Tokyo Knee Clinic", ("--role", "superuser"), 2, "superuser"),
        ("nurse@example.org", "No Such Clinic", (), 1, "No clinic named"),
        ("DOCTOR@example.org", "Tokyo Knee Clinic", (), 1, "already exists"),
        ("not-an-email", "Tokyo Knee Clinic", (), 1, "email"),
    ],
    ids=["unknown-role", "unknown-clinic", "taken-email", "bad-email"],
)
def test_create_user_with_a_bad_value_fails_and_writes_nothing(
    cli, clinician, email, clinic_name, options, exit_code, message
):
    result = create_user(cli, email, clinic_name, *options)

    assert result.exit_code == exit_code, result.output
    assert message in result.stderr
    assert count(User) == 1  # only the clinician who was there before


def test_create_user_without_password_stdin_prompts_twice(cli, clinic):
    result = cli(
        "create-user",
        "nurse@example.org",
        "--clinic",
        clinic.name,
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert user_named("nurse@example.org").check_password(PASSWORD)


# create-token


def test_create_token_prints_the_token_alone_and_stores_only_its_hash(cli, clinician):
    result = cli("create-token", clinician.email)

    assert result.exit_code == 0, result.output
    token = result.stdout.removesuffix("\n")
    assert result.stdout == token + "\n"
    assert token.startswith("fut_")
    assert len(token) >= 40
    assert result.stderr == ""
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.user_id == clinician.id
    assert stored.clinic_id == clinician.clinic_id
    assert token not in (stored.token_hash, stored.prefix)


def test_created_token_works_against_the_api(cli, app, clinician):
    token = cli("create-token", clinician.email).stdout.strip()
    api = ApiClient(isolated_client(app), token)

    response = api.post("/api/v1/patients", json={"external_id": "MRN-7", "name": "Ken"})

    assert response.status_code == 201
    assert api.get(f"/api/v1/patients/{response.get_json()['id']}").status_code == 200


def test_each_token_is_new(cli, clinician):
    first = cli("create-token", clinician.email).stdout.strip()
    second = cli("create-token", clinician.email).stdout.strip()

    assert first != second
    assert count(ApiToken) == 2


def test_create_token_finds_the_user_whatever_the_case_of_the_email(cli, clinician):
    result = cli("create-token", "Doctor@Example.ORG")

    assert result.exit_code == 0
    assert count(ApiToken) == 1


@pytest.mark.parametrize("active", [True, False], ids=["unknown", "inactive"])
def test_create_token_for_an_unknown_or_inactive_user_fails(cli, clinic, active):
    factories.UserFactory(clinic=clinic, email="left@example.org", active=active)
    email = "nobody@example.org" if active else "left@example.org"

    result = cli("create-token", email)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "No active user" in result.stderr
    assert count(ApiToken) == 0


# seed-demo


def test_seed_demo_names_the_port_make_run_serves(cli, monkeypatch):
    monkeypatch.setenv("WEB_PORT", "5123")
    seeded = cli("seed-demo")
    assert seeded.exit_code == 0, seeded.output
    assert "Sign in at http://127.0.0.1:5123/login" in seeded.output
    assert cli("seed-demo").output.startswith("The demo clinic exists already")
