"""Use cases for treatments and boosters."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Patient, Treatment
from tracker.models.treatment import KINDS, ROUTES
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.flagging import booster_recorded
from tracker.services.follow_up_schedule import reschedule_treatment, schedule_treatment
from tracker.services.plans import check_treatment_plan
from tracker.services.scope import MAX_ID
from tracker.services.validation import DOSE_PLACES, LARGEST_DOSE, N_, SMALLEST_DOSE, Checker
from tracker.timeutil import now_utc, today_in
from tracker.vocabulary import TEXT_LIMIT

FIELDS = (
    "treated_on",
    "kind",
    "route",
    "site",
    "kl_grade",
    "cell_dose_million",
    "booster_of",
    "used_frozen_dose",
    "baseline_pain",
    "baseline_stiffness",
    "baseline_morning_stiffness_minutes",
    "baseline_function",
    "baseline_global_assessment",
    "notes",
    "plan_id",
)


def check_treatment_values(
    patient: Patient, values: dict, editing: Treatment | None = None
) -> dict:
    """Validate treatment fields against the patient's other treatments."""
    check = Checker()
    cleaned: dict = {}
    cleaned["treated_on"] = check.past_date(
        "treated_on", values.get("treated_on"), today_in(patient.timezone)
    )
    cleaned["kind"] = check.choice("kind", values.get("kind"), tuple(KINDS))
    cleaned["route"] = check.choice("route", values.get("route"), tuple(ROUTES))
    cleaned["site"] = check.text("site", values.get("site"), required=True, max_length=200)
    cleaned["kl_grade"] = check.score("kl_grade", values.get("kl_grade"), required=False, high=4)
    cleaned["cell_dose_million"] = check_dose(check, values.get("cell_dose_million"))
    for field, high in (
        ("baseline_pain", 10),
        ("baseline_stiffness", 10),
        ("baseline_morning_stiffness_minutes", 1440),
        ("baseline_function", 10),
        ("baseline_global_assessment", 10),
    ):
        cleaned[field] = check.score(field, values.get(field), required=False, high=high)
    cleaned["notes"] = check.text(
        "notes", values.get("notes") or "", required=False, max_length=TEXT_LIMIT, multi_line=True
    )
    cleaned["used_frozen_dose"] = bool(values.get("used_frozen_dose"))
    cleaned["booster_of_id"] = check_booster_of(
        check, patient, values.get("booster_of"), cleaned["treated_on"], editing
    )
    cleaned["plan_id"] = check_treatment_plan(check, patient.clinic, values.get("plan_id"), editing)
    if cleaned["used_frozen_dose"] and not cleaned["booster_of_id"]:
        check.fail("used_frozen_dose", N_("Only a booster uses a frozen dose from the cell bank."))
    already_used = editing is not None and editing.used_frozen_dose
    if cleaned["used_frozen_dose"] and not already_used and patient.frozen_doses < 1:
        check.fail("used_frozen_dose", N_("The patient's cell bank has no frozen doses left."))
    check.done()
    return cleaned


def check_dose(check: Checker, value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        dose = Decimal(str(value))
    except InvalidOperation:
        check.fail("cell_dose_million", N_("Must be a number of million cells, e.g. 50 or 12.5."))
        return None
    if isinstance(value, bool) or not dose.is_finite() or dose <= 0 or dose > LARGEST_DOSE:
        check.fail("cell_dose_million", N_("Must be a positive number of million cells."))
        return None
    if dose < SMALLEST_DOSE:
        # Kept to two decimals, a smaller dose would be stored as 0, which is no dose.
        check.fail(
            "cell_dose_million",
            N_(
                "Must be at least %(dose)s million cells (the dose is kept to two decimals).",
                dose=SMALLEST_DOSE,
            ),
        )
        return None
    return dose.quantize(DOSE_PLACES)


def check_booster_of(
    check: Checker, patient: Patient, booster_of, treated_on: date | None, editing: Treatment | None
) -> int | None:
    if booster_of in (None, ""):
        return None
    # An id beyond the integer column's range would overflow the driver, and is no treatment.
    if (
        isinstance(booster_of, bool)
        or not isinstance(booster_of, int)
        or not 0 < booster_of <= MAX_ID
    ):
        check.fail("booster_of", N_("Must be the id of one of the patient's treatments."))
        return None
    boosted = db.session.scalar(
        select(Treatment).where(Treatment.id == booster_of, Treatment.patient_id == patient.id)
    )
    if boosted is None or (editing is not None and boosted.id == editing.id):
        check.fail("booster_of", N_("Must be an earlier treatment of the same patient."))
        return None
    if treated_on is not None and boosted.treated_on >= treated_on:
        check.fail("booster_of", N_("Must be an earlier treatment of the same patient."))
        return None
    return boosted.id


def record_treatment(
    patient: Patient, actor: Actor, values: dict, now: datetime | None = None
) -> Treatment:
    """Record a treatment (or booster) and plan its follow-up in one transaction."""

    cleaned = check_treatment_values(patient, values)
    treatment = Treatment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        recorded_by_id=actor.user.id if actor.user else None,
        **cleaned,
    )
    db.session.add(treatment)
    db.session.flush()
    if treatment.used_frozen_dose:
        patient.frozen_doses -= 1
    now = now or now_utc()
    schedule_treatment(treatment, now)
    if treatment.booster_of_id is not None:
        booster_recorded(treatment, actor, now)
    record_audit(
        patient.clinic_id,
        "treatment.create",
        "treatment",
        treatment.id,
        actor.user,
        actor.kind,
        {"patient_id": patient.id},
    )
    db.session.commit()
    return treatment


def update_treatment(treatment: Treatment, actor: Actor, values: dict) -> Treatment:
    """Change a treatment; a new date reschedules its pending reminders."""

    patient = treatment.patient
    cleaned = check_treatment_values(patient, values, editing=treatment)
    if cleaned["used_frozen_dose"] != treatment.used_frozen_dose:
        patient.frozen_doses += -1 if cleaned["used_frozen_dose"] else 1
    changed = sorted(
        field for field, value in cleaned.items() if getattr(treatment, field) != value
    )
    for field, value in cleaned.items():
        setattr(treatment, field, value)
    if "treated_on" in changed:
        reschedule_treatment(treatment, now_utc())
    record_audit(
        treatment.clinic_id,
        "treatment.update",
        "treatment",
        treatment.id,
        actor.user,
        actor.kind,
        {"patient_id": patient.id, "fields": changed},
    )
    db.session.commit()
    return treatment
