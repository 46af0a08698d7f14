"""Emails about accounts: a staff invitation, a password reset, a patient's new address."""

from flask_babel import force_locale

from tracker.account_links import email_change_url, invitation_url, password_reset_url
from tracker.extensions import db
from tracker.models import EmailChange, PasswordReset, Reminder, StaffInvitation, User
from tracker.reminders.emails import OutboxMessage, make_message
from tracker.vocabulary import EMAIL_CHANGE, PASSWORD_RESET, STAFF_INVITATION

KINDS = (STAFF_INVITATION, PASSWORD_RESET, EMAIL_CHANGE)


def skip_reason(reminder: Reminder) -> tuple[str | None, str] | None:
    """Why an account email has no reader any more, as (outcome, words), or None."""
    payload = reminder.payload or {}
    if reminder.kind == STAFF_INVITATION:
        invitation = db.session.get(StaffInvitation, payload.get("invitation_id"))
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            return None, "The invitation was accepted or replaced."
    elif reminder.kind == PASSWORD_RESET:
        reset = db.session.get(PasswordReset, payload.get("password_reset_id"))
        if not reset.user.active:
            return "account_inactive", "The account is inactive."
    return None


def account_message(reminder: Reminder) -> OutboxMessage:
    """Render an account email (skip_reason has found its reader)."""
    payload = reminder.payload or {}
    if reminder.kind == STAFF_INVITATION:
        return invitation_message(db.session.get(StaffInvitation, payload.get("invitation_id")))
    if reminder.kind == PASSWORD_RESET:
        return password_reset_message(
            db.session.get(PasswordReset, payload.get("password_reset_id"))
        )
    return email_change_message(db.session.get(EmailChange, payload.get("email_change_id")))


def invitation_message(invitation: StaffInvitation) -> OutboxMessage:
    """Invite a colleague, in the language the admin chose for them."""
    clinic = invitation.clinic
    context = {
        "clinic": clinic,
        "invitation": invitation,
        "inviter": invitation.invited_by,
        "invitation_url": invitation_url(invitation),
        "hours": round((invitation.expires_at - invitation.created_at).total_seconds() / 3600),
    }
    with force_locale(invitation.language):
        return make_message("staff_invitation", invitation.email, context, invitation.language)


def password_reset_message(reset: PasswordReset) -> OutboxMessage:
    """Send a link to choose a new password, in the person's language."""
    user: User = reset.user
    context = {
        "clinic": user.clinic,
        "user": user,
        "reset_url": password_reset_url(reset),
        "minutes": round((reset.expires_at - reset.created_at).total_seconds() / 60),
    }
    with force_locale(user.language):
        return make_message("password_reset", user.email, context, user.language)


def email_change_message(change: EmailChange) -> OutboxMessage:
    """Ask a patient's new address to confirm it is theirs."""
    patient = change.patient
    context = {
        "clinic": patient.clinic,
        "patient": patient,
        "confirm_url": email_change_url(change),
        "hours": round((change.expires_at - change.created_at).total_seconds() / 3600),
    }
    with force_locale(patient.language):
        return make_message("email_change", change.new_email, context, patient.language)
