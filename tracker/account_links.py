"""Signed links for staff and for a patient's new address: invitations, password resets,
email changes.

As with tracker.links, a token carries only the id of one row under a salt of its own; the
row decides how long the link lives and whether it was used.
"""

from datetime import datetime

from tracker.extensions import db
from tracker.links import LinkExpired, LinkInvalid, LinkUsed, public_url, serializer, signed_id
from tracker.models import EmailChange, PasswordReset, StaffInvitation, User
from tracker.timeutil import now_utc

INVITATION_SALT = "tracker.links.invitation"
PASSWORD_RESET_SALT = "tracker.links.password_reset"  # noqa: S105 (a salt, not a secret)
EMAIL_CHANGE_SALT = "tracker.links.email_change"


def invitation_url(invitation: StaffInvitation) -> str:
    """Return the absolute link of a staff invitation."""
    return public_url(f"/invitation/{serializer(INVITATION_SALT).dumps(invitation.id)}")


def load_invitation(token: str, now: datetime | None = None) -> StaffInvitation:
    """Return the pending invitation a token names, or raise a LinkError."""
    invitation = db.session.get(StaffInvitation, signed_id(token, INVITATION_SALT))
    if invitation is None:
        raise LinkInvalid("The link is not valid.")
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise LinkUsed("The invitation was used already.")
    if (now or now_utc()) >= invitation.expires_at:
        raise LinkExpired("The invitation has expired.")
    return invitation


def password_reset_url(reset: PasswordReset) -> str:
    """Return the absolute link that lets a person choose a new password."""
    return public_url(f"/password/reset/{serializer(PASSWORD_RESET_SALT).dumps(reset.id)}")


def load_password_reset(token: str, now: datetime | None = None) -> PasswordReset:
    """Return the unused, unexpired reset of an active account a token names, or raise."""
    reset = db.session.get(PasswordReset, signed_id(token, PASSWORD_RESET_SALT))
    if reset is None:
        raise LinkInvalid("The link is not valid.")
    user = db.session.get(User, reset.user_id)
    if user is None or not user.active:
        raise LinkInvalid("The link is not valid.")
    if reset.used_at is not None:
        raise LinkUsed("The link was used already.")
    if (now or now_utc()) >= reset.expires_at:
        raise LinkExpired("The link has expired.")
    return reset


def email_change_url(change: EmailChange) -> str:
    """Return the absolute link, sent to the new address, that confirms it."""
    return public_url(f"/portal/email/{serializer(EMAIL_CHANGE_SALT).dumps(change.id)}")


def load_email_change(token: str, now: datetime | None = None) -> EmailChange:
    """Return the unconfirmed, unexpired email change a token names, or raise a LinkError."""
    change = db.session.get(EmailChange, signed_id(token, EMAIL_CHANGE_SALT))
    if change is None:
        raise LinkInvalid("The link is not valid.")
    if change.confirmed_at is not None:
        raise LinkUsed("The link was used already.", change.patient)
    if (now or now_utc()) >= change.expires_at:
        raise LinkExpired("The link has expired.", change.patient)
    return change
