"""Record the later procedures that end a treatment's story.

The rules: docs/outcomes-and-reporting.md, What patients are asked, and outcome events.
"""

from datetime import datetime

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import OutcomeEvent, Treatment
from tracker.models.outcome_event import KINDS
from tracker.services.actors import Actor
from tracker.services.audit import record_audit
from tracker.services.validation import Checker
from tracker.timeutil import now_utc, today_in
from tracker.vocabulary import TEXT_LIMIT


def check_outcome_event_values(treatment: Treatment, values: dict) -> dict:
    """Validate an outcome event: a known kind, on a day from the treatment to today."""
    check = Checker()
    cleaned: dict = {"kind": check.choice("kind", values.get("kind"), tuple(KINDS))}
    occurred_on = check.past_date(
        "occurred_on", values.get("occurred_on"), today_in(treatment.patient.timezone)
    )
    if occurred_on is not None and occurred_on < treatment.treated_on:
        check.fail(
            "occurred_on",
            f"Cannot be before the treatment ({treatment.treated_on.isoformat()}).",
        )
    cleaned["occurred_on"] = occurred_on
    cleaned["note"] = check.text(
        "note", values.get("note") or "", required=False, max_length=TEXT_LIMIT
    )
    check.done()
    return cleaned


def record_outcome_event(
    treatment: Treatment, actor: Actor, values: dict, now: datetime | None = None
) -> OutcomeEvent:
    """Record an outcome event of a treatment, audited, in one transaction."""
    cleaned = check_outcome_event_values(treatment, values)
    event = OutcomeEvent(
        clinic_id=treatment.clinic_id,
        patient_id=treatment.patient_id,
        treatment_id=treatment.id,
        recorded_by_id=actor.user.id if actor.user else None,
        created_at=now or now_utc(),
        **cleaned,
    )
    db.session.add(event)
    db.session.flush()
    record_audit(
        treatment.clinic_id,
        "outcome_event.create",
        "outcome_event",
        event.id,
        actor.user,
        actor.kind,
        {"patient_id": treatment.patient_id, "treatment_id": treatment.id, "kind": event.kind},
    )
    db.session.commit()
    return event


def outcome_events_of(patient_id: int) -> list[OutcomeEvent]:
    """Return a patient's outcome events, latest first."""
    return list(
        db.session.scalars(
            select(OutcomeEvent)
            .where(OutcomeEvent.patient_id == patient_id)
            .order_by(OutcomeEvent.occurred_on.desc(), OutcomeEvent.id.desc())
        )
    )
