"""Bearer-token authentication of API calls."""

from functools import wraps

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from tracker.cli import hash_token
from tracker.extensions import db
from tracker.models import ApiToken, User
from tracker.timeutil import now_utc


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
    api_token.last_used_at = now_utc()
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
