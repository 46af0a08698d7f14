"""Outcomes in the clinician UI: outcome events and outcome rows on the patient page."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.clinic import bp, charts
from tracker.clinic.forms import OutcomeEventForm, copy_errors, validate_with_rules
from tracker.extensions import db
from tracker.models import Patient
from tracker.services.outcome_events import (
    check_outcome_event_values,
    outcome_events_of,
    record_outcome_event,
)
from tracker.services.outcomes import clinic_outcomes
from tracker.services.patients import Actor, patient_record
from tracker.services.scope import get_for_clinic
from tracker.services.validation import InvalidInput
from tracker.timeutil import today_in


def outcome_event_form(patient: Patient) -> OutcomeEventForm:
    form = OutcomeEventForm()
    latest_first = sorted(patient.treatments, key=lambda t: (t.treated_on, t.id), reverse=True)
    form.treatment_id.choices = [
        (t.id, f"{t.treated_on.isoformat()} · {t.kind_label} · {t.site}") for t in latest_first
    ]
    return form


def render_patient_page(patient: Patient, event_form: OutcomeEventForm | None = None):
    """Render the patient page, with the outcome rows and a (possibly refused) event form."""
    record = patient_record(patient)
    events = outcome_events_of(patient.id)
    chart = charts.record_chart(
        patient,
        record.treatments,
        record.checkins,
        record.flags,
        today_in(patient.timezone),
        outcome_events=events,
    )
    outcomes = {
        row.outcome.treatment_id: row
        for row in clinic_outcomes(patient.clinic, patient_id=patient.id)
    }
    return render_template(
        "clinic/patient.html",
        patient=patient,
        record=record,
        chart=chart,
        outcomes=outcomes,
        outcome_events=events,
        event_form=event_form or outcome_event_form(patient),
    )


@bp.route("/patients/<int:patient_id>/outcome-events", methods=["POST"])
def new_outcome_event(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    form = outcome_event_form(patient)
    treatment = next((t for t in patient.treatments if t.id == form.treatment_id.data), None)
    if treatment is None:
        form.validate_on_submit()
        form.treatment_id.errors = [_("Choose one of this patient's treatments.")]
    elif validate_with_rules(form, lambda: check_outcome_event_values(treatment, form.values())):
        try:
            event = record_outcome_event(treatment, Actor(current_user, "user"), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(_("%(what)s recorded.", what=_(event.kind_label)), "success")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_patient_page(patient, form)


MILESTONE_STATUSES = {
    "answered": "answered",
    "missed": "missed",
    "pending": "pending",
    "closed": "closed by a later treatment",
}


@bp.app_template_global()
def milestone_name(weeks: int) -> str:
    """Name a milestone: "12 wk", and a whole number of years "1 yr" (1年後)."""
    if weeks % 52 == 0:
        return _("%(years)d yr", years=weeks // 52)
    return _("%(weeks)d wk", weeks=weeks)


@bp.app_template_global()
def milestone_status(status: str) -> str:
    """Say a milestone's status in the viewer's language."""
    return _(MILESTONE_STATUSES.get(status, status))


bp.add_app_template_global(today_in, "today_in")
