"""The clinician UI: worklist, patients, treatments."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from tracker.clinic import bp
from tracker.clinic.forms import (
    TIMEZONES,
    PatientForm,
    TreatmentForm,
    copy_errors,
    validate_with_rules,
)
from tracker.clinic.history import history_entries
from tracker.clinic.outcome_routes import render_patient_page
from tracker.extensions import db
from tracker.models import Patient, Treatment
from tracker.phones import format_phone
from tracker.services.actors import Actor
from tracker.services.patient_history import patient_history
from tracker.services.patients import (
    check_patient_values,
    create_patient,
    search_patients,
    update_patient,
    view_patient,
)
from tracker.services.plans import plans_of
from tracker.services.scope import get_for_clinic, requested_page
from tracker.services.treatments import (
    check_treatment_values,
    record_treatment,
    update_treatment,
)
from tracker.services.validation import Conflict, InvalidInput
from tracker.services.worklist import worklist_page
from tracker.templating import long_date
from tracker.timeutil import today_in

PAGE_SIZE = 50


def acting_user() -> Actor:
    return Actor(current_user, "user")


@bp.before_request
@login_required
def require_login():
    """Every page of the clinician UI needs a signed-in clinician."""


@bp.route("/")
def worklist():

    page = worklist_page(current_user.clinic_id, request.args, user_id=current_user.id)
    return render_template("clinic/worklist.html", page=page)


@bp.route("/patients")
def patients():
    text = request.args.get("q", "")
    page_number = requested_page(request.args)
    found = search_patients(
        current_user.clinic_id, text, limit=PAGE_SIZE + 1, offset=(page_number - 1) * PAGE_SIZE
    )
    return render_template(
        "clinic/patients.html",
        patients=found[:PAGE_SIZE],
        has_next=len(found) > PAGE_SIZE,
        page_number=page_number,
        query=text,
    )


@bp.route("/patients/new", methods=["GET", "POST"])
def new_patient():
    form = PatientForm()
    if request.method == "GET":
        form.timezone.data = current_user.clinic.timezone
    if validate_with_rules(form, lambda: check_patient_values(form.values(), current_user.clinic)):
        try:
            patient = create_patient(current_user.clinic, acting_user(), form.values())
        except (InvalidInput, Conflict) as error:
            copy_errors(form, error.errors)
        else:
            # One flow: the follow-up only starts once the treatment is recorded.
            flash(
                gettext(
                    "Patient %(name)s recorded. Next, record the treatment: the follow-up"
                    " emails are planned from its date.",
                    name=patient.name,
                ),
                "success",
            )
            return redirect(url_for("clinic.new_treatment", patient_id=patient.id))
    return render_template("clinic/patient_form.html", form=form, patient=None, timezones=TIMEZONES)


@bp.route("/patients/<int:patient_id>")
def patient(patient_id: int):
    patient = view_patient(patient_id, current_user.clinic_id, acting_user())
    return render_patient_page(patient, shown_id=request.args.get("treatment", type=int))


@bp.route("/patients/<int:patient_id>/history")
def patient_history_page(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    history = history_entries(patient_history(patient))
    return render_template("clinic/patient_history.html", patient=patient, history=history)


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
def edit_patient(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    form = PatientForm(obj=patient)
    if request.method == "GET":
        form.phone.data = format_phone(patient.phone, patient.clinic.phone_country)
    if validate_with_rules(form, lambda: check_patient_values(form.values(), patient.clinic)):
        try:
            update_patient(patient, acting_user(), form.values())
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Patient details saved."), "success")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template(
        "clinic/patient_form.html", form=form, patient=patient, timezones=TIMEZONES
    )


def treatment_form(patient: Patient, treatment: Treatment | None = None) -> TreatmentForm:
    form = TreatmentForm(obj=treatment)
    if treatment is not None and request.method == "GET":
        form.booster_of.data = treatment.booster_of_id
    earlier = [t for t in patient.treatments if treatment is None or t.id != treatment.id]
    form.booster_of.choices = [("", gettext("— not a booster —"))] + [
        (t.id, f"{t.treated_on.isoformat()} · {t.kind_label} · {t.site}") for t in earlier
    ]
    if treatment is not None and request.method == "GET":
        form.plan_id.data = treatment.plan_id
    form.plan_id.choices = plan_choices(patient.clinic, treatment)
    return form


def plan_choices(clinic, treatment: Treatment | None) -> list:
    """The clinic's active plans, and the plan a treatment was given under if no longer active."""
    from flask_babel import gettext

    plans = [
        plan
        for plan in plans_of(clinic.id)
        if plan.status == "active" or (treatment is not None and plan.id == treatment.plan_id)
    ]
    blank = gettext("— choose the plan —") if clinic.regulatory_regime == "jp_asrm" else "—"
    return [("", blank)] + [(plan.id, f"{plan.plan_number} · {plan.title}") for plan in plans]


@bp.route("/patients/<int:patient_id>/treatments/new", methods=["GET", "POST"])
def new_treatment(patient_id: int):
    patient = get_for_clinic(Patient, patient_id, current_user.clinic_id)
    form = treatment_form(patient)
    if request.method == "GET":
        form.treated_on.data = today_in(patient.timezone)
    if validate_with_rules(form, lambda: check_treatment_values(patient, form.values())):
        try:
            treatment = record_treatment(patient, acting_user(), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(
                gettext("Treatment of %(day)s recorded.", day=long_date(treatment.treated_on)),
                "success",
            )
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template("clinic/treatment_form.html", form=form, patient=patient, treatment=None)


@bp.route("/treatments/<int:treatment_id>/edit", methods=["GET", "POST"])
def edit_treatment(treatment_id: int):
    treatment = get_for_clinic(Treatment, treatment_id, current_user.clinic_id)
    patient = treatment.patient
    form = treatment_form(patient, treatment)
    if validate_with_rules(
        form, lambda: check_treatment_values(patient, form.values(), editing=treatment)
    ):
        try:
            update_treatment(treatment, acting_user(), form.values())
        except InvalidInput as error:
            db.session.rollback()
            copy_errors(form, error.errors)
        else:
            flash(gettext("Treatment saved."), "success")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template(
        "clinic/treatment_form.html", form=form, patient=patient, treatment=treatment
    )
