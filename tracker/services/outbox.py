"""The outbox: every email is a row first, sent by the dispatcher after its transaction commits."""

from datetime import date, datetime

from tracker.extensions import db
from tracker.models import Reminder


def queue_email(
    kind: str,
    clinic_id: int,
    now: datetime,
    *,
    patient_id: int | None = None,
    user_id: int | None = None,
    payload: dict | None = None,
    due_on: date | None = None,
) -> Reminder:
    """Add an email to the outbox, due at once (in the caller's transaction)."""
    message = Reminder(
        clinic_id=clinic_id,
        patient_id=patient_id,
        user_id=user_id,
        kind=kind,
        due_on=due_on,
        due_at=now,
        next_attempt_at=now,
        status="scheduled",
        payload=payload,
        created_at=now,
    )
    db.session.add(message)
    return message
