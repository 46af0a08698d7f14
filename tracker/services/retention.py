"""Keeping patients' records: a delete request is refused, archiving hides a patient."""

from datetime import datetime

from tracker.extensions import db
from tracker.followup.retention import must_keep, retention_ends_on
from tracker.followup.schedule import local_date
from tracker.models import Patient
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.follow_up_schedule import cancel_pending
from tracker.services.validation import N_
from tracker.timeutil import now_utc
from tracker.vocabulary import FOLLOW_UP_KINDS, PORTAL_LINK


class DeletionRefused(Exception):
    """A patient's records may not be deleted; the message says why."""


def deletion_refusal(patient: Patient, now: datetime | None = None) -> str:
    """Say why this patient's records cannot be deleted.

    Under jp_asrm the act keeps them for 10 years after the last treatment. The tracker
    never hard-deletes a patient under any regime: check-ins, flags, adverse-event records
    and the audit log all refer to them, so archiving is the way to hide one.
    """
    clinic = patient.clinic
    last = max((t.treated_on for t in patient.treatments), default=None)
    today = local_date(now or now_utc(), clinic.timezone)
    if must_keep(clinic.regulatory_regime, last, today):
        return N_(
            "Japan's regenerative-medicine act requires this patient's records to be kept "
            "until %(until)s (10 years after the last treatment, on %(last)s). Archive the "
            "patient to hide them instead.",
            until=retention_ends_on(last).isoformat(),
            last=last.isoformat(),
        )
    return N_(
        "Patient records are never deleted in this tracker: their check-ins, flags, "
        "adverse events and audit log refer to them. Archive the patient to hide them instead."
    )


def request_deletion(patient: Patient, actor: Actor, now: datetime | None = None) -> None:
    """Refuse to delete a patient, audited, with the reason (raises DeletionRefused)."""
    reason = deletion_refusal(patient, now)
    record_audit(
        patient.clinic_id,
        "patient.delete_refused",
        "patient",
        patient.id,
        actor.user,
        actor.kind,
        {"reason": reason},
    )
    db.session.commit()
    raise DeletionRefused(reason)


def archive_patient(patient: Patient, actor: Actor, now: datetime | None = None) -> Patient:
    """Hide a patient from the lists and cancel their pending emails; keep every record."""
    now = now or now_utc()
    if patient.archived_at is not None:
        return patient
    patient.archived_at = now
    cancelled = cancel_pending(
        patient_id=patient.id,
        reason="The patient was archived.",
        kinds=(*FOLLOW_UP_KINDS, PORTAL_LINK),
    )
    record_audit(
        patient.clinic_id,
        "patient.archive",
        "patient",
        patient.id,
        actor.user,
        actor.kind,
        {"reminders_cancelled": cancelled},
    )
    db.session.commit()
    return patient
