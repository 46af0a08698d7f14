"""A clinic's staff, as its admins manage them: invitations, roles, deactivation."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tracker.account_links import load_invitation
from tracker.database import is_postgresql
from tracker.extensions import db
from tracker.links import LinkUsed, spend_once
from tracker.models import ApiToken, Clinic, StaffInvitation, User
from tracker.models.user import ROLES
from tracker.services.accounts import check_new_password
from tracker.services.audit import record_audit
from tracker.services.outbox import queue_email
from tracker.services.validation import Checker, InvalidInput
from tracker.vocabulary import STAFF_INVITATION

INVITATION_HOURS = 72


def single_line(check: Checker, field: str, value, max_length: int) -> str | None:
    """Read required one-line text (Checker.text refuses line breaks and control characters)."""
    return check.text(field, value, required=True, max_length=max_length)


def list_staff(clinic_id: int) -> list[User]:
    """Every account of the clinic, active ones first, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.clinic_id == clinic_id)
            .order_by(User.active.desc(), func.lower(User.name), User.id)
        )
    )


def pending_invitations(clinic_id: int, now: datetime) -> list[StaffInvitation]:
    """The clinic's invitations that can still be accepted, newest first."""
    return list(
        db.session.scalars(
            select(StaffInvitation)
            .where(
                StaffInvitation.clinic_id == clinic_id,
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.revoked_at.is_(None),
                StaffInvitation.expires_at > now,
            )
            .order_by(StaffInvitation.created_at.desc())
        )
    )


def invite(admin: User, values: dict, now: datetime) -> list[int]:
    """Invite a colleague to the admin's clinic by email; return the outbox row to send."""
    check = Checker()
    email = check.email("email", (values.get("email") or "").strip())
    if email is None and "email" not in check.errors:
        check.fail("email", _("This field is required."))
    role = check.choice("role", values.get("role"), ROLES)
    language = check.language("language", values.get("language"))
    check.done()
    address = email.lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == address)):
        raise InvalidInput({"email": _("This address already has an account.")})
    # A new invitation replaces any earlier one to the same address: only the latest link works.
    db.session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.clinic_id == admin.clinic_id,
            func.lower(StaffInvitation.email) == address,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    invitation = StaffInvitation(
        clinic_id=admin.clinic_id,
        email=email,
        role=role,
        language=language,
        invited_by_id=admin.id,
        created_at=now,
        expires_at=now + timedelta(hours=INVITATION_HOURS),
    )
    db.session.add(invitation)
    db.session.flush()
    message = queue_email(
        STAFF_INVITATION, admin.clinic_id, now, payload={"invitation_id": invitation.id}
    )
    record_audit(
        admin.clinic_id,
        "staff.invite",
        "staff_invitation",
        invitation.id,
        admin,
        "user",
        {"email": email, "role": role, "language": language},
    )
    db.session.commit()
    return [message.id]


def accept_invitation(token: str, values: dict, now: datetime) -> User:
    """Create the invitee's account with the name and password they chose; the link is spent."""
    invitation = load_invitation(token, now)
    check = Checker()
    name = single_line(check, "name", values.get("name"), 200)
    check.done()
    check_new_password(values.get("password") or "")
    if not spend_once(
        StaffInvitation, invitation.id, "accepted_at", now, StaffInvitation.revoked_at.is_(None)
    ):
        db.session.rollback()
        raise LinkUsed("The invitation was used already.")
    user = User(
        clinic_id=invitation.clinic_id,
        email=invitation.email,
        name=name,
        role=invitation.role,
        language=invitation.language,
    )
    user.set_password(values["password"])
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        # The address got an account another way meanwhile (the command line).
        db.session.rollback()
        raise InvalidInput({"email": _("This address already has an account.")}) from error
    record_audit(
        invitation.clinic_id,
        "staff.invitation_accepted",
        "user",
        user.id,
        user,
        "user",
        {"invitation_id": invitation.id, "role": user.role},
    )
    db.session.commit()
    return user


def lock_clinic_admins(clinic_id: int) -> None:
    """Serialise changes to a clinic's admins, so two cannot demote each other at once."""
    if is_postgresql(db.engine):
        db.session.execute(select(Clinic.id).where(Clinic.id == clinic_id).with_for_update())


def is_last_active_admin(user: User) -> bool:
    """Tell whether no other active admin of the user's clinic would be left without them."""
    others = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.clinic_id == user.clinic_id,
            User.role == "admin",
            User.active.is_(True),
            User.id != user.id,
        )
    )
    return user.role == "admin" and user.active and others == 0


LAST_ADMIN = "last_admin"


def change_role(admin: User, user: User, role: str) -> None:
    """Make a colleague an admin or a clinician; the clinic always keeps an active admin."""
    check = Checker()
    role = check.choice("role", role, ROLES)
    check.done()
    if role == user.role:
        return
    lock_clinic_admins(user.clinic_id)
    if role != "admin" and is_last_active_admin(user):
        db.session.rollback()
        raise InvalidInput(
            {LAST_ADMIN: _("%(name)s is the clinic's last active admin.", name=user.name)}
        )
    record_audit(
        user.clinic_id, "staff.role", "user", user.id, admin, "user", {"role": [user.role, role]}
    )
    user.role = role
    db.session.commit()


def deactivate(admin: User, user: User, now: datetime) -> None:
    """Close a colleague's account: their sessions and API tokens stop working at once."""
    if user.id == admin.id:
        raise InvalidInput({"user": _("You cannot deactivate your own account.")})
    if not user.active:
        return
    lock_clinic_admins(user.clinic_id)
    if is_last_active_admin(user):
        db.session.rollback()
        raise InvalidInput(
            {LAST_ADMIN: _("%(name)s is the clinic's last active admin.", name=user.name)}
        )
    user.active = False
    user.end_sessions()
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    record_audit(
        user.clinic_id,
        "staff.deactivate",
        "user",
        user.id,
        admin,
        "user",
        {"tokens_revoked": revoked.rowcount},
    )
    db.session.commit()


def reactivate(admin: User, user: User) -> None:
    """Open a deactivated account again (its old API tokens stay revoked)."""
    if user.active:
        return
    user.active = True
    record_audit(user.clinic_id, "staff.reactivate", "user", user.id, admin, "user")
    db.session.commit()


def require_two_factor(admin: User, required: bool) -> None:
    """Make two-factor sign-in required (or optional) for the admin's clinic."""
    clinic = admin.clinic
    if clinic.require_two_factor == required:
        return
    clinic.require_two_factor = required
    record_audit(
        clinic.id,
        "clinic.two_factor_required",
        "clinic",
        clinic.id,
        admin,
        "user",
        {"required": required},
    )
    db.session.commit()
