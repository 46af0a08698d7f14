"""The steps around a password: the second factor, enrolment when required, forgotten
passwords, and accepting an invitation."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.account_links import load_invitation, load_password_reset
from tracker.auth import bp
from tracker.auth.forms import (
    AcceptInvitationForm,
    EnrolForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SecondFactorForm,
)
from tracker.auth.signin import (
    code_failed,
    complete_sign_in,
    pending_sign_in,
    pending_user,
    render_recovery_codes,
    second_factor_key,
    second_factor_limit,
)
from tracker.checkin.pages import use_language
from tracker.clinic.forms import copy_errors
from tracker.extensions import db, limiter
from tracker.links import LinkError, LinkExpired, LinkUsed
from tracker.models import User
from tracker.reminders.dispatch import send_after_response
from tracker.services import two_factor
from tracker.services.accounts import request_password_reset, reset_password
from tracker.services.audit import record_audit
from tracker.services.staff import accept_invitation
from tracker.services.validation import InvalidInput
from tracker.timeutil import now_utc

FORGOT_PER_IP = "5 per 15 minutes"
FORGOT_PER_ADDRESS = "3 per hour"


@bp.errorhandler(LinkError)
def link_problem(error: LinkError):
    """Answer an account link that cannot be used: 400 if not genuine, 410 if it is over."""
    if isinstance(error, LinkUsed):
        problem, status = "used", 410
    elif isinstance(error, LinkExpired):
        problem, status = "expired", 410
    else:
        problem, status = "invalid", 400
    kind = "invitation" if request.path.startswith("/invitation/") else "password_reset"
    return render_template("auth/link_problem.html", problem=problem, kind=kind), status


def no_pending_sign_in():
    flash(_("Please sign in again."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(
    second_factor_limit, key_func=second_factor_key, methods=["POST"], deduct_when=code_failed
)
def second_factor():
    user = pending_user()
    if user is None or not user.has_two_factor:
        return no_pending_sign_in()
    use_language(user.language)
    form = SecondFactorForm()
    if form.validate_on_submit():
        method = two_factor.verify_second_factor(user, form.code.data, now_utc())
        if method is not None:
            pending = pending_sign_in()
            return complete_sign_in(user, pending["remember"], pending["next"], method)
        db.session.rollback()
        g.code_failed = True
        record_audit(user.clinic_id, "auth.second_factor_failed", "user", user.id, None, "visitor")
        db.session.commit()
        form.code.errors.append(_("That code is not right, or it was used already."))
    return render_template("auth/second_factor.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(
    second_factor_limit, key_func=second_factor_key, methods=["POST"], deduct_when=code_failed
)
def enrol():
    """Enrol before the first sign-in that the clinic's requirement lets through."""
    user = pending_user()
    if user is None or user.has_two_factor or not user.clinic.require_two_factor:
        return no_pending_sign_in()
    use_language(user.language)

    form = EnrolForm()
    two_factor.start_enrolment(user)
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data, now_utc())
        except InvalidInput as error:
            g.code_failed = True
            copy_errors(form, error.errors)
        else:
            pending = pending_sign_in()
            complete_sign_in(user, pending["remember"], pending["next"], "enrolment")
            return render_recovery_codes(codes, pending["next"])
    return render_template(
        "account/enrol.html",
        form=form,
        user=user,
        required=True,
        qr_svg=two_factor.qr_code_svg(two_factor.provisioning_uri(user)),
        action=url_for("auth.enrol"),
    )


def requested_address_key() -> str:
    """Key the per-address limit by the email typed, so nobody can flood one inbox."""
    return "password-reset:" + (request.form.get("email") or "").strip().lower()


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("PASSWORD_RESET_LIMIT_PER_IP", FORGOT_PER_IP), methods=["POST"]
)
@limiter.limit(
    lambda: current_app.config.get("PASSWORD_RESET_LIMIT_PER_ADDRESS", FORGOT_PER_ADDRESS),
    key_func=requested_address_key,
    methods=["POST"],
)
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("account.index"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        queued = request_password_reset(form.email.data, now_utc())
        # The same answer whether or not the address has an account: no enumeration.
        response = redirect(url_for("auth.reset_link_sent"), 303)
        return send_after_response(response, queued)
    return render_template("auth/forgot_password.html", form=form)


@bp.get("/password/sent")
def reset_link_sent():
    return render_template("auth/reset_link_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def choose_password(token: str):
    reset = load_password_reset(token, now_utc())
    use_language(db.session.get(User, reset.user_id).language)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(token, form.password.data, now_utc())
        except InvalidInput as error:
            copy_errors(form, error.errors)
        else:
            flash(
                _("Your new password is set, and you are signed out everywhere. Sign in."),
                "success",
            )
            return redirect(url_for("auth.login"), 303)
    return render_template("auth/choose_password.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept(token: str):
    invitation = load_invitation(token, now_utc())
    use_language(invitation.language)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            accept_invitation(
                token, {"name": form.name.data, "password": form.password.data}, now_utc()
            )
        except InvalidInput as error:
            copy_errors(form, error.errors)
        else:
            flash(_("Your account is ready. Sign in with your email and new password."), "success")
            return redirect(url_for("auth.login"), 303)
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
