"""The audit log: who touched which patient data, when and from where."""

from flask import has_request_context, request
from sqlalchemy import insert

from tracker.extensions import db
from tracker.models import AuditEvent, User

# Built once: a read's audit row is written straight away, with no object to flush (a Core
# INSERT of the table: the ORM's bulk path would cost more than the statement).
AUDIT_INSERT = insert(AuditEvent.__table__)


def audit_values(
    clinic_id: int,
    action: str,
    object_type: str,
    object_id: int | None,
    actor: User | None = None,
    actor_kind: str | None = None,
    details: dict | None = None,
) -> dict:
    """The columns of one audit event (its time is set when it is written)."""
    return {
        "clinic_id": clinic_id,
        "actor_user_id": actor.id if actor is not None else None,
        "actor_kind": actor_kind or ("user" if actor is not None else "system"),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "ip": request.remote_addr if has_request_context() else None,
        "details": details,
    }


def record_audit(
    clinic_id: int,
    action: str,
    object_type: str,
    object_id: int | None,
    actor: User | None = None,
    actor_kind: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        **audit_values(clinic_id, action, object_type, object_id, actor, actor_kind, details)
    )
    db.session.add(event)
    return event


def record_read_audit(
    clinic_id: int,
    action: str,
    object_type: str,
    object_id: int | None,
    actor: User | None = None,
    actor_kind: str | None = None,
) -> None:
    """Write the audit event of a read in the current transaction, as one INSERT.

    A read answers with what it loaded, never with its audit row: building and flushing an
    object for the row would cost more than the INSERT itself. Events added before it are
    written first, so the log keeps the order things happened in.
    """
    db.session.flush()
    db.session.execute(
        AUDIT_INSERT, audit_values(clinic_id, action, object_type, object_id, actor, actor_kind)
    )
