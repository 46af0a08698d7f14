"""Bearer-token authentication of API calls."""

from datetime import timedelta
from functools import wraps

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from tracker.cli import hash_token
from tracker.extensions import db
from tracker.models import ApiToken, User
from tracker.timeutil import now_utc

# Record a token's use at most once a minute, so busy integrations do not write on every call.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_user() -> User | None:
    """Return the active user whose unrevoked token is in the Authorization header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    api_token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
    if api_token is None or not api_token.user.active:
        return None
    now = now_utc()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
        api_token.last_used_at = now
        # Its own transaction: the call may only read, or fail and roll back its own writes.
        db.session.commit()
    return api_token.user


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
