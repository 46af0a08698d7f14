"""API tokens as their holders and their clinic's admins see them."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.cli import issue_token
from tracker.extensions import db
from tracker.models import ApiToken, User
from tracker.services.audit import record_audit
from tracker.services.staff import single_line
from tracker.services.validation import Checker


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, unrevoked first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.clinic_id == user.clinic_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def clinic_tokens(clinic_id: int) -> list[ApiToken]:
    """Every token of the clinic with its holder, unrevoked first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.clinic_id == clinic_id)
            .options(joinedload(ApiToken.user))
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def create_token(user: User, name: str) -> str:
    """Create a named token for the user; return it (only its hash is kept)."""
    check = Checker()
    name = single_line(check, "name", name, 100)
    check.done()
    token = issue_token(user, name)
    db.session.flush()
    created = db.session.scalar(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )
    record_audit(
        user.clinic_id,
        "token.create",
        "api_token",
        created.id,
        user,
        "user",
        {"name": name, "prefix": created.prefix},
    )
    db.session.commit()
    return token


def revoke_token(actor: User, token: ApiToken, now: datetime) -> None:
    """Revoke a token at once (revoking it again changes nothing)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    record_audit(
        token.clinic_id,
        "token.revoke",
        "api_token",
        token.id,
        actor,
        "user",
        {"holder_id": token.user_id, "prefix": token.prefix},
    )
    db.session.commit()
