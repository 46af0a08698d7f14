"""Signing in in steps: the password, then (when on or required) the second factor."""

from datetime import datetime, timedelta

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_login import login_user
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import User
from tracker.services.audit import record_audit
from tracker.timeutil import now_utc

PENDING_KEY = "pending_sign_in"
# How long the second step may wait after the password was right.
PENDING_MINUTES = 10
SECOND_FACTOR_LIMIT = "5 per 10 minutes"


def needs_second_step(user: User) -> bool:
    return user.has_two_factor or user.clinic.require_two_factor


def begin_sign_in(user: User, remember: bool, next_url: str):
    """Sign in at once, or keep the account pending until its second factor (or enrolment)."""
    if not needs_second_step(user):
        return complete_sign_in(user, remember, next_url, "password")
    session[PENDING_KEY] = {
        "token": user.session_token,
        "user_id": user.id,
        "since": now_utc().isoformat(),
        "remember": bool(remember),
        "next": next_url,
    }
    return redirect(url_for("auth.second_factor" if user.has_two_factor else "auth.enrol"))


def pending_sign_in() -> dict | None:
    pending = session.get(PENDING_KEY)
    return pending if isinstance(pending, dict) else None


def pending_user(now: datetime | None = None) -> User | None:
    """The active account whose password was right in this browser a moment ago, or None."""
    pending = pending_sign_in()
    if pending is None:
        return None
    try:
        since = datetime.fromisoformat(pending["since"])
    except (KeyError, TypeError, ValueError):
        since = None
    if since is None or (now or now_utc()) - since > timedelta(minutes=PENDING_MINUTES):
        session.pop(PENDING_KEY, None)
        return None
    # By the session token: a password changed meanwhile ends the pending sign-in too.
    user = db.session.scalar(select(User).where(User.session_token == pending.get("token")))
    return user if user is not None and user.active else None


def complete_sign_in(user: User, remember: bool, next_url: str, method: str):
    """Open the session, record the sign-in, and go where the person was going."""
    session.pop(PENDING_KEY, None)
    login_user(user, remember=remember)
    user.last_login_at = now_utc()
    record_audit(user.clinic_id, "auth.sign_in", "user", user.id, user, "user", {"with": method})
    db.session.commit()
    return redirect(next_url)


def second_factor_key() -> str:
    """Key the code limit by the pending account, so a code cannot be guessed by retrying."""
    pending = pending_sign_in() or {}
    return f"second-factor:{pending.get('user_id', request.remote_addr)}"


def second_factor_limit() -> str:
    return current_app.config.get("SECOND_FACTOR_RATE_LIMIT", SECOND_FACTOR_LIMIT)


def code_failed(response) -> bool:
    """Count a request against the code limit only when its code was wrong."""
    return g.get("code_failed", False)


def render_recovery_codes(codes: list[str], next_url: str):
    """Show the recovery codes, once: the page is never cached."""
    response = current_app.make_response(
        render_template("account/recovery_codes.html", codes=codes, next_url=next_url)
    )
    response.headers["Cache-Control"] = "no-store"
    return response
