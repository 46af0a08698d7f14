"""Clinician sign-in and sign-out."""

import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.auth import bp
from tracker.auth.forms import LoginForm
from tracker.auth.signin import begin_sign_in
from tracker.extensions import db, limiter, login_manager
from tracker.models import User
from tracker.services.accounts import end_sessions
from tracker.services.audit import record_audit


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the active user whose current session token the cookie carries."""
    user = db.session.scalar(select(User).where(User.session_token == session_token))
    return user if user is not None and user.active else None


@cache
def unknown_account_hash() -> str:
    """A scrypt hash no password matches, checked when the email names no account."""
    return generate_password_hash(secrets.token_urlsafe(32), method="scrypt")


def login_account_key() -> str:
    """Key the per-account limit by the email tried, so one account cannot be brute-forced."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def sign_in_failed(response) -> bool:
    """Count a sign-in against the limits only when the password check failed."""
    return g.get("sign_in_failed", False)


def safe_next_url(target: str | None) -> str:
    """Return target only if it is a path on this site; otherwise the worklist."""
    if target:
        parts = urlsplit(target)
        is_local_path = target.startswith("/") and not target.startswith("//")
        if is_local_path and not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("clinic.worklist")


@bp.route("/login", methods=["GET", "POST"])
# Only failures count: a clinic's staff signing in all day behind one address are not guessing.
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"],
    methods=["POST"],
    deduct_when=sign_in_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"],
    key_func=login_account_key,
    methods=["POST"],
    deduct_when=sign_in_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("clinic.worklist"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            # Hash anyway, so an unknown email answers as slowly as a wrong password.
            check_password_hash(unknown_account_hash(), form.password.data)
        elif user.check_password(form.password.data) and user.active:
            return begin_sign_in(user, form.remember.data, safe_next_url(request.args.get("next")))
        else:
            reason = "password" if user.active else "inactive"
            record_audit(
                user.clinic_id,
                "auth.sign_in_failed",
                "user",
                user.id,
                None,
                "visitor",
                {"reason": reason},
            )
            db.session.commit()
        g.sign_in_failed = True
        # A form error, not a flash: it is listed with the others and takes the focus.
        form.form_errors.append(gettext("That email and password do not match an active account."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Rotate the token first: a copy of this session or remember-me cookie must not outlive it.
    record_audit(current_user.clinic_id, "auth.sign_out", "user", current_user.id, current_user)
    end_sessions(current_user)
    logout_user()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))
