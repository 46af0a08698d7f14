"""Helpers shared by the feature tests: per-request isolation, counting rows, making flags."""

from flask.testing import FlaskClient
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Flag,
    Patient,
    Reminder,
    Treatment,
)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The `app` fixture keeps an app context pushed for the whole test, and Flask reuses a
    pushed context for requests: then `g` (the signed-in user, the CSRF token) and the
    database session would be shared by every request and client of the test.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def isolated_client(app) -> IsolatedClient:
    return IsolatedClient(app, app.response_class, use_cookies=True)


def count(model) -> int:
    """Count the rows of a model, straight from the database."""
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions() -> list[str]:
    """The audit log's actions, oldest first."""
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def row_counts() -> dict[str, int]:
    """Count the rows of every table, so "writes nothing" covers tables added later too."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def make_flag(patient: Patient, treatment: Treatment | None = None, **values) -> Flag:
    """Insert a flag row directly, as the flag evaluation would have."""
    flag = Flag(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        treatment_id=treatment.id if treatment is not None else None,
        kind=values.pop("kind", "booster_window"),
        status=values.pop("status", "open"),
        evidence=values.pop("evidence", {"rise": 3}),
        **values,
    )
    db.session.add(flag)
    db.session.commit()
    return flag


def add_reminder(
    patient: Patient, next_attempt_at, status: str = "scheduled", **values
) -> Reminder:
    """Insert an outbox row for the patient, claimable from next_attempt_at."""
    reminder = Reminder(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=values.pop("kind", "milestone"),
        due_at=values.pop("due_at", next_attempt_at),
        next_attempt_at=next_attempt_at,
        status=status,
        attempts=values.pop("attempts", 0),
        last_error=values.pop("last_error", ""),
        **values,
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder
