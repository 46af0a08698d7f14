"""Use cases for patients: create, edit, search, opt out."""

import dataclasses
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import AuditEvent, CheckIn, Clinic, Flag, Patient, Reminder, Treatment
from tracker.models.patient import SEXES
from tracker.services.actors import Actor
from tracker.services.audit import record_audit, record_read_audit
from tracker.services.follow_up_schedule import reschedule_patient
from tracker.services.patient_history import HISTORY_ON_PAGE, patient_history
from tracker.services.scope import clinic_row, clinic_select, load_for_clinic
from tracker.services.transactions import commit_keeping_loaded
from tracker.services.validation import N_, Checker, Conflict
from tracker.timeutil import now_utc, today_in
from tracker.vocabulary import PORTAL_LINK

# What Japan's regenerative-medicine act asks a clinic to keep (all optional here).
RECORD_FIELDS = ("date_of_birth", "sex", "address", "diagnosis")

EDITABLE_FIELDS = (
    "external_id",
    "name",
    "email",
    "phone",
    "timezone",
    "language",
    "frozen_doses",
    *RECORD_FIELDS,
)


def check_patient_values(values: dict, clinic: Clinic) -> dict:
    """Validate patient fields; return the cleaned values or raise InvalidInput."""
    check = Checker()
    cleaned: dict = {}
    if "external_id" in values:
        cleaned["external_id"] = check.text(
            "external_id", values["external_id"], required=True, max_length=64
        )
    if "name" in values:
        cleaned["name"] = check.text("name", values["name"], required=True, max_length=200)
    if "email" in values:
        cleaned["email"] = check.email("email", values["email"])
    if "phone" in values:
        # A number typed without its country code is one the clinic's staff dial at home.
        cleaned["phone"] = check.phone("phone", values["phone"], clinic.phone_country)
    if "timezone" in values:
        zone = values["timezone"] or clinic.timezone
        cleaned["timezone"] = check.timezone("timezone", zone)
    if "language" in values:
        cleaned["language"] = check.language("language", values["language"] or "en")
    if "frozen_doses" in values:
        cleaned["frozen_doses"] = check.score(
            "frozen_doses", values["frozen_doses"] or 0, required=False, high=100
        )
    check_record_fields(check, values, clinic, cleaned)
    check.done()
    return cleaned


def check_record_fields(check: Checker, values: dict, clinic: Clinic, cleaned: dict) -> None:
    """Check date of birth, sex, address and diagnosis, each only when given."""
    if "date_of_birth" in values:
        born = values["date_of_birth"] or None
        if isinstance(born, str):
            try:
                born = date.fromisoformat(born)
            except ValueError:
                check.fail("date_of_birth", N_("Must be a date (YYYY-MM-DD)."))
                born = None
        if born is not None:
            born = check.past_date("date_of_birth", born, today_in(clinic.timezone))
        cleaned["date_of_birth"] = born
    if "sex" in values:
        sex = values["sex"] or None
        if sex is not None:
            sex = check.choice("sex", sex, SEXES)
        cleaned["sex"] = sex
    for field in ("address", "diagnosis"):
        if field in values:
            text = check.text(field, values[field] or "", required=False, max_length=500)
            cleaned[field] = text or None


def external_id_taken(clinic_id: int, external_id: str, except_id: int | None = None) -> bool:
    query = select(Patient.id).where(
        Patient.clinic_id == clinic_id, Patient.external_id == external_id
    )
    if except_id is not None:
        query = query.where(Patient.id != except_id)
    return db.session.scalar(query) is not None


def create_patient(clinic: Clinic, actor: Actor, values: dict) -> Patient:
    """Record a new patient of the clinic."""
    values = {"timezone": None, "language": "en", "email": None, "phone": None, **values}
    cleaned = check_patient_values(values, clinic)
    if external_id_taken(clinic.id, cleaned["external_id"]):
        raise Conflict("external_id", N_("A patient with this external ID already exists."))
    patient = Patient(clinic_id=clinic.id, **cleaned)
    db.session.add(patient)
    try:
        db.session.flush()
        record_audit(clinic.id, "patient.create", "patient", patient.id, actor.user, actor.kind)
        db.session.commit()
    except IntegrityError as error:
        # Two requests raced for one external_id: the unique constraint decides.
        db.session.rollback()
        raise Conflict(
            "external_id", N_("A patient with this external ID already exists.")
        ) from error
    return patient


def update_patient(patient: Patient, actor: Actor, values: dict) -> Patient:
    """Change a patient's details; a new time zone reschedules pending reminders."""

    cleaned = check_patient_values(
        {key: value for key, value in values.items() if key in EDITABLE_FIELDS}, patient.clinic
    )
    if "external_id" in cleaned and external_id_taken(
        patient.clinic_id, cleaned["external_id"], except_id=patient.id
    ):
        raise Conflict("external_id", N_("A patient with this external ID already exists."))
    changed = {field: value for field, value in cleaned.items() if getattr(patient, field) != value}
    # Old -> new, so the patient page's history can say what changed.
    old_and_new = {
        field: [as_json(getattr(patient, field)), as_json(value)]
        for field, value in changed.items()
    }
    for field, value in changed.items():
        setattr(patient, field, value)
    try:
        if "timezone" in changed or "email" in changed:
            reschedule_patient(patient, now_utc())
        record_audit(
            patient.clinic_id,
            "patient.update",
            "patient",
            patient.id,
            actor.user,
            actor.kind,
            {"fields": sorted(changed), "changed": old_and_new},
        )
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(
            "external_id", N_("A patient with this external ID already exists.")
        ) from error
    return patient


def as_json(value):
    return value.isoformat() if isinstance(value, date) else value


def search_patients(clinic_id: int, text: str, limit: int = 50, offset: int = 0) -> list[Patient]:
    """Find the clinic's patients (not archived) whose name or external ID contains the text."""
    query = clinic_select(Patient, clinic_id).where(Patient.archived_at.is_(None))
    text = (text or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if text:
        pattern = (
            "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            or_(
                func.lower(Patient.name).like(pattern, escape="\\"),
                func.lower(Patient.external_id).like(pattern, escape="\\"),
            )
        )
    query = query.order_by(Patient.name, Patient.id).limit(limit).offset(offset)
    return list(db.session.scalars(query))


# Opening a patient is the API's busiest read: its statement is built once.
PATIENT_WITH_TREATMENTS = clinic_row(Patient, joinedload(Patient.treatments))


def view_patient(patient_id: int, clinic_id: int, actor: Actor) -> Patient:
    """Open one patient of the clinic for a clinician or an integrator; the view is audited."""
    patient = load_for_clinic(PATIENT_WITH_TREATMENTS, patient_id, clinic_id)
    record_read_audit(
        patient.clinic_id, "patient.view", "patient", patient.id, actor.user, actor.kind
    )
    commit_keeping_loaded()
    return patient


@dataclass
class PatientRecord:
    """Everything the patient page shows, newest first."""

    treatments: list[Treatment]
    checkins: list[CheckIn]
    reminders: list[Reminder]  # follow-up emails: milestones, nudges, confirmations
    flags: list[Flag]
    portal_links: list[Reminder] = dataclasses.field(
        default_factory=list
    )  # links the patient asked for
    history: list[AuditEvent] = dataclasses.field(default_factory=list)  # newest first
    more_history: bool = False  # older events than these are on the history page

    def treatment_of(self, reminder: Reminder) -> Treatment | None:
        """The treatment whose follow-up a reminder belongs to."""
        return next((t for t in self.treatments if t.id == reminder.treatment_id), None)


def patient_record(patient: Patient) -> PatientRecord:
    """Load a patient's treatments, check-ins, emails, flags and history (five queries)."""
    checkins = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.patient_id == patient.id)
        .order_by(CheckIn.recorded_on.desc(), CheckIn.id.desc())
    ).all()
    reminders = db.session.scalars(
        select(Reminder)
        .where(Reminder.patient_id == patient.id, Reminder.user_id.is_(None))
        .order_by(Reminder.due_at.desc(), Reminder.id.desc())
    ).all()
    flags = db.session.scalars(
        select(Flag).where(Flag.patient_id == patient.id).order_by(Flag.opened_at.desc())
    ).all()
    treatments = sorted(patient.treatments, key=lambda t: (t.treated_on, t.id), reverse=True)
    follow_up = [reminder for reminder in reminders if reminder.kind != PORTAL_LINK]
    portal_links = [reminder for reminder in reminders if reminder.kind == PORTAL_LINK]
    history = patient_history(patient, HISTORY_ON_PAGE + 1)
    return PatientRecord(
        treatments,
        list(checkins),
        follow_up,
        list(flags),
        portal_links,
        history[:HISTORY_ON_PAGE],
        len(history) > HISTORY_ON_PAGE,
    )
