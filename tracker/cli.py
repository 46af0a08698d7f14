"""Flask commands for provisioning and for the processes that are not web requests."""

import sys

import click
from flask import Flask
from sqlalchemy import func, select

from tracker.demo import DEMO_CLINIC, seed_demo
from tracker.devrun import web_port
from tracker.extensions import db
from tracker.followup.schedule import validate_timezone
from tracker.models import Clinic, User
from tracker.reminders.commands import register_reminder_commands
from tracker.services.accounts import change_password, password_problem
from tracker.services.api_tokens import issue_token
from tracker.services.validation import Checker, InvalidInput, single_line_error
from tracker.vocabulary import LANGUAGES


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def refuse_control_characters(label: str, value: str) -> None:
    """Fail on a line break or other control character: names end up in email headers."""
    message = single_line_error(value)
    if message:
        fail(f"The {label}: {message}")


def register_commands(app: Flask) -> None:
    @app.cli.command("create-clinic")
    @click.argument("name")
    @click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
    def create_clinic(name: str, timezone: str) -> None:
        """Create a clinic."""
        refuse_control_characters("clinic name", name)
        name = name.strip()
        if not name or len(name) > 200:
            fail("The clinic name must be 1 to 200 characters.")
        try:
            validate_timezone(timezone)
        except ValueError:
            fail(f"Unknown time zone: {timezone!r}. Use an IANA name such as Asia/Tokyo.")
        if db.session.scalar(select(Clinic).where(Clinic.name == name)):
            fail(f"A clinic named {name!r} already exists.")
        clinic = Clinic(name=name, timezone=timezone)
        db.session.add(clinic)
        db.session.commit()
        click.echo(f"Created clinic {clinic.id}: {clinic.name} ({clinic.timezone})")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--clinic", "clinic_name", required=True, help="The clinic's name.")
    @click.option("--role", type=click.Choice(["clinician", "admin"]), default="clinician")
    @click.option("--name", default="", help="Display name (defaults to the email's local part).")
    @click.option(
        "--language",
        type=click.Choice(LANGUAGES),
        default="en",
        show_default=True,
        help="Language of the person's pages and emails.",
    )
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user(
        email: str, clinic_name: str, role: str, name: str, language: str, password_stdin: bool
    ) -> None:
        """Create a clinician or admin account."""
        refuse_control_characters("clinic name", clinic_name)
        refuse_control_characters("name", name)
        if len(name.strip()) > 200:
            fail("The name must be at most 200 characters.")
        check = Checker()
        email = check.email("email", email)
        if check.errors:
            fail(check.errors["email"])
        clinic = db.session.scalar(select(Clinic).where(Clinic.name == clinic_name))
        if clinic is None:
            fail(f"No clinic named {clinic_name!r}.")
        if db.session.scalar(select(User).where(func.lower(User.email) == email.lower())):
            fail(f"A user with the email {email} already exists.")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password)
        if problem:
            fail(problem)
        user = User(
            clinic_id=clinic.id,
            email=email,
            name=name.strip() or email.split("@")[0],
            role=role,
            language=language,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"Created {role} {user.email} in {clinic.name}")

    @app.cli.command("set-password")
    @click.argument("email")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def set_password(email: str, password_stdin: bool) -> None:
        """Set a user's new password and sign them out everywhere."""
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None:
            fail(f"No user with the email {email}.")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        try:
            change_password(user, password)
        except InvalidInput as error:
            fail(error.errors["password"])
        click.echo(f"New password set for {user.email}; every session they had open is ended.")

    @app.cli.command("create-token")
    @click.argument("email")
    def create_token(email: str) -> None:
        """Create an API token for a user and print it alone on stdout."""
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None or not user.active:
            fail(f"No active user with the email {email}.")
        token = issue_token(user)
        db.session.commit()
        click.echo(token)

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="Seed even if the demo clinic exists.")
    def seed_demo_command(force: bool) -> None:
        """Create a demo clinic with clinicians and patients of every trajectory."""

        if not force and db.session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC)):
            click.echo("The demo clinic exists already; nothing to do.")
            return
        try:
            logins = seed_demo()
        except InvalidInput as error:
            fail(str(error.errors))
        click.echo(f"Demo clinic ready. Sign in at http://127.0.0.1:{web_port()}/login with:")
        for email, password, role in logins:
            click.echo(f"  {role:9} {email}  password: {password}")

    register_reminder_commands(app)
