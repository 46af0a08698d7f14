"""Raise a patient's outcome_version in the same transaction as any change to their outcome records.

A patient's outcome figures are assessed from their treatments, check-ins, stiffness flags,
outcome events and time zone (services/outcome_records.py). Whenever the session writes one
of those (added, changed or deleted through the ORM), one UPDATE in the same flush sets the
patient's outcome_version above any the clinic had, so the outcome ledger finds the patients to
assess again by reading the versions above the last it saw, instead of every check-in. A write that goes around the ORM (a bulk UPDATE or
DELETE statement) raises nothing: the ledger's periodic full check catches it, and such a
statement on these tables should raise the version itself (see docs/outcomes-and-reporting.md).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain

from sqlalchemy import Update, bindparam, event, func, inspect, select, update
from sqlalchemy.orm import Session, aliased

from tracker.database import is_postgresql
from tracker.extensions import db
from tracker.followup.flags import STIFFNESS_KINDS
from tracker.models import CheckIn, Flag, OutcomeEvent, Patient, Treatment
from tracker.models.patient import OUTCOME_VERSIONS

OUTCOME_RECORDS = (CheckIn, Treatment, OutcomeEvent)


def watch_outcome_changes() -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "after_flush", raise_outcome_versions):
        event.listen(Session, "after_flush", raise_outcome_versions)


def raise_outcome_versions(session: Session, flush_context) -> None:
    changed = patients_changed(session)
    if changed:
        connection = session.connection()
        connection.execute(
            version_update(is_postgresql(connection.engine)),
            {"patient_ids": sorted(changed)},
            execution_options={"synchronize_session": False},
        )


@lru_cache(maxsize=2)
def version_update(postgresql: bool) -> Update:
    """The UPDATE that sets the patients' versions above any their clinic had (built once)."""
    if postgresql:
        version = OUTCOME_VERSIONS.next_value()
    else:
        # SQLite's writers take turns, so the clinic's highest plus one is never taken twice.
        others = aliased(Patient)
        version = (
            select(func.max(others.outcome_version))
            .where(others.clinic_id == Patient.clinic_id)
            .scalar_subquery()
        ) + 1
    return (
        update(Patient)
        .where(Patient.id.in_(bindparam("patient_ids", expanding=True)))
        # The patient's own record did not change: updated_at stays as it was.
        .values(outcome_version=version, updated_at=Patient.updated_at)
    )


def patients_changed(session: Session) -> set[int]:
    """The patients whose outcome records this flush writes."""
    changed = set()
    for record in chain(session.new, session.dirty, session.deleted):
        if isinstance(record, OUTCOME_RECORDS) or (
            isinstance(record, Flag) and record.kind in STIFFNESS_KINDS
        ):
            if record not in session.dirty or session.is_modified(record):
                changed.add(record.patient_id)
        elif (
            # A new patient has no figures yet; a deleted one leaves the ledger's marks.
            isinstance(record, Patient)
            and record in session.dirty
            and inspect(record).attrs.timezone.history.has_changes()
        ):
            changed.add(record.id)
    changed.discard(None)
    return changed


def versioned_patients(clinic_id: int) -> tuple:
    """The conditions of a clinic's patients that have an outcome version."""
    return (Patient.clinic_id == clinic_id, Patient.outcome_version > 0)


def version_totals(clinic_id: int) -> tuple[int, int]:
    """The count and sum of a clinic's outcome versions, read from one index.

    Versions only grow, so any change to the outcome records (a late commit, a deleted
    patient included) changes the pair.
    """
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Patient.outcome_version), 0)).where(
            *versioned_patients(clinic_id)
        )
    ).one()
    return count, total
