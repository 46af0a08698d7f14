"""One's own account: password, language, two-factor sign-in and API tokens."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from tracker.account import bp
from tracker.account.forms import (
    ButtonForm,
    ChangePasswordForm,
    LanguageForm,
    NewTokenForm,
    PasswordAgainForm,
)
from tracker.auth.forms import EnrolForm
from tracker.auth.signin import code_failed, render_recovery_codes, second_factor_limit
from tracker.checkin.pages import use_language
from tracker.clinic.forms import copy_errors
from tracker.extensions import db, limiter
from tracker.models import ApiToken
from tracker.services import two_factor
from tracker.services.accounts import change_own_password
from tracker.services.api_tokens import create_token, revoke_token, tokens_of
from tracker.services.audit import record_audit
from tracker.services.scope import get_for_clinic
from tracker.services.validation import InvalidInput
from tracker.timeutil import now_utc


@bp.before_request
@login_required
def speak_the_users_language():
    """Account pages need a signed-in member of staff, and speak their language."""
    use_language(current_user.language)


def user_code_key() -> str:
    return f"second-factor:{current_user.id}"


@bp.get("/")
def index():
    return render_template(
        "account/index.html",
        language_form=LanguageForm(language=current_user.language),
        remaining_codes=two_factor.remaining_recovery_codes(current_user),
    )


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data != current_user.language:
        record_audit(
            current_user.clinic_id,
            "account.language",
            "user",
            current_user.id,
            current_user,
            "user",
            {"language": [current_user.language, form.language.data]},
        )
        current_user.language = form.language.data
        db.session.commit()
        use_language(current_user.language)
        flash(_("Language saved."), "success")
    return redirect(url_for("account.index"), 303)


@bp.route("/password", methods=["GET", "POST"])
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        remembered = "remember_token" in request.cookies
        try:
            change_own_password(current_user, form.current_password.data, form.new_password.data)
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            # The new session token ended every session; this browser carries on with it.
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Password changed. Your other sessions are signed out."), "success")
            return redirect(url_for("account.index"), 303)
    return render_template("account/password.html", form=form)


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(
    second_factor_limit, key_func=user_code_key, methods=["POST"], deduct_when=code_failed
)
def enrol():
    user = current_user._get_current_object()
    if user.has_two_factor:
        return redirect(url_for("account.index"))
    form = EnrolForm()
    two_factor.start_enrolment(user)
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data, now_utc())
        except InvalidInput as error:
            g.code_failed = True
            copy_errors(form, error.errors)
        else:
            return render_recovery_codes(codes, url_for("account.index"))
    return render_template(
        "account/enrol.html",
        form=form,
        user=user,
        required=False,
        qr_svg=two_factor.qr_code_svg(two_factor.provisioning_uri(user)),
        action=url_for("account.enrol"),
    )


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
def recovery_codes():
    if not current_user.has_two_factor:
        return redirect(url_for("account.index"))
    form = PasswordAgainForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(
                current_user, form.password.data, now_utc()
            )
        except InvalidInput as error:
            copy_errors(form, error.errors)
        else:
            return render_recovery_codes(codes, url_for("account.index"))
    return render_template("account/password_again.html", form=form, purpose="recovery_codes")


@bp.route("/two-factor/off", methods=["GET", "POST"])
def turn_off_two_factor():
    if not current_user.has_two_factor:
        return redirect(url_for("account.index"))
    form = PasswordAgainForm()
    if form.validate_on_submit():
        try:
            two_factor.turn_off(current_user, form.password.data)
        except InvalidInput as error:
            copy_errors(form, error.errors)
        else:
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("account.index"), 303)
    return render_template("account/password_again.html", form=form, purpose="turn_off")


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    form = NewTokenForm()
    created = None
    if form.validate_on_submit():
        try:
            created = create_token(current_user, form.name.data)
        except InvalidInput as error:
            copy_errors(form, error.errors)
        else:
            form = NewTokenForm(formdata=None)
    response = render_template(
        "account/tokens.html",
        form=form,
        created=created,
        tokens=tokens_of(current_user),
        revoke_form=ButtonForm(),
    )
    if created:
        # The token is in this page and nowhere else: keep it out of every cache.
        return response, 200, {"Cache-Control": "no-store"}
    return response


@bp.post("/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    token = get_for_clinic(ApiToken, token_id, current_user.clinic_id)
    if token.user_id != current_user.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    revoke_token(current_user, token, now_utc())
    flash(_("The token is revoked."), "success")
    return redirect(url_for("account.tokens"), 303)
