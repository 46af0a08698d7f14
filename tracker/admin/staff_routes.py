"""Admin pages for the clinic's staff and every API token of the clinic."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.account.forms import ButtonForm
from tracker.admin import bp
from tracker.admin.staff_forms import InviteForm, RoleForm, TwoFactorRequirementForm
from tracker.checkin.pages import use_language
from tracker.clinic.forms import copy_errors
from tracker.clinic_words import translated
from tracker.models import ApiToken, User
from tracker.reminders.dispatch import send_after_response
from tracker.services import staff
from tracker.services.api_tokens import clinic_tokens, revoke_token
from tracker.services.scope import get_for_clinic
from tracker.services.validation import InvalidInput
from tracker.timeutil import now_utc


@bp.before_request
def speak_the_admins_language():
    """Admin pages speak the admin's language (after require_admin has let them in)."""
    if current_user.is_authenticated:
        use_language(current_user.language)


def staff_member(user_id: int) -> User:
    return get_for_clinic(User, user_id, current_user.clinic_id)


def flash_refusal(error: InvalidInput) -> None:
    for message in error.errors.values():
        flash(translated(message), "error")


@bp.get("/staff")
def staff_list():
    return render_template(
        "admin/staff.html",
        staff=staff.list_staff(current_user.clinic_id),
        invitations=staff.pending_invitations(current_user.clinic_id, now_utc()),
        role_form=RoleForm(),
        button_form=ButtonForm(),
        requirement_form=TwoFactorRequirementForm(required=current_user.clinic.require_two_factor),
    )


@bp.route("/staff/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if not form.is_submitted():
        form.language.data = current_user.language
    if form.validate_on_submit():
        try:
            queued = staff.invite(
                current_user,
                {"email": form.email.data, "role": form.role.data, "language": form.language.data},
                now_utc(),
            )
        except InvalidInput as error:
            copy_errors(form, error.errors)
        else:
            flash(_("Invitation sent to %(email)s.", email=form.email.data.strip()), "success")
            return send_after_response(redirect(url_for("admin.staff_list"), 303), queued)
    return render_template("admin/invite.html", form=form)


@bp.post("/staff/<int:user_id>/role")
def change_role(user_id: int):
    member = staff_member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        staff.change_role(current_user, member, form.role.data)
    except InvalidInput as error:
        flash_refusal(error)
    else:
        flash(_("%(name)s's role is saved.", name=member.name), "success")
    return redirect(url_for("admin.staff_list"), 303)


@bp.post("/staff/<int:user_id>/deactivate")
def deactivate(user_id: int):
    member = staff_member(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        staff.deactivate(current_user, member, now_utc())
    except InvalidInput as error:
        flash_refusal(error)
    else:
        flash(
            _("%(name)s is deactivated: signed out, API tokens revoked.", name=member.name),
            "success",
        )
    return redirect(url_for("admin.staff_list"), 303)


@bp.post("/staff/<int:user_id>/reactivate")
def reactivate(user_id: int):
    member = staff_member(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    staff.reactivate(current_user, member)
    flash(_("%(name)s can sign in again.", name=member.name), "success")
    return redirect(url_for("admin.staff_list"), 303)


@bp.post("/staff/two-factor")
def two_factor_requirement():
    form = TwoFactorRequirementForm()
    if not form.validate_on_submit():
        abort(400)
    staff.require_two_factor(current_user, form.required.data)
    if form.required.data:
        flash(
            _("Two-factor sign-in is required: staff not enrolled enrol at their next sign-in."),
            "success",
        )
    else:
        flash(_("Two-factor sign-in is optional."), "success")
    return redirect(url_for("admin.staff_list"), 303)


@bp.get("/tokens")
def tokens():
    return render_template(
        "admin/tokens.html", tokens=clinic_tokens(current_user.clinic_id), revoke_form=ButtonForm()
    )


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token_of_clinic(token_id: int):
    token = get_for_clinic(ApiToken, token_id, current_user.clinic_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    revoke_token(current_user, token, now_utc())
    flash(_("The token is revoked."), "success")
    return redirect(url_for("admin.tokens"), 303)
