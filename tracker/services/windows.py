"""Closing milestone windows: a window that closes without a check-in is a missed milestone."""

from datetime import datetime

from sqlalchemy import select

from tracker.extensions import db
from tracker.followup.flags import FlagChange
from tracker.models import Reminder
from tracker.models.reminder import PLANNED_AFTER_WINDOW
from tracker.services.flagging import audit_opened, open_flag
from tracker.vocabulary import (
    CANCELLED,
    CONFIRMATION,
    FAILED,
    MILESTONE,
    MISSED,
    MISSED_MILESTONE,
    NUDGE,
    RETRY,
    SCHEDULED,
    SENT,
    SKIPPED,
)

# A milestone still waiting for its check-in; SKIPPED only when we could not email
# (a milestone skipped because its window had closed before it was planned is not missed).
OPEN_MILESTONE = (SCHEDULED, RETRY, SENT, FAILED, SKIPPED)
# What became of the email of a milestone the dispatcher left without an outcome: the last
# attempt of a row in retry failed too, and a scheduled row never went out.
OUTCOME_AT_CLOSE = {
    SENT: "unanswered",
    RETRY: "send_failed",
    FAILED: "send_failed",
    SCHEDULED: "window_closed_unsent",
}


def close_windows(now: datetime, limit: int = 500) -> int:
    """Mark milestones whose window closed without a check-in as missed; open their flags."""
    milestones = db.session.scalars(
        select(Reminder)
        .where(
            Reminder.kind == MILESTONE,
            Reminder.status.in_(OPEN_MILESTONE),
            Reminder.window_closes_at <= now,
            Reminder.outcome.is_distinct_from(PLANNED_AFTER_WINDOW),
        )
        .order_by(Reminder.window_closes_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for milestone in milestones:
        milestone.outcome = milestone.outcome or OUTCOME_AT_CLOSE.get(milestone.status)
        milestone.status = MISSED
        flag = open_flag(
            FlagChange("open", MISSED_MILESTONE, missed_evidence(milestone), None, None),
            now,
            clinic_id=milestone.clinic_id,
            patient_id=milestone.patient_id,
            treatment_id=milestone.treatment_id,
            reminder_id=milestone.id,
        )
        db.session.flush()
        audit_opened(flag)
    # Nudges of a closed window can no longer help.
    for nudge in db.session.scalars(
        select(Reminder).where(
            Reminder.kind.in_((NUDGE, CONFIRMATION)),
            Reminder.status.in_((SCHEDULED, RETRY)),
            Reminder.window_closes_at <= now,
        )
    ):
        nudge.status = CANCELLED
        nudge.last_error = "The check-in window closed."
    db.session.commit()
    return len(milestones)


def missed_evidence(milestone: Reminder) -> dict:
    """Say which milestone was missed, when it was due and what became of its email."""
    return {
        "milestone_weeks": milestone.milestone_weeks,
        "due_on": milestone.due_on.isoformat() if milestone.due_on else None,
        "window_closes_on": milestone.window_closes_on.isoformat()
        if milestone.window_closes_on
        else None,
        "outcome": milestone.outcome,
    }
