"""The Compliance page, adverse events, drafts, periodic reports, archive (docs/compliance.md)."""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user

from tracker.clinic import bp
from tracker.clinic.compliance_forms import (
    AdverseEventForm,
    AssessmentForm,
    PatientActionForm,
    PeriodicReportForm,
    ReportedForm,
)
from tracker.clinic.forms import copy_errors
from tracker.clinic_words import translated
from tracker.extensions import db
from tracker.followup.reporting import plan_years
from tracker.models import AdverseEvent, Patient, ProvisionPlan, User
from tracker.services.actors import Actor
from tracker.services.adverse_events import (
    adverse_events_table,
    assess_adverse_event,
    clinic_today,
    create_adverse_event,
    event_clock,
    open_reports,
    record_reports,
)
from tracker.services.periodic_reports import next_report, periodic_year, save_periodic_report
from tracker.services.plans import plans_of
from tracker.services.retention import DeletionRefused, archive_patient, request_deletion
from tracker.services.scope import get_for_clinic
from tracker.services.validation import InvalidInput


def acting_user() -> Actor:
    return Actor(current_user, "user")


@bp.route("/compliance")
def compliance():
    clinic = current_user.clinic
    plans = [(plan, next_report(plan)) for plan in plans_of(clinic.id)]
    return render_template(
        "clinic/compliance.html",
        clinic=clinic,
        clocks=open_reports(clinic),
        plans=plans,
        today=clinic_today(clinic),
    )


@bp.route("/adverse-events/<int:event_id>")
def adverse_event(event_id: int):
    event = get_for_clinic(AdverseEvent, event_id, current_user.clinic_id)
    return event_page(event, AssessmentForm(obj=event), ReportedForm(obj=event))


def event_page(event: AdverseEvent, assessment: AssessmentForm, reported: ReportedForm):
    clock = event_clock(event, clinic_today(current_user.clinic))
    return render_template(
        "clinic/adverse_event.html",
        event=event,
        clock=clock,
        assessment=assessment,
        reported=reported,
    )


@bp.route("/adverse-events/<int:event_id>/assessment", methods=["POST"])
def assess_event(event_id: int):
    event = get_for_clinic(AdverseEvent, event_id, current_user.clinic_id)
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            assess_adverse_event(event, acting_user(), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Assessment saved."), "success")
            return redirect(url_for("clinic.adverse_event", event_id=event.id))
    return event_page(event, form, ReportedForm(obj=event)), 422


@bp.route("/adverse-events/<int:event_id>/reported", methods=["POST"])
def report_event(event_id: int):
    event = get_for_clinic(AdverseEvent, event_id, current_user.clinic_id)
    form = ReportedForm()
    if form.validate_on_submit():
        try:
            record_reports(event, acting_user(), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Reports saved."), "success")
            return redirect(url_for("clinic.adverse_event", event_id=event.id))
    return event_page(event, AssessmentForm(obj=event), form), 422


@bp.route("/patients/<int:patient_id>/adverse-events/new", methods=["GET", "POST"])
def new_adverse_event(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    form = AdverseEventForm()
    if form.validate_on_submit():
        try:
            event = create_adverse_event(patient, acting_user(), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Adverse event recorded: assess it now."), "success")
            return redirect(url_for("clinic.adverse_event", event_id=event.id))
    return render_template("clinic/adverse_event_form.html", form=form, patient=patient)


@bp.route("/adverse-events/<int:event_id>/draft")
def adverse_event_draft(event_id: int):
    """The committee's form filled in, in Japanese, to print on A4."""
    event = get_for_clinic(AdverseEvent, event_id, current_user.clinic_id)
    clinic = current_user.clinic
    today = clinic_today(clinic)
    patient = event.patient
    age = None
    if patient.date_of_birth is not None:
        on = event.onset_on or event.aware_on
        age = (
            on.year
            - patient.date_of_birth.year
            - ((on.month, on.day) < (patient.date_of_birth.month, patient.date_of_birth.day))
        )
    treatments = [
        t for t in patient.treatments if event.plan_id is None or t.plan_id == event.plan_id
    ]
    with force_locale("ja"):
        return render_template(
            "clinic/adverse_event_draft.html",
            event=event,
            clock=event_clock(event, today),
            clinic=clinic,
            patient=patient,
            initials=initials(patient.name),
            age=age,
            treatments=treatments,
            physician=physician_of(event),
            today=today,
            html_lang="ja",
        )


def initials(name: str) -> str:
    """A patient's initials for a report that must not name them: "Hanako Tanaka" -> "H.T."."""
    return "".join(f"{part[0].upper()}." for part in name.split() if part)


def physician_of(event: AdverseEvent) -> str:
    if event.treatment is not None and event.treatment.recorded_by_id is not None:
        user = db.session.get(User, event.treatment.recorded_by_id)
        if user is not None:
            return user.name
    return event.assessed_by.name if event.assessed_by is not None else ""


@bp.route("/compliance/adverse-events.csv")
def adverse_events_csv():
    """Every adverse-event record of the clinic with its report dates (UTF-8 with a BOM)."""
    return Response(
        adverse_events_table(current_user.clinic, Actor(current_user, "user")),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=adverse-events.csv"},
    )


@bp.route("/plans/<int:plan_id>/periodic-reports/<int:index>", methods=["GET", "POST"])
def periodic_report(plan_id: int, index: int):
    plan = get_for_clinic(ProvisionPlan, plan_id, current_user.clinic_id)
    today = clinic_today(current_user.clinic)
    if plan.accepted_on is None or index >= len(plan_years(plan.accepted_on, today)):
        abort(404)
    form = PeriodicReportForm()
    if form.validate_on_submit():
        try:
            save_periodic_report(plan, index, acting_user(), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Periodic report saved."), "success")
            return redirect(url_for("clinic.periodic_report", plan_id=plan.id, index=index))
    draft = periodic_year(plan, index)
    if not form.is_submitted():
        form.evaluation.data = draft.evaluation
        form.submitted_on.data = draft.submitted_on
    return render_template(
        "clinic/periodic_report.html", plan=plan, draft=draft, form=form, clinic=current_user.clinic
    )


@bp.route("/patients/<int:patient_id>/archive", methods=["POST"])
def archive(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    if not PatientActionForm().validate_on_submit():
        abort(400)
    archive_patient(patient, acting_user())
    flash(
        gettext("%(name)s is archived: hidden from the lists, no more emails.", name=patient.name),
        "success",
    )
    return redirect(url_for("clinic.patient", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/delete", methods=["POST"])
def delete_patient(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    if not PatientActionForm().validate_on_submit():
        abort(400)
    try:
        request_deletion(patient, acting_user())
    except DeletionRefused as refusal:
        flash(translated(refusal.args[0]), "error")
    return redirect(url_for("clinic.patient", patient_id=patient.id))


@bp.app_template_global()
def patient_action_form() -> PatientActionForm:
    """Return an empty form for the Archive and Delete buttons of the patient page."""
    return PatientActionForm(formdata=None)
