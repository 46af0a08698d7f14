"""Patients keep their own details up to date from the portal."""

from datetime import datetime, timedelta

from tracker.account_links import load_email_change
from tracker.extensions import db
from tracker.links import LinkUsed, spend_once
from tracker.models import EmailChange, Patient, Reminder
from tracker.services.audit import record_audit
from tracker.services.follow_up_schedule import reschedule_patient
from tracker.services.outbox import queue_email
from tracker.services.patients import check_patient_values
from tracker.vocabulary import EMAIL_CHANGE, MILESTONE, NUDGE, PENDING_STATUSES

EMAIL_CHANGE_HOURS = 24


def update_own_details(patient: Patient, values: dict, now: datetime) -> list[int]:
    """Save the patient's language and time zone; a new address waits for its confirmation.

    A new time zone reschedules the pending reminders at once. Returns the outbox row of the
    confirmation email, if the address changed.
    """
    cleaned = check_patient_values(
        {field: values.get(field) for field in ("language", "timezone", "email")}, patient.clinic
    )
    changed = {
        field: [getattr(patient, field), cleaned[field]]
        for field in ("language", "timezone")
        if getattr(patient, field) != cleaned[field]
    }
    for field, (_old, new) in changed.items():
        setattr(patient, field, new)
    if "timezone" in changed:
        reschedule_patient(patient, now)
    if changed:
        record_audit(
            patient.clinic_id,
            "patient.self_update",
            "patient",
            patient.id,
            None,
            "patient",
            {"changed": changed},
        )
    messages = []
    new_email = cleaned["email"]
    if new_email and new_email.lower() != (patient.email or "").lower():
        messages.append(queue_email_change(patient, new_email, now))
    db.session.commit()
    return [message.id for message in messages]


def queue_email_change(patient: Patient, new_email: str, now: datetime) -> Reminder:
    """Record a pending new address and the outbox row that asks it for confirmation."""
    change = EmailChange(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        new_email=new_email,
        created_at=now,
        expires_at=now + timedelta(hours=EMAIL_CHANGE_HOURS),
    )
    db.session.add(change)
    db.session.flush()
    message = queue_email(
        EMAIL_CHANGE,
        patient.clinic_id,
        now,
        patient_id=patient.id,
        payload={"email_change_id": change.id},
    )
    record_audit(
        patient.clinic_id,
        "patient.email_change_requested",
        "patient",
        patient.id,
        None,
        "patient",
        {"new_email": new_email},
    )
    return message


def confirm_email_change(token: str, now: datetime) -> Patient:
    """Use the link sent to a new address once: the patient's emails go there from now on."""
    change = load_email_change(token, now)
    confirmed = spend_once(EmailChange, change.id, "confirmed_at", now)
    patient = change.patient
    if not confirmed:
        db.session.rollback()
        raise LinkUsed("The link was used already.", patient)
    old_email = patient.email
    patient.email = change.new_email
    # Reminders skipped for want of an address, or meant for the old one, are planned afresh.
    reschedule_patient(patient, now)
    record_audit(
        patient.clinic_id,
        "patient.email_changed",
        "patient",
        patient.id,
        None,
        "patient",
        {"changed": {"email": [old_email, change.new_email]}},
    )
    db.session.commit()
    return patient


def next_follow_up_email(patient: Patient, now: datetime) -> Reminder | None:
    """The patient's next follow-up email still to be sent, if any."""
    from sqlalchemy import select

    return db.session.scalar(
        select(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.user_id.is_(None),
            Reminder.kind.in_((MILESTONE, NUDGE)),
            Reminder.status.in_(PENDING_STATUSES),
            Reminder.due_at > now,
        )
        .order_by(Reminder.due_at)
        .limit(1)
    )
