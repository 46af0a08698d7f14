"""Bearer-token authentication of API calls."""

from datetime import datetime, timedelta
from functools import wraps

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select, update

from tracker.extensions import db
from tracker.models import ApiToken, User
from tracker.services.api_tokens import hash_token
from tracker.timeutil import now_utc

# Record a token's use at most once a minute, so busy integrations do not write on every call.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_user() -> User | None:
    """Return the active user whose unrevoked token is in the Authorization header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = db.session.execute(
        select(ApiToken.id, ApiToken.last_used_at, User)
        .join(User, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_token(token.strip()),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    ).one_or_none()
    if found is None:
        return None
    token_id, last_used_at, user = found
    now = now_utc()
    if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
        note_token_use(token_id, now)
    return user


def note_token_use(token_id: int, now: datetime) -> None:
    """Record when a token was last used, on a connection of its own.

    Its own transaction: the call may only read, or fail and roll back its own writes; and
    the request's session keeps what it loaded.
    """
    with db.engine.begin() as connection:
        connection.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def token_required(view):
    """Answer 401 unless the request carries a valid API token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = token_user()
        if user is None:
            abort(401, message="A valid API token is required (Authorization: Bearer <token>).")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper
