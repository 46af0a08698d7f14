"""Bearer-token authentication of API calls."""

from datetime import datetime, timedelta
from functools import wraps

from flask import g, request
from flask_smorest import abort
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import contains_eager

from tracker.extensions import db
from tracker.models import ApiToken, Clinic, User
from tracker.services.api_tokens import hash_token
from tracker.timeutil import now_utc

# Record a token's use at most once a minute, so busy integrations do not write on every call.
LAST_USED_PRECISION = timedelta(minutes=1)

# The token with its user and the user's clinic, which every answer is scoped to and some
# show (a patient's phone is written for the clinic's country). Built once: only the hash varies.
TOKEN_OWNER = (
    select(ApiToken.id, ApiToken.last_used_at, User)
    .join(User, ApiToken.user_id == User.id)
    .join(Clinic, User.clinic_id == Clinic.id)
    .options(contains_eager(User.clinic))
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


def token_user() -> User | None:
    """Return the active user whose unrevoked token is in the Authorization header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = db.session.execute(TOKEN_OWNER, {"token_hash": hash_token(token.strip())}).one_or_none()
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
