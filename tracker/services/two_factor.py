"""Two-factor sign-in with time-based one-time codes (RFC 6238) and one-time recovery codes."""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import or_, update

from tracker.extensions import db
from tracker.models import RecoveryCode, User
from tracker.services.audit import record_audit
from tracker.services.validation import InvalidInput

ISSUER = "Follow-up tracker"
RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code copied from paper should not be misread.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def start_enrolment(user: User) -> str:
    """Give the user a secret to enrol with (kept until enrolment is confirmed); return it."""
    if user.has_two_factor:
        raise InvalidInput({"code": _("Two-factor sign-in is on already.")})
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The QR code of an address as an inline SVG element (no image request, no data URL)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time-step whose code this is: the current one or the one before, else None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    # One step back allows for a code typed just as it changed (RFC 6238, section 5.2).
    for step in (current, current - 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_step(user: User, step: int) -> bool:
    """Record a code's time-step as used; False when it (or a later one) was used already."""
    # Compare-and-set, so two requests racing with one code cannot both pass.
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(user)
    return result.rowcount == 1


def hash_recovery_code(code: str) -> str:
    """SHA-256 of a recovery code without its spaces and dashes, lower-cased."""
    normalised = "".join(character for character in code.lower() if character.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def new_recovery_codes(user: User, now: datetime) -> list[str]:
    """Replace the user's recovery codes with ten new ones; return them (shown once)."""
    db.session.query(RecoveryCode).filter(RecoveryCode.user_id == user.id).delete()
    codes = []
    for _index in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _position in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(
            RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(code), created_at=now)
        )
    return codes


def confirm_enrolment(user: User, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on once a code from the new secret checks; return recovery codes."""
    if user.has_two_factor or user.totp_secret is None:
        raise InvalidInput({"code": _("Start again: open the two-factor page.")})
    step = matching_step(user.totp_secret, code, now)
    if step is None or not accept_step(user, step):
        db.session.rollback()
        raise InvalidInput({"code": _("That code is not right. Enter the current 6-digit code.")})
    user.totp_enabled_at = now
    codes = new_recovery_codes(user, now)
    record_audit(user.clinic_id, "account.two_factor_enabled", "user", user.id, user, "user")
    db.session.commit()
    return codes


def regenerate_recovery_codes(user: User, password: str, now: datetime) -> list[str]:
    """Replace the recovery codes (the password is asked again); return the new ones."""
    if not user.check_password(password or ""):
        raise InvalidInput({"password": _("The password is not correct.")})
    codes = new_recovery_codes(user, now)
    record_audit(user.clinic_id, "account.recovery_codes_renewed", "user", user.id, user, "user")
    db.session.commit()
    return codes


def turn_off(user: User, password: str) -> None:
    """Turn two-factor sign-in off (the password is asked again; not if the clinic requires it)."""
    if user.clinic.require_two_factor:
        raise InvalidInput({"password": _("Your clinic requires two-factor sign-in.")})
    if not user.check_password(password or ""):
        raise InvalidInput({"password": _("The password is not correct.")})
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.query(RecoveryCode).filter(RecoveryCode.user_id == user.id).delete()
    record_audit(user.clinic_id, "account.two_factor_disabled", "user", user.id, user, "user")
    db.session.commit()


def use_recovery_code(user: User, code: str, now: datetime) -> bool:
    """Spend one unused recovery code of the user; tell whether it was one."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(code or ""),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def verify_second_factor(user: User, code: str, now: datetime) -> str | None:
    """Check a sign-in code: "totp" or "recovery_code" when it is good, None otherwise.

    The caller commits (with its audit event): a used step or recovery code is recorded then.
    """
    step = matching_step(user.totp_secret, code, now) if user.has_two_factor else None
    if step is not None:
        return "totp" if accept_step(user, step) else None
    if user.has_two_factor and use_recovery_code(user, code, now):
        return "recovery_code"
    return None


def remaining_recovery_codes(user: User) -> int:
    return (
        db.session.query(RecoveryCode)
        .filter(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .count()
    )
