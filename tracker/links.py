"""Signed links for patients: the emailed check-in link, the portal link, the unsubscribe link.

Each token carries only the id of one row, signed with SECRET_KEY and a salt of its own, so a
token of one kind never opens another kind of page. What a link may do (how long it lives,
whether it was used) is decided by the row it names, not by the token's age.
"""

from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import Patient, PortalLink, Reminder
from tracker.timeutil import now_utc
from tracker.vocabulary import FOLLOW_UP_KINDS

CHECKIN_SALT = "tracker.links.checkin"
PORTAL_SALT = "tracker.links.portal"
UNSUBSCRIBE_SALT = "tracker.links.unsubscribe"

# How long a link lives for a reminder that has no window (a confirmation).
LINK_DAYS_WITHOUT_WINDOW = 14


class LinkError(Exception):
    """A patient link that cannot be used; patient is known when the signature was good."""

    def __init__(self, message: str, patient: Patient | None = None):
        super().__init__(message)
        self.patient = patient


class LinkInvalid(LinkError):
    """The token is malformed, tampered with, or names no usable row."""


class LinkExpired(LinkError):
    """The token is genuine but its time is over."""


class LinkUsed(LinkError):
    """The single-use token was redeemed already."""


def serializer(salt: str) -> URLSafeTimedSerializer:
    return signing_with(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=32)
def signing_with(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    # Built once per key and salt: a dispatch pass signs two links per message.
    return URLSafeTimedSerializer(secret_key, salt=salt)


def public_url(path: str) -> str:
    """Return an absolute URL on the public site (emails are rendered outside any request)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def signed_id(token: str, salt: str) -> int:
    """Return the id a token carries, or raise LinkInvalid."""
    try:
        value = serializer(salt).loads(token)
    except BadSignature as error:
        raise LinkInvalid("The link is not valid.") from error
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LinkInvalid("The link is not valid.")
    return value


# Check-in links --------------------------------------------------------------------------


def checkin_token(reminder: Reminder) -> str:
    """Sign the id of a reminder that asks the patient for a check-in."""
    return serializer(CHECKIN_SALT).dumps(reminder.id)


def checkin_url(reminder: Reminder) -> str:
    """Return the absolute check-in link for a reminder's email."""
    return public_url(f"/c/{checkin_token(reminder)}")


def checkin_expires_at(reminder: Reminder) -> datetime:
    """Return when the reminder's check-in link stops working: when its window closes."""
    if reminder.window_closes_at is not None:
        return reminder.window_closes_at
    return reminder.due_at + timedelta(days=LINK_DAYS_WITHOUT_WINDOW)


def load_checkin_reminder(token: str, now: datetime | None = None) -> Reminder:
    """Return the reminder a check-in token names, or raise LinkInvalid / LinkExpired."""
    # Every page of the link shows the patient and the clinic: load them with the reminder.
    reminder = db.session.get(
        Reminder,
        signed_id(token, CHECKIN_SALT),
        options=[joinedload(Reminder.patient).joinedload(Patient.clinic)],
    )
    if reminder is None or reminder.kind not in FOLLOW_UP_KINDS or reminder.patient is None:
        raise LinkInvalid("The link is not valid.")
    if (now or now_utc()) >= checkin_expires_at(reminder):
        raise LinkExpired("The check-in link has expired.", reminder.patient)
    return reminder


# Portal links ----------------------------------------------------------------------------


def portal_token(link: PortalLink) -> str:
    """Sign the id of a single-use portal link."""
    return serializer(PORTAL_SALT).dumps(link.id)


def portal_url(link: PortalLink) -> str:
    """Return the absolute portal link for its email."""
    return public_url(f"/p/{portal_token(link)}")


def load_portal_link(token: str, now: datetime | None = None) -> PortalLink:
    """Return the unused, unexpired portal link a token names, without using it."""
    link = db.session.get(PortalLink, signed_id(token, PORTAL_SALT))
    if link is None:
        raise LinkInvalid("The link is not valid.")
    patient = db.session.get(Patient, link.patient_id)
    if patient is None or patient.clinic_id != link.clinic_id:
        raise LinkInvalid("The link is not valid.")
    if link.used_at is not None:
        raise LinkUsed("The link was used already.", patient)
    if (now or now_utc()) >= link.expires_at:
        raise LinkExpired("The link has expired.", patient)
    return link


def spend_once(model, row_id: int, spent: str, now: datetime, *still_open) -> bool:
    """Mark a single-use link's row spent (its `spent` column set to now) by compare-and-set.

    Of two requests racing with one link only one changes the row; tell whether this one did.
    """
    result = db.session.execute(
        update(model)
        .where(
            model.id == row_id,
            getattr(model, spent).is_(None),
            model.expires_at > now,
            *still_open,
        )
        .values({spent: now}),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def redeem_portal_link(token: str, now: datetime | None = None) -> PortalLink:
    """Use a portal link once: mark it used in the caller's transaction, or raise LinkError."""
    now = now or now_utc()
    link = load_portal_link(token, now)
    if not spend_once(PortalLink, link.id, "used_at", now):
        raise LinkUsed("The link was used already.", db.session.get(Patient, link.patient_id))
    db.session.refresh(link)
    return link


# Unsubscribe links -----------------------------------------------------------------------


def unsubscribe_token(patient: Patient) -> str:
    """Sign the id of a patient for the unsubscribe link (it never expires)."""
    return serializer(UNSUBSCRIBE_SALT).dumps(patient.id)


def unsubscribe_url(patient: Patient) -> str:
    """Return the absolute one-click unsubscribe link for a patient's emails."""
    return public_url(f"/u/{unsubscribe_token(patient)}")


def load_unsubscribe_patient(token: str) -> Patient:
    """Return the patient an unsubscribe token names, or raise LinkInvalid."""
    patient = db.session.get(Patient, signed_id(token, UNSUBSCRIBE_SALT))
    if patient is None:
        raise LinkInvalid("The link is not valid.")
    return patient
