"""Clinic admin pages: the outbox of failed sends, and the clinic's settings."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from tracker.admin import bp
from tracker.admin.forms import ClinicSettingsForm, RetryForm
from tracker.clinic.forms import TIMEZONES, copy_errors
from tracker.clinic_words import translated
from tracker.extensions import db
from tracker.models import Reminder
from tracker.services.clinic_settings import update_clinic_settings
from tracker.services.operations import reminder_counts, reminders_needing_attention, retry_reminder
from tracker.services.scope import get_for_clinic
from tracker.services.validation import Conflict, InvalidInput
from tracker.timeutil import now_utc

OUTBOX_LIMIT = 200


@bp.before_request
@login_required
def require_admin():
    """Admin pages need a signed-in admin of the clinic."""
    if not current_user.is_admin:
        abort(403)


@bp.route("/outbox")
def outbox():
    clinic_id = current_user.clinic_id
    return render_template(
        "admin/outbox.html",
        counts=reminder_counts(clinic_id),
        entries=reminders_needing_attention(clinic_id, now_utc(), OUTBOX_LIMIT),
        limit=OUTBOX_LIMIT,
        retry_form=RetryForm(),
    )


@bp.route("/outbox/<int:reminder_id>/retry", methods=["POST"])
def retry(reminder_id: int):
    reminder = get_for_clinic(Reminder, reminder_id, current_user.clinic_id)
    if not RetryForm().validate_on_submit():
        abort(400)
    try:
        retry_reminder(reminder, current_user, now_utc())
    except Conflict as error:
        flash(translated(error.errors["status"]), "error")
    else:
        flash(gettext("The reminder will be sent on the next dispatch pass."), "success")
    return redirect(url_for("admin.outbox"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    clinic = current_user.clinic
    form = ClinicSettingsForm()
    if not form.is_submitted():
        form.fill_from(clinic)
    if form.validate_on_submit():
        try:
            update_clinic_settings(clinic, current_user, form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(
                gettext(
                    "Settings saved. Schedule changes apply to treatments recorded from now on."
                ),
                "success",
            )
            return redirect(url_for("admin.settings"))
    return render_template(
        "admin/settings.html",
        form=form,
        clinic=clinic,
        timezones=TIMEZONES,
    )
