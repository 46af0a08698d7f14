"""Use cases for the follow-up schedule: plan, reschedule, cancel and complete reminders."""

from datetime import date, datetime

from sqlalchemy import and_, bindparam, case, or_, select, update

from tracker.extensions import db
from tracker.followup.schedule import (
    ScheduleSettings,
    confirmation_due_at,
    milestone_for_checkin,
    plan_milestones,
    replan_milestones,
)
from tracker.models import Clinic, Patient, Reminder, Treatment
from tracker.models.reminder import PLANNED_AFTER_WINDOW
from tracker.services.audit import record_audit
from tracker.services.outbox import queue_email
from tracker.vocabulary import (
    CANCELLED,
    COMPLETED,
    CONFIRMATION,
    FOLLOW_UP_KINDS,
    MILESTONE,
    NUDGE,
    PENDING_STATUSES,
    SENDING,
    SENT,
    SKIPPED,
)


def schedule_settings(clinic: Clinic) -> ScheduleSettings:
    """Read a clinic's schedule settings as the domain core's value."""
    return ScheduleSettings(
        milestone_weeks=tuple(clinic.milestone_weeks),
        send_hour=clinic.send_hour,
        window_before_days=clinic.window_before_days,
        window_after_days=clinic.window_after_days,
        nudge_after_days=clinic.nudge_after_days,
    )


def schedule_treatment(treatment: Treatment, now: datetime) -> list[Reminder]:
    """Create the treatment's milestone reminders (in the caller's transaction)."""
    patient = treatment.patient
    if treatment.booster_of_id is not None:
        cancel_pending(
            treatment_id=treatment.booster_of_id, reason="A booster started a new series."
        )
    plans = plan_milestones(
        treatment.treated_on, patient.timezone, schedule_settings(patient.clinic), now
    )
    reminders = []
    for plan in plans:
        reminder = queue_email(
            MILESTONE,
            treatment.clinic_id,
            now,
            due_at=plan.due_at,
            patient_id=patient.id,
            treatment_id=treatment.id,
            milestone_weeks=plan.milestone_weeks,
            due_on=plan.due_on,
            window_opens_on=plan.window_opens_on,
            window_closes_on=plan.window_closes_on,
            window_closes_at=plan.window_closes_at,
        )
        reminder.status, reminder.outcome = plan.status, outcome_of(plan.status)
        if patient.opted_out_at is not None and plan.status != SKIPPED:
            reminder.status = CANCELLED
            reminder.last_error = "The patient has opted out of emails."
        reminders.append(reminder)
    db.session.flush()
    return reminders


def outcome_of(planned_status: str) -> str | None:
    """A milestone planned as skipped had its window closed already: it can never be missed."""
    return PLANNED_AFTER_WINDOW if planned_status == SKIPPED else None


def reschedulable(reminder: Reminder) -> bool:
    """Tell whether a milestone may still move: pending, or skipped when it was due to go out."""
    if reminder.status in PENDING_STATUSES:
        return True
    return reminder.status == SKIPPED and reminder.outcome != PLANNED_AFTER_WINDOW


def reschedule_treatment(treatment: Treatment, now: datetime) -> None:
    """Move the treatment's pending milestones after a change of date or time zone."""
    patient = treatment.patient
    milestones = [
        reminder
        for reminder in db.session.scalars(
            select(Reminder).where(
                Reminder.treatment_id == treatment.id, Reminder.kind == MILESTONE
            )
        )
        if reschedulable(reminder)
    ]
    plans = replan_milestones(
        [reminder.milestone_weeks for reminder in milestones],
        treatment.treated_on,
        patient.timezone,
        schedule_settings(patient.clinic),
        now,
    )
    for reminder in milestones:
        plan = plans[reminder.milestone_weeks]
        reminder.due_on = plan.due_on
        reminder.due_at = plan.due_at
        reminder.next_attempt_at = plan.due_at
        reminder.window_opens_on = plan.window_opens_on
        reminder.window_closes_on = plan.window_closes_on
        reminder.window_closes_at = plan.window_closes_at
        reminder.status = plan.status if patient.opted_out_at is None else CANCELLED
        reminder.attempts = 0
        reminder.last_error = ""
        reminder.outcome = outcome_of(plan.status)
    # Nudges and confirmations were timed from the old dates; drop them.
    cancel_pending(
        treatment_id=treatment.id,
        reason="The treatment was rescheduled.",
        kinds=(NUDGE, CONFIRMATION),
    )
    db.session.flush()


def reschedule_patient(patient: Patient, now: datetime) -> None:
    """Reschedule every treatment of the patient (time zone or address changed)."""
    for treatment in patient.treatments:
        reschedule_treatment(treatment, now)


def cancel_pending(
    *,
    treatment_id: int | None = None,
    patient_id: int | None = None,
    reason: str,
    kinds: tuple[str, ...] = FOLLOW_UP_KINDS,
) -> int:
    """Cancel the pending follow-up reminders of a treatment or a patient; return how many."""
    statement = update(Reminder).where(
        Reminder.status.in_(PENDING_STATUSES), Reminder.kind.in_(kinds)
    )
    if treatment_id is not None:
        statement = statement.where(Reminder.treatment_id == treatment_id)
    if patient_id is not None:
        statement = statement.where(Reminder.patient_id == patient_id)
    result = db.session.execute(
        statement.values(status=CANCELLED, last_error=reason),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def opt_out(patient: Patient, now: datetime, via: str = "unsubscribe_page") -> None:
    """Stop every email to the patient, audited, and commit (a second opt-out changes nothing)."""

    if patient.opted_out_at is not None:
        return
    patient.opted_out_at = now
    cancel_pending(patient_id=patient.id, reason="The patient opted out of emails.")
    record_audit(
        patient.clinic_id, "patient.opt_out", "patient", patient.id, None, "patient", {"via": via}
    )
    db.session.commit()


# Built once: every check-in of a treated patient runs it.
FOLLOW_UP_IN_PROGRESS = select(Reminder).where(
    Reminder.treatment_id == bindparam("treatment_id"),
    Reminder.kind.in_(FOLLOW_UP_KINDS),
    Reminder.status.not_in((COMPLETED, CANCELLED)),
)


def follow_up_in_progress(treatment: Treatment) -> list[Reminder]:
    """The treatment's milestones, nudges and confirmations not yet completed or cancelled."""
    return list(db.session.scalars(FOLLOW_UP_IN_PROGRESS, {"treatment_id": treatment.id}))


# What a reading answers, as one conditional UPDATE built once (only the values vary): the
# milestone whose window holds the day (no window holds it: answered_weeks is NULL, which
# equals no milestone's weeks), that milestone's pending nudge, and the confirmations asked for
# on or before the day.
ANSWER_FOLLOW_UP = (
    update(Reminder)
    .where(
        Reminder.treatment_id == bindparam("answered_treatment"),
        or_(
            and_(
                Reminder.kind == MILESTONE,
                Reminder.milestone_weeks == bindparam("answered_weeks"),
                Reminder.status.not_in((COMPLETED, CANCELLED)),
            ),
            and_(
                Reminder.kind == NUDGE,
                Reminder.milestone_weeks == bindparam("answered_weeks"),
                Reminder.status.in_(PENDING_STATUSES),
            ),
            and_(
                Reminder.kind == CONFIRMATION,
                Reminder.status.in_((*PENDING_STATUSES, SENT)),
                Reminder.due_on <= bindparam("answered_on"),
            ),
        ),
    )
    .values(
        status=case((Reminder.kind == NUDGE, CANCELLED), else_=COMPLETED),
        completed_at=case(
            (Reminder.kind == NUDGE, Reminder.completed_at),
            else_=bindparam("answered_at", type_=Reminder.completed_at.type),
        ),
        last_error=case(
            (Reminder.kind == NUDGE, "The milestone was completed."),
            else_=Reminder.last_error,
        ),
    )
)


def answer_follow_up(
    treatment: Treatment, in_progress: list[Reminder], recorded_on: date, now: datetime
) -> bool:
    """Complete what a reading on recorded_on answers; tell whether a confirmation is pending.

    The milestone whose window holds the day is completed and its pending nudge cancelled; a
    confirmation asked for on or before the day is completed. One conditional UPDATE does all
    three, so a reminder the dispatcher claimed in the meantime is never overwritten.
    """
    milestones = [r for r in in_progress if r.kind == MILESTONE]
    weeks = milestone_for_checkin(milestones, recorded_on)
    confirmations = [r for r in in_progress if r.kind == CONFIRMATION]
    answered = [
        r
        for r in confirmations
        if r.status in (*PENDING_STATUSES, SENT) and r.due_on <= recorded_on
    ]
    if weeks is not None or answered:
        db.session.execute(
            ANSWER_FOLLOW_UP,
            {
                "answered_treatment": treatment.id,
                "answered_weeks": weeks,
                "answered_on": recorded_on,
                "answered_at": now,
            },
            execution_options={"synchronize_session": "fetch"},
        )
    return any(
        r.status in (*PENDING_STATUSES, SENDING) and r not in answered for r in confirmations
    )


def confirmation_pending(treatment: Treatment) -> bool:
    """Tell whether a confirmation reminder of the treatment is still to be sent."""
    found = db.session.scalar(
        select(Reminder.id).where(
            Reminder.treatment_id == treatment.id,
            Reminder.kind == CONFIRMATION,
            Reminder.status.in_((*PENDING_STATUSES, SENDING)),
        )
    )
    return found is not None


def request_confirmation(treatment: Treatment, confirm_on: date, now: datetime) -> Reminder:
    """Ask the patient for one more reading, on confirm_on, to confirm a suspected rise."""
    patient = treatment.patient
    due_at = confirmation_due_at(confirm_on, 0, patient.timezone, patient.clinic.send_hour, now)
    reminder = queue_email(
        CONFIRMATION,
        treatment.clinic_id,
        now,
        due_at=due_at,
        patient_id=patient.id,
        treatment_id=treatment.id,
        due_on=confirm_on,
    )
    if patient.opted_out_at is not None:
        reminder.status = CANCELLED
    return reminder


def follow_up_reminders(patient_id: int, treatment_id: int | None = None) -> list[Reminder]:
    """The patient's follow-up reminders (of one treatment, if given), in due order."""
    query = select(Reminder).where(
        Reminder.patient_id == patient_id, Reminder.kind.in_(FOLLOW_UP_KINDS)
    )
    if treatment_id is not None:
        query = query.where(Reminder.treatment_id == treatment_id)
    return list(db.session.scalars(query.order_by(Reminder.due_at, Reminder.id)))
