"""Clinician accounts: their passwords and the sessions those open."""

from tracker.extensions import db
from tracker.models import User
from tracker.services.validation import InvalidInput

MIN_PASSWORD_LENGTH = 12


def end_sessions(user: User) -> None:
    """Sign the user out on every browser and device, remember-me cookies included."""
    user.end_sessions()
    db.session.commit()


def change_password(user: User, password: str) -> None:
    """Set a new password and end every session opened with the old one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            {"password": f"The password must be at least {MIN_PASSWORD_LENGTH} characters."}
        )
    user.set_password(password)
    db.session.commit()
