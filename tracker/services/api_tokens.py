"""API tokens: issued once, stored as hashes, seen by their holders and their clinic's admins."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import ApiToken, User
from tracker.services.audit import record_audit
from tracker.services.staff import single_line
from tracker.services.validation import Checker

TOKEN_PREFIX = "fut_"  # noqa: S105 (a label, not a secret)


def hash_token(token: str) -> str:
    """Return the SHA-256 of an API token: tokens are long and random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    """Create an API token for the user; return it (it is never shown again)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            clinic_id=user.clinic_id,
            token_hash=hash_token(token),
            prefix=token[:12],
            name=name,
        )
    )
    return token


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
