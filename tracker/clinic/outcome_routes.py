"""Outcomes in the clinician UI: the Outcomes page, outcome events, rows on the patient page."""

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.clinic import bp, charts, outcome_charts
from tracker.clinic.forms import OutcomeEventForm, copy_errors, validate_with_rules
from tracker.clinic.history import history_entries
from tracker.clinic.outcome_words import published_expectations, summary_sentences
from tracker.extensions import db
from tracker.followup.outcome_summary import GROUP_BY
from tracker.messages import N_
from tracker.models import Patient
from tracker.models.treatment import KINDS, ROUTES
from tracker.services.actors import Actor
from tracker.services.adverse_events import events_of_patient
from tracker.services.outcome_events import (
    check_outcome_event_values,
    outcome_events_of,
    record_outcome_event,
)
from tracker.services.outcome_export import outcome_csv
from tracker.services.outcomes import check_outcome_query, clinic_outcomes, outcome_overview
from tracker.services.patients import patient_record
from tracker.services.scope import get_for_clinic
from tracker.services.validation import InvalidInput
from tracker.timeutil import today_in

CHOICES = {"kinds": KINDS, "routes": ROUTES, "group_by_choices": GROUP_BY}


def outcome_event_form(patient: Patient) -> OutcomeEventForm:
    form = OutcomeEventForm()
    latest_first = sorted(patient.treatments, key=lambda t: (t.treated_on, t.id), reverse=True)
    form.treatment_id.choices = [
        (t.id, f"{t.treated_on.isoformat()} · {t.kind_label} · {t.site}") for t in latest_first
    ]
    return form


def render_patient_page(
    patient: Patient,
    event_form: OutcomeEventForm | None = None,
    shown_id: int | None = None,
):
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
        shown_id=shown_id,
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
        history=history_entries(record.history),
        adverse_events=events_of_patient(patient),
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
    "answered": N_("answered"),
    "missed": N_("missed"),
    "pending": N_("pending"),
    "closed": N_("closed by a later treatment"),
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


def query_values(args) -> dict:
    """Turn the page's query string into the values check_outcome_query validates."""
    values: dict = {name: args.get(name) or None for name in ("group_by", "kind", "route")}
    grade = (args.get("kl_grade") or "").strip()
    values["kl_grade"] = int(grade) if grade.isdigit() else (grade or None)
    for name in ("treated_from", "treated_to"):
        text = (args.get(name) or "").strip()
        try:
            values[name] = date.fromisoformat(text) if text else None
        except ValueError:
            values[name] = text
    return values


@bp.route("/outcomes")
def outcomes():
    values = query_values(request.args)
    try:
        query = check_outcome_query(values)
    except InvalidInput as error:
        return render_template(
            "clinic/outcomes.html", errors=error.errors, args=request.args, page=None, **CHOICES
        )
    overview = outcome_overview(current_user.clinic, query)
    figures = overview.figures
    last_day = max((row["day"] for row in figures["durability"]["curve"]), default=0)
    groups = [(None, figures)] if not query.group_by else [(g["key"], g) for g in figures["groups"]]
    page = {
        "figures": figures,
        "summary": summary_sentences(figures),
        "treatments": overview.treatments,
        "survival_charts": [
            (key, group, outcome_charts.survival_chart(group["durability"], last_day))
            for key, group in groups
        ],
        "responders": outcome_charts.responder_chart(figures["milestones"]),
        "trajectory": outcome_charts.trajectory_chart(overview.trajectory),
        "expectations": published_expectations(figures, overview.by_kl_grade, overview.by_route),
    }
    return render_template(
        "clinic/outcomes.html", errors={}, args=request.args, page=page, query=query, **CHOICES
    )


@bp.route("/outcomes.csv")
def outcomes_csv():
    query = check_outcome_query(query_values(request.args))
    clinic = current_user.clinic
    rows = clinic_outcomes(clinic, query)
    lines = outcome_csv(clinic, rows, query, Actor(current_user, "user"))
    return Response(
        lines,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="outcomes.csv"'},
    )


GROUP_BY_LABELS = {"kind": N_("Treatment kind"), "kl_grade": N_("KL grade"), "route": N_("Route")}


@bp.app_template_global()
def group_by_label(code: str) -> str:
    return _(GROUP_BY_LABELS.get(code, code))


@bp.app_template_global()
def group_label(key: str) -> str:
    """Name a group of the Outcomes page: a kind, a route, or a KL grade group."""
    if key in KINDS:
        return _(KINDS[key])
    if key in ROUTES:
        return _(ROUTES[key])
    if key == "unknown":
        return _("KL grade not recorded")
    return _("KL grade %(grades)s", grades=key)
