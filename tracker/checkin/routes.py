"""The emailed check-in link and the unsubscribe link: pages a patient opens from an email.

A GET never changes anything (mail scanners open links before the patient does); only the
patient's POST records a check-in or stops the emails.
"""

from flask import redirect, render_template, request, session, url_for
from sqlalchemy import select

from tracker.checkin import bp
from tracker.checkin.forms import CheckinForm
from tracker.checkin.pages import current_language, register_patient_pages, use_patient_language
from tracker.checkin.progress import next_checkin, patient_progress
from tracker.extensions import csrf, db
from tracker.links import LinkError, load_checkin_reminder, load_unsubscribe_patient
from tracker.models import CheckIn, Patient, Reminder
from tracker.services.checkins import (
    AlreadyRecorded,
    answer_reminder,
    checkin_received,
)
from tracker.services.follow_up_schedule import opt_out
from tracker.services.validation import InvalidInput
from tracker.timeutil import now_utc

# The browser that just sent a check-in may see the thank-you page with its progress.
THANKS_KEY = "checkin_thanks"


def patient_behind_link() -> Patient | None:
    """Name the patient of the link in the URL, for error pages; None if unknown."""
    token = (request.view_args or {}).get("token")
    if not token:
        return None
    try:
        if request.path.startswith("/u/"):
            return load_unsubscribe_patient(token)
        return load_checkin_reminder(token).patient
    except LinkError as error:
        return error.patient


register_patient_pages(bp, "checkin", patient_behind_link)


def render_form(reminder: Reminder, token: str, form: CheckinForm):
    patient = reminder.patient
    return render_template(
        "checkin/form.html",
        form=form,
        reminder=reminder,
        patient=patient,
        clinic=patient.clinic,
        action=url_for("checkin.submit", token=token),
    )


def render_received(reminder: Reminder):
    return render_template(
        "checkin/received.html",
        reminder=reminder,
        clinic=reminder.patient.clinic,
        portal_request_url=url_for("portal.request_link", lang=current_language()),
    )


@bp.get("/c/<token>")
def show(token: str):
    reminder = load_checkin_reminder(token, now_utc())
    use_patient_language(reminder.patient)
    if checkin_received(reminder):
        return render_received(reminder)
    return render_form(reminder, token, CheckinForm())


@bp.post("/c/<token>")
def submit(token: str):
    now = now_utc()
    reminder = load_checkin_reminder(token, now)
    use_patient_language(reminder.patient)
    form = CheckinForm()
    # "Answered already?" is asked once on each path: for a valid form under the patient's
    # lock (answer_reminder), for an invalid one here. Either way a second tap or a resent
    # form finds the first answer standing.
    valid = form.validate()
    if not valid and checkin_received(reminder):
        return redirect(url_for("checkin.show", token=token), 303)
    if valid:
        try:
            checkin = answer_reminder(reminder, form.values(), now)
        except AlreadyRecorded:
            return redirect(url_for("checkin.show", token=token), 303)
        except InvalidInput as error:
            db.session.rollback()
            form.show_service_errors(error.errors)
        else:
            session[THANKS_KEY] = {"reminder_id": reminder.id, "checkin_id": checkin.id}
            return redirect(url_for("checkin.thanks", token=token), 303)
    db.session.rollback()
    return render_form(reminder, token, form)


@bp.get("/c/<token>/thanks")
def thanks(token: str):
    reminder = load_checkin_reminder(token, now_utc())
    use_patient_language(reminder.patient)
    shown = session.get(THANKS_KEY) or {}
    if shown.get("reminder_id") != reminder.id:
        # Only the browser that sent the check-in sees the progress; others see "received".
        return redirect(url_for("checkin.show", token=token), 303)
    checkin = db.session.scalar(
        select(CheckIn).where(
            CheckIn.id == shown.get("checkin_id"), CheckIn.patient_id == reminder.patient_id
        )
    )
    return render_template(
        "checkin/thanks.html",
        reminder=reminder,
        patient=reminder.patient,
        clinic=reminder.patient.clinic,
        checkin=checkin,
        next_checkin=next_checkin(reminder.patient, now_utc()),
        progress=patient_progress(reminder.patient_id),
        portal_request_url=url_for("portal.request_link", lang=current_language()),
    )


@bp.get("/u/<token>")
def unsubscribe_confirm(token: str):
    patient = load_unsubscribe_patient(token)
    use_patient_language(patient)
    return render_template(
        "checkin/unsubscribe.html",
        clinic=patient.clinic,
        done=patient.opted_out_at is not None,
        action=url_for("checkin.unsubscribe", token=token),
    )


@bp.post("/u/<token>")
@csrf.exempt  # RFC 8058 one-click POSTs carry no CSRF token; the signed URL is the credential.
def unsubscribe(token: str):
    patient = load_unsubscribe_patient(token)
    use_patient_language(patient)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    opt_out(patient, now_utc(), via="one_click" if one_click else "unsubscribe_page")
    return render_template(
        "checkin/unsubscribe.html", clinic=patient.clinic, done=True, action=None
    )
