"""Outbox rows for messages to clinicians and for patients' portal links."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Flag, Patient, PortalLink, Reminder, User
from tracker.services.audit import record_audit


def clinicians_of(clinic_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.clinic_id == clinic_id, User.active.is_(True)).order_by(User.id)
        )
    )


def alert_adverse_event(flag: Flag, now: datetime) -> list[Reminder]:
    """Queue an immediate email about an adverse event to each clinician of the clinic."""
    alerts = []
    for user in clinicians_of(flag.clinic_id):
        alert = Reminder(
            clinic_id=flag.clinic_id,
            patient_id=flag.patient_id,
            treatment_id=None,
            user_id=user.id,
            kind="adverse_event_alert",
            due_at=now,
            next_attempt_at=now,
            status="scheduled",
            payload={"flag_id": flag.id},
            created_at=now,
        )
        db.session.add(alert)
        alerts.append(alert)
    return alerts


def queue_portal_link(patient_id: int, clinic_id: int, minutes: int, now: datetime) -> Reminder:
    """Create a single-use portal link and the outbox row that emails it."""
    link = PortalLink(
        clinic_id=clinic_id,
        patient_id=patient_id,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.session.add(link)
    db.session.flush()
    message = Reminder(
        clinic_id=clinic_id,
        patient_id=patient_id,
        kind="portal_link",
        due_at=now,
        next_attempt_at=now,
        status="scheduled",
        payload={"portal_link_id": link.id},
        created_at=now,
    )
    db.session.add(message)
    return message


def request_portal_links(email: str, minutes: int, now: datetime) -> list[int]:
    """Queue a portal link to each patient with this address (in any clinic); return the rows."""
    address = email.strip().lower()
    patients = db.session.scalars(select(Patient).where(func.lower(Patient.email) == address))
    messages = []
    for patient in patients:
        messages.append(queue_portal_link(patient.id, patient.clinic_id, minutes, now))
        record_audit(
            patient.clinic_id, "portal.link_requested", "patient", patient.id, None, "patient"
        )
    db.session.commit()
    return [message.id for message in messages]
