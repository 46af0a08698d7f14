"""The one way a check-in is recorded, whoever enters it: email link, portal, clinician, API."""

from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from tracker.extensions import db
from tracker.followup.flags import ADVERSE_EVENT
from tracker.models import CheckIn, Flag, Patient, Reminder, Treatment
from tracker.services import flagging, follow_up_schedule
from tracker.services.actors import Actor
from tracker.services.adverse_events import record_reported_event
from tracker.services.audit import record_audit
from tracker.services.notifications import alert_adverse_event
from tracker.services.scope import MAX_ID
from tracker.services.transactions import commit_keeping_loaded
from tracker.services.validation import N_, Checker
from tracker.timeutil import now_utc, today_in
from tracker.vocabulary import MILESTONE, NUDGE, TEXT_LIMIT

SCORE_FIELDS = ("pain", "stiffness")
OPTIONAL_FIELDS = {
    "swelling": 10,
    "morning_stiffness_minutes": 1440,
    "function": 10,
    "global_assessment": 10,
}


def check_checkin_values(patient: Patient, values: dict) -> dict:
    """Validate a check-in's values; recorded_on defaults to today in the patient's zone."""
    check = Checker()
    today = today_in(patient.timezone)
    cleaned: dict = {
        "recorded_on": check.past_date("recorded_on", values.get("recorded_on") or today, today)
    }
    for field in SCORE_FIELDS:
        cleaned[field] = check.score(field, values.get(field), required=True)
    for field, high in OPTIONAL_FIELDS.items():
        cleaned[field] = check.score(field, values.get(field), required=False, high=high)
    adverse_event = values.get("adverse_event") or False
    if not isinstance(adverse_event, bool):
        check.fail("adverse_event", N_("Must be true or false."))
    cleaned["adverse_event"] = bool(adverse_event)
    cleaned["adverse_event_details"] = check.text(
        "adverse_event_details",
        values.get("adverse_event_details") or "",
        required=False,
        max_length=TEXT_LIMIT,
        multi_line=True,
    )
    if cleaned["adverse_event"] and not cleaned["adverse_event_details"]:
        check.fail("adverse_event_details", N_("Please describe what happened."))
    cleaned["notes"] = check.text(
        "notes", values.get("notes") or "", required=False, max_length=TEXT_LIMIT, multi_line=True
    )
    check.done()
    return cleaned


class AlreadyRecorded(Exception):
    """The emailed link was answered already (two taps, or a resent form)."""


def treatment_on(patient: Patient, recorded_on: date) -> Treatment | None:
    """Return the latest treatment on or before the day of the check-in."""
    earlier = [t for t in patient.treatments if t.treated_on <= recorded_on]
    return max(earlier, key=lambda t: (t.treated_on, t.id), default=None)


# The patient with its clinic and treatments, held for the transaction: built once, as every
# check-in runs it (only the values vary; the clinic's condition is dropped when not given).
LOCKED_PATIENT = (
    select(Patient)
    .where(Patient.id == bindparam("patient_id"))
    .options(joinedload(Patient.clinic, innerjoin=True), joinedload(Patient.treatments))
    .with_for_update(of=Patient)
    .execution_options(populate_existing=True)
)
LOCKED_CLINIC_PATIENT = LOCKED_PATIENT.where(Patient.clinic_id == bindparam("clinic_id"))


def lock_patient(patient_id: int, clinic_id: int | None = None) -> Patient:
    """Hold the patient's row, loaded with its clinic and treatments; 404 if not the clinic's.

    Check-ins of one patient then run one after the other (PostgreSQL), so two at once
    cannot open two flags.
    """
    statement, values = LOCKED_PATIENT, {"patient_id": patient_id}
    if clinic_id is not None:
        if not 0 < patient_id <= MAX_ID:
            raise NotFound()
        statement, values = LOCKED_CLINIC_PATIENT, values | {"clinic_id": clinic_id}
    patient = db.session.scalars(statement, values).unique().one_or_none()
    if patient is None:
        raise NotFound()
    return patient


def record_checkin(
    patient: Patient,
    actor: Actor,
    values: dict,
    source: str,
    reminder: Reminder | None = None,
    now: datetime | None = None,
    *,
    locked: bool = False,
) -> tuple[CheckIn, list[Flag]]:
    """Record a check-in, complete its milestone and evaluate flags, all in one transaction.

    locked: the caller holds the patient through lock_patient in this transaction already.
    """
    now = now or now_utc()
    cleaned = check_checkin_values(patient, values)
    if not locked:
        patient = lock_patient(patient.id)
    treatment = treatment_on(patient, cleaned["recorded_on"])
    checkin = CheckIn(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        treatment_id=treatment.id if treatment else None,
        submitted_at=now,
        source=source,
        reminder_id=reminder.id if reminder else None,
        recorded_by_id=actor.user.id if actor.user else None,
        **cleaned,
    )
    db.session.add(checkin)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Only the unique reminder_id can collide: this link was answered a moment ago.
        db.session.rollback()
        raise AlreadyRecorded("This check-in was received already.") from error
    if treatment is not None:
        in_progress = follow_up_schedule.follow_up_in_progress(treatment)
        pending = follow_up_schedule.answer_follow_up(
            treatment, in_progress, checkin.recorded_on, now
        )
        patient_flags = flagging.flags_of_patient(patient.id)
        flagging.resolve_missed_milestones(treatment, now, patient_flags)
        evaluation = flagging.evaluate_patient_treatment(
            treatment, now, confirmation_pending=pending, patient_flags=patient_flags
        )
        if evaluation.confirmation_on is not None:
            follow_up_schedule.request_confirmation(treatment, evaluation.confirmation_on, now)
        opened = evaluation.opened
    else:
        patient_flags = flagging.flags_of_patient(patient.id)
        opened = flagging.evaluate_untreated_checkin(checkin, now)
    checkin.active_flags = flagging.in_worklist_order([*patient_flags, *opened])
    if checkin.adverse_event:
        record_reported_event(checkin, treatment, opened, now)
    for flag in opened:
        if flag.kind == ADVERSE_EVENT:
            alert_adverse_event(flag, now)
    record_audit(
        patient.clinic_id,
        "checkin.create",
        "checkin",
        checkin.id,
        actor.user,
        actor.kind,
        {"patient_id": patient.id, "source": source},
    )
    commit_keeping_loaded()
    return checkin, opened


def checkin_received(reminder: Reminder) -> bool:
    """Tell whether the patient answered this reminder (or its milestone's other email)."""
    reminder_ids = select(Reminder.id).where(Reminder.id == reminder.id)
    if reminder.kind in (MILESTONE, NUDGE) and reminder.milestone_weeks is not None:
        # The milestone email and its nudge ask the same question.
        reminder_ids = select(Reminder.id).where(
            Reminder.treatment_id == reminder.treatment_id,
            Reminder.milestone_weeks == reminder.milestone_weeks,
            Reminder.kind.in_((MILESTONE, NUDGE)),
        )
    found = db.session.scalar(
        select(CheckIn.id)
        .where(CheckIn.patient_id == reminder.patient_id, CheckIn.reminder_id.in_(reminder_ids))
        .limit(1)
    )
    return found is not None


def answer_reminder(reminder: Reminder, values: dict, now: datetime) -> CheckIn:
    """Record the patient's answer to an emailed reminder, once: a second answer is refused."""
    # Hold the patient's row (PostgreSQL) so that two answers at once cannot both pass the
    # check; on SQLite the unique reminder_id of a check-in refuses the second.
    patient = lock_patient(reminder.patient_id)
    if checkin_received(reminder):
        db.session.rollback()
        raise AlreadyRecorded("This check-in was received already.")
    checkin, _ = record_checkin(
        patient,
        Actor(None, "patient"),
        values,
        source="email_link",
        reminder=reminder,
        now=now,
        locked=True,
    )
    return checkin
