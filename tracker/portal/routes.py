"""The patient portal: ask for a magic link, open it once, see one's history, check in.

The portal session holds one patient id and nothing else; every query below filters by it.
"""

from datetime import datetime, timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from tracker.checkin.forms import CheckinForm
from tracker.checkin.pages import (
    current_language,
    language_from_query,
    register_patient_pages,
    use_patient_language,
)
from tracker.checkin.progress import checked_in_on, next_checkin, patient_progress
from tracker.extensions import db, limiter
from tracker.links import LinkError, load_portal_link, redeem_portal_link
from tracker.models import Patient
from tracker.portal import bp
from tracker.portal.forms import PortalOpenForm, PortalRequestForm
from tracker.reminders.dispatch import send_after_response
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.checkins import record_checkin
from tracker.services.notifications import request_portal_links
from tracker.services.validation import InvalidInput
from tracker.timeutil import now_utc, today_in

PATIENT_KEY = "portal_patient_id"
SINCE_KEY = "portal_since"
SESSION_HOURS = 12
REQUESTS_PER_IP = "5 per 15 minutes"
REQUESTS_PER_ADDRESS = "3 per hour"


def portal_patient() -> Patient | None:
    """Return the patient of this browser's portal session, or None (ending a stale one)."""
    patient_id = session.get(PATIENT_KEY)
    since = session.get(SINCE_KEY)
    if not isinstance(patient_id, int) or not isinstance(since, str):
        return None
    try:
        started = datetime.fromisoformat(since)
    except ValueError:
        started = None
    # The cookie's own lifetime slides with each request; the portal session does not.
    if started is None or now_utc() - started > timedelta(hours=SESSION_HOURS):
        end_portal_session()
        return None
    return db.session.get(Patient, patient_id)


def end_portal_session() -> None:
    session.pop(PATIENT_KEY, None)
    session.pop(SINCE_KEY, None)


def patient_for_error_page() -> Patient | None:
    token = (request.view_args or {}).get("token")
    if token:
        try:
            return db.session.get(Patient, load_portal_link(token).patient_id)
        except LinkError as error:
            return error.patient
    return portal_patient()


register_patient_pages(bp, "portal", patient_for_error_page)


def requested_address_key() -> str:
    """Key the per-address limit by the email typed, so nobody can flood one inbox."""
    return "portal-address:" + (request.form.get("email") or "").strip().lower()


@bp.route("/portal/request", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("PORTAL_REQUEST_LIMIT_PER_IP", REQUESTS_PER_IP),
    methods=["POST"],
)
@limiter.limit(
    lambda: current_app.config.get("PORTAL_REQUEST_LIMIT_PER_ADDRESS", REQUESTS_PER_ADDRESS),
    key_func=requested_address_key,
    methods=["POST"],
)
def request_link():
    language_from_query()
    form = PortalRequestForm()
    if form.validate_on_submit():
        minutes = current_app.config["PORTAL_LINK_MINUTES"]
        queued = request_portal_links(form.email.data, minutes, now_utc())
        # The same answer whether or not the address is known: no account enumeration.
        response = redirect(url_for("portal.link_sent", lang=current_language()), 303)
        return send_after_response(response, queued)
    return render_template("portal/request.html", form=form)


@bp.get("/portal/sent")
def link_sent():
    language_from_query()
    return render_template("portal/sent.html", minutes=current_app.config["PORTAL_LINK_MINUTES"])


@bp.get("/p/<token>")
def open_link(token: str):
    link = load_portal_link(token, now_utc())
    patient = db.session.get(Patient, link.patient_id)
    use_patient_language(patient)
    return render_template(
        "portal/open.html",
        form=PortalOpenForm(),
        clinic=patient.clinic,
        action=url_for("portal.redeem_link", token=token),
    )


@bp.post("/p/<token>")
def redeem_link(token: str):
    now = now_utc()
    link = redeem_portal_link(token, now)
    patient = db.session.get(Patient, link.patient_id)
    record_audit(patient.clinic_id, "portal.open", "patient", patient.id, None, "patient")
    db.session.commit()
    end_portal_session()
    session[PATIENT_KEY] = patient.id
    session[SINCE_KEY] = now.isoformat()
    session.permanent = True
    return redirect(url_for("portal.home"), 303)


def render_home(patient: Patient, form: CheckinForm):
    now = now_utc()
    return render_template(
        "portal/home.html",
        patient=patient,
        clinic=patient.clinic,
        form=form,
        progress=patient_progress(patient.id),
        next_checkin=next_checkin(patient, now),
        # Minutes after a check-in, the page thanks the patient instead of asking again.
        checked_in_today=checked_in_on(patient.id, today_in(patient.timezone)),
    )


@bp.get("/portal")
def home():
    patient = portal_patient()
    if patient is None:
        return redirect(url_for("portal.request_link"))
    use_patient_language(patient)
    return render_home(patient, CheckinForm())


@bp.post("/portal/checkin")
def checkin():
    patient = portal_patient()
    if patient is None:
        return redirect(url_for("portal.request_link"))
    use_patient_language(patient)
    form = CheckinForm()
    if form.validate():
        try:
            record_checkin(patient, Actor(None, "patient"), form.values(), source="portal")
        except InvalidInput as error:
            db.session.rollback()
            form.show_service_errors(error.errors)
        else:
            flash(_("Thank you. Your check-in was recorded."), "success")
            return redirect(url_for("portal.home", _anchor="history"), 303)
    return render_home(patient, form)


@bp.post("/portal/logout")
def logout():
    patient = portal_patient()
    language = patient.language if patient is not None else current_language()
    end_portal_session()
    return redirect(url_for("portal.signed_out", lang=language), 303)


@bp.get("/portal/signed-out")
def signed_out():
    language_from_query()
    return render_template("portal/signed_out.html")
