"""A patient's audit trail: every change to the patient and to their records, newest first."""

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import AdverseEvent, AuditEvent, CheckIn, Flag, Patient, Treatment

HISTORY_ON_PAGE = 50
# Every opening of the patient page is audited; listing those would bury what changed.
READS = ("patient.view",)


def patient_history(patient: Patient, limit: int | None = None) -> list[AuditEvent]:
    """Load the patient's audit events (their own, their records'), newest first (one query)."""
    records_of_patient = {
        "treatment": select(Treatment.id).where(Treatment.patient_id == patient.id),
        "checkin": select(CheckIn.id).where(CheckIn.patient_id == patient.id),
        "flag": select(Flag.id).where(Flag.patient_id == patient.id),
        "adverse_event": select(AdverseEvent.id).where(AdverseEvent.patient_id == patient.id),
    }
    about_patient = or_(
        and_(AuditEvent.object_type == "patient", AuditEvent.object_id == patient.id),
        *(
            and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids))
            for kind, ids in records_of_patient.items()
        ),
    )
    statement = (
        select(AuditEvent)
        .where(AuditEvent.clinic_id == patient.clinic_id, AuditEvent.action.not_in(READS))
        .where(about_patient)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))
