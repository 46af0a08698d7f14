"""The audit log: who touched which patient data, when and from where."""

from flask import has_request_context, request

from tracker.extensions import db
from tracker.models import AuditEvent, User


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
        clinic_id=clinic_id,
        actor_user_id=actor.id if actor is not None else None,
        actor_kind=actor_kind or ("user" if actor is not None else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=request.remote_addr if has_request_context() else None,
        details=details,
    )
    db.session.add(event)
    return event
