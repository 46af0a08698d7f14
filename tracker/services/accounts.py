"""Staff accounts: passwords and their policy, the sessions they open, forgotten passwords."""

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from tracker.account_links import load_password_reset
from tracker.extensions import db
from tracker.links import LinkUsed, spend_once
from tracker.models import PasswordReset, User
from tracker.services.audit import record_audit
from tracker.services.outbox import queue_email
from tracker.services.validation import InvalidInput
from tracker.vocabulary import PASSWORD_RESET

MIN_PASSWORD_LENGTH = 12
# scrypt hashes whatever it is given; a cap keeps a megabyte "password" from costing a worker.
MAX_PASSWORD_LENGTH = 200
RESET_MINUTES = 30
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """Load the shipped list of common passwords, lower-cased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Say what makes a new password unusable, or None when it may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must be at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("The password must be at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
    if password.strip().lower() in common_passwords() or len(set(password)) == 1:
        return _("This password is one of the most common ones: choose another.")
    return None


def check_new_password(password: str, field: str = "password") -> None:
    """Raise InvalidInput when the password breaks the policy."""
    problem = password_problem(password or "")
    if problem:
        raise InvalidInput({field: problem})


def end_sessions(user: User) -> None:
    """Sign the user out on every browser and device, remember-me cookies included."""
    user.end_sessions()
    db.session.commit()


def change_password(user: User, password: str) -> None:
    """Set a new password and end every session opened with the old one."""
    check_new_password(password)
    user.set_password(password)
    record_audit(user.clinic_id, "account.password_set", "user", user.id, None, "system")
    db.session.commit()


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """Change one's own password (the current one is required); every session ends."""
    if not user.check_password(current_password or ""):
        raise InvalidInput({"current_password": _("The current password is not correct.")})
    check_new_password(new_password, "new_password")
    user.set_password(new_password)
    record_audit(user.clinic_id, "account.password_change", "user", user.id, user, "user")
    db.session.commit()


def request_password_reset(email: str, now: datetime) -> list[int]:
    """Queue a reset link to the active account with this address; return the outbox rows."""
    address = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None or not user.active:
        return []
    reset = PasswordReset(
        clinic_id=user.clinic_id,
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(minutes=RESET_MINUTES),
    )
    db.session.add(reset)
    db.session.flush()
    message = queue_email(
        PASSWORD_RESET,
        user.clinic_id,
        now,
        user_id=user.id,
        payload={"password_reset_id": reset.id},
    )
    record_audit(
        user.clinic_id, "account.password_reset_requested", "user", user.id, None, "visitor"
    )
    db.session.commit()
    return [message.id]


def reset_password(token: str, password: str, now: datetime) -> User:
    """Use a reset link once to set a new password; every session of the account ends."""
    reset = load_password_reset(token, now)
    check_new_password(password)
    if not spend_once(PasswordReset, reset.id, "used_at", now):
        db.session.rollback()
        raise LinkUsed("The link was used already.")
    # Any other link still in an inbox is spent too: the password it was for is gone.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == reset.user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    user = db.session.get(User, reset.user_id)
    user.set_password(password)
    record_audit(user.clinic_id, "account.password_reset", "user", user.id, user, "user")
    db.session.commit()
    return user
