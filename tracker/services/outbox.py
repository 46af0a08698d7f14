"""The outbox: every email is a row first, sent by the dispatcher after its transaction commits."""

from datetime import date, datetime

from tracker.extensions import db
from tracker.models import Reminder
from tracker.vocabulary import SCHEDULED


def outbox_row(
    kind: str,
    clinic_id: int,
    now: datetime,
    *,
    due_at: datetime | None = None,
    patient_id: int | None = None,
    user_id: int | None = None,
    payload: dict | None = None,
    due_on: date | None = None,
    treatment_id: int | None = None,
    milestone_weeks: int | None = None,
    window_opens_on: date | None = None,
    window_closes_on: date | None = None,
    window_closes_at: datetime | None = None,
) -> dict:
    """The values of a new outbox row written at `now`, due at `due_at` (at once if not given).

    A value not given is left out, so its column stays NULL.
    """
    due_at = now if due_at is None else due_at
    optional = {
        "patient_id": patient_id,
        "user_id": user_id,
        "payload": payload,
        "due_on": due_on,
        "treatment_id": treatment_id,
        "milestone_weeks": milestone_weeks,
        "window_opens_on": window_opens_on,
        "window_closes_on": window_closes_on,
        "window_closes_at": window_closes_at,
    }
    return {
        "clinic_id": clinic_id,
        "kind": kind,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "status": SCHEDULED,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
        **{name: value for name, value in optional.items() if value is not None},
    }


def queue_email(kind: str, clinic_id: int, now: datetime, **fields) -> Reminder:
    """Add an email to the outbox, due at once unless `due_at` says (in the caller's transaction).

    `fields` are outbox_row's.
    """
    message = Reminder(**outbox_row(kind, clinic_id, now, **fields))
    db.session.add(message)
    return message
