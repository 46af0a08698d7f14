"""Patients update their own details: language, time zone, and (once confirmed) email."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.validators import Length

from tracker.account_links import load_email_change
from tracker.checkin.pages import current_language, use_patient_language
from tracker.clinic.forms import copy_errors
from tracker.extensions import db
from tracker.portal import bp
from tracker.portal.routes import portal_patient
from tracker.portal.timezones import zones_by_country
from tracker.reminders.dispatch import send_after_response
from tracker.services.patient_details import (
    confirm_email_change,
    next_follow_up_email,
    update_own_details,
)
from tracker.services.validation import InvalidInput
from tracker.timeutil import now_utc
from tracker.vocabulary import LANGUAGE_CHOICES


class DetailsForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[Length(max=254)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button alone: only a POST uses the link (mail scanners only GET)."""


def render_details(patient, form):
    return render_template(
        "portal/details.html",
        patient=patient,
        clinic=patient.clinic,
        form=form,
        zone_groups=zones_by_country(current_language()),
        next_email=next_follow_up_email(patient, now_utc()),
    )


@bp.route("/portal/details", methods=["GET", "POST"])
def details():
    patient = portal_patient()
    if patient is None:
        return redirect(url_for("portal.request_link"))
    use_patient_language(patient)
    form = DetailsForm()
    if not form.is_submitted():
        form.email.data = patient.email
        form.language.data = patient.language
        form.timezone.data = patient.timezone
    if form.validate_on_submit():
        try:
            queued = update_own_details(
                patient,
                {
                    "email": form.email.data or patient.email,
                    "language": form.language.data,
                    "timezone": form.timezone.data,
                },
                now_utc(),
            )
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            use_patient_language(patient)
            flash(_("Your details are saved."), "success")
            if queued:
                flash(
                    _(
                        "We sent a link to %(email)s. Your emails go there once you follow it.",
                        email=form.email.data.strip(),
                    ),
                    "info",
                )
            return send_after_response(redirect(url_for("portal.details"), 303), queued)
    return render_details(patient, form)


@bp.route("/portal/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    change = load_email_change(token, now_utc())
    use_patient_language(change.patient)
    form = ConfirmForm()
    if form.validate_on_submit():
        patient = confirm_email_change(token, now_utc())
        return render_template(
            "portal/email_confirmed.html", clinic=patient.clinic, email=patient.email
        )
    return render_template(
        "portal/email_confirm.html", form=form, clinic=change.patient.clinic, change=change
    )
