"""Outbox rows for messages to clinicians and for patients' portal links."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Flag, Patient, PortalLink, Reminder, User
from tracker.services.audit import record_audit
from tracker.services.outbox import queue_email
from tracker.vocabulary import ADVERSE_EVENT_ALERT, PORTAL_LINK


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
        alert = queue_email(
            ADVERSE_EVENT_ALERT,
            flag.clinic_id,
            now,
            patient_id=flag.patient_id,
            user_id=user.id,
            payload={"flag_id": flag.id},
        )
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
    return queue_email(
        PORTAL_LINK, clinic_id, now, patient_id=patient_id, payload={"portal_link_id": link.id}
    )


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
