"""Self-monitoring of the outbox: scheduler heartbeats, overdue reminders, manual retries."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from tracker.database import dialect_insert
from tracker.extensions import db
from tracker.models import Flag, Reminder, SchedulerHeartbeat, User
from tracker.services.audit import record_audit
from tracker.services.validation import N_, Conflict
from tracker.vocabulary import (
    CLAIMABLE_STATUSES,
    ERROR_LIMIT,
    FAILED,
    FLAG_KINDS,
    OPEN,
    OUTBOX_STATUSES,
    RETRY,
    SCHEDULED,
    SENDING,
)


@dataclass(frozen=True)
class OperationsStatus:
    heartbeat_age_seconds: float | None
    heartbeat_fresh: bool
    overdue_count: int
    oldest_overdue_seconds: float | None
    reminders_by_status: dict[str, int] = field(default_factory=dict)
    failed_count: int = 0

    @property
    def healthy(self) -> bool:
        return self.heartbeat_fresh and self.overdue_count == 0


@dataclass(frozen=True)
class OverdueReminders:
    count: int
    oldest_seconds: float | None


def record_heartbeat(name: str, now: datetime) -> None:
    """Record that the scheduler called `name` is alive (one row per name) and commit."""
    statement = dialect_insert(db.engine, SchedulerHeartbeat).values(name=name, beat_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[SchedulerHeartbeat.name], set_={"beat_at": statement.excluded.beat_at}
    )
    db.session.execute(statement)
    db.session.commit()


def heartbeat_age_seconds(now: datetime) -> float | None:
    """Return the seconds since the freshest scheduler heartbeat, or None if none ever beat."""
    latest = db.session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))
    if latest is None:
        return None
    return max((now - latest).total_seconds(), 0.0)


def heartbeat_is_fresh(age_seconds: float | None) -> bool:
    """Tell whether a heartbeat of this age shows a running scheduler."""
    stale_after = current_app.config["SCHEDULER_HEARTBEAT_STALE_SECONDS"]
    return age_seconds is not None and age_seconds <= stale_after


def overdue_reminders(now: datetime, clinic_id: int | None = None) -> OverdueReminders:
    """Count reminders the dispatcher should have claimed more than the alert delay ago.

    A late sending row is a send that a crashed dispatcher left behind (its lease expired).
    """
    cutoff = now - timedelta(seconds=current_app.config["REMINDER_OVERDUE_ALERT_SECONDS"])
    query = select(func.count(), func.min(Reminder.next_attempt_at)).where(
        Reminder.status.in_(CLAIMABLE_STATUSES), Reminder.next_attempt_at < cutoff
    )
    if clinic_id is not None:
        query = query.where(Reminder.clinic_id == clinic_id)
    count, oldest = db.session.execute(query).one()
    oldest_seconds = (now - oldest).total_seconds() if oldest is not None else None
    return OverdueReminders(count=count, oldest_seconds=oldest_seconds)


def reminder_counts(clinic_id: int | None = None) -> dict[str, int]:
    """Count reminders by status (every status, zero when none)."""
    query = select(Reminder.status, func.count()).group_by(Reminder.status)
    if clinic_id is not None:
        query = query.where(Reminder.clinic_id == clinic_id)
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update({status: total for status, total in db.session.execute(query)})
    return counts


def open_flag_counts(clinic_id: int | None = None) -> dict[str, int]:
    """Count flags nobody has acknowledged yet, by kind (every kind, zero when none)."""
    query = select(Flag.kind, func.count()).where(Flag.status == OPEN).group_by(Flag.kind)
    if clinic_id is not None:
        query = query.where(Flag.clinic_id == clinic_id)
    counts = dict.fromkeys(FLAG_KINDS, 0)
    counts.update({kind: total for kind, total in db.session.execute(query)})
    return counts


def operations_status(
    now: datetime, clinic_id: int | None = None, *, with_counts: bool = True
) -> OperationsStatus:
    """Summarise the scheduler's health and the outbox (of one clinic, or of all)."""
    age = heartbeat_age_seconds(now)
    overdue = overdue_reminders(now, clinic_id)
    # Counting by status reads the whole status index; health probes skip it.
    counts = reminder_counts(clinic_id) if with_counts else {}
    return OperationsStatus(
        heartbeat_age_seconds=age,
        heartbeat_fresh=heartbeat_is_fresh(age),
        overdue_count=overdue.count,
        oldest_overdue_seconds=overdue.oldest_seconds,
        reminders_by_status=counts,
        failed_count=counts.get(FAILED, 0),
    )


def operations_banner(now: datetime, clinic_id: int) -> str | None:
    """Say what clinicians should know when reminders are not going out, or None."""
    age = heartbeat_age_seconds(now)
    overdue = overdue_reminders(now, clinic_id)
    sentences = []
    if not heartbeat_is_fresh(age):
        if age is None:
            sentences.append(
                gettext("Reminders are not being sent: no scheduler has reported yet.")
            )
        else:
            sentences.append(
                gettext(
                    "Reminders are not being sent: no scheduler has reported for %(minutes)d "
                    "minutes.",
                    minutes=minutes(age),
                )
            )
    if overdue.count:
        alert_minutes = minutes(current_app.config["REMINDER_OVERDUE_ALERT_SECONDS"])
        sentences.append(
            ngettext(
                "%(num)d reminder is more than %(late)d minutes late (oldest: %(oldest)d minutes).",
                "%(num)d reminders are more than %(late)d minutes late "
                "(oldest: %(oldest)d minutes).",
                overdue.count,
                late=alert_minutes,
                oldest=minutes(overdue.oldest_seconds),
            )
        )
    return " ".join(sentences) or None


def minutes(seconds: float) -> int:
    """Whole minutes in a number of seconds."""
    return int(seconds // 60)


def needs_attention(now: datetime):
    """Match reminders an admin may retry: failed, retrying, or sending with an expired lease."""
    return Reminder.status.in_((FAILED, RETRY)) | (
        (Reminder.status == SENDING) & (Reminder.next_attempt_at <= now)
    )


@dataclass(frozen=True)
class OutboxEntry:
    reminder: Reminder
    recipient: str  # the patient's name, or the clinician's for alerts and digests
    recipient_is_clinician: bool


def reminders_needing_attention(clinic_id: int, now: datetime, limit: int) -> list[OutboxEntry]:
    """Load the clinic's reminders an admin should look at, failed first, oldest first."""
    query = (
        select(Reminder)
        .where(Reminder.clinic_id == clinic_id, needs_attention(now))
        .options(selectinload(Reminder.patient))
        .order_by(Reminder.status, Reminder.next_attempt_at, Reminder.id)
        .limit(limit)
    )
    reminders = list(db.session.scalars(query))
    user_ids = {r.user_id for r in reminders if r.user_id is not None}
    clinicians = {}
    if user_ids:
        clinicians = dict(
            db.session.execute(
                select(User.id, User.name).where(User.id.in_(user_ids), User.clinic_id == clinic_id)
            ).all()
        )
    entries = []
    for reminder in reminders:
        if reminder.patient is not None:
            entries.append(OutboxEntry(reminder, reminder.patient.name, False))
        else:
            entries.append(OutboxEntry(reminder, clinicians.get(reminder.user_id, "—"), True))
    return entries


def retry_reminder(reminder: Reminder, actor: User, now: datetime) -> Reminder:
    """Put a failed or retrying reminder back in the queue to be sent now, and commit."""
    previous_status, previous_attempts = reminder.status, reminder.attempts
    # The error as the dispatcher kept it (ERROR_LIMIT at most), whole, after who retried it.
    error = (reminder.last_error or "no error recorded")[:ERROR_LIMIT]
    last_error = f"Retried by {actor.name}: {error}"
    # Compare-and-set, so a dispatcher that claimed the row meanwhile keeps it.
    result = db.session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder.id, Reminder.clinic_id == actor.clinic_id, needs_attention(now)
        )
        .values(
            status=SCHEDULED,
            next_attempt_at=now,
            attempts=0,
            lease_until=None,
            last_error=last_error,
            outcome=None,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("status", N_("This reminder is not waiting for a retry any more."))
    record_audit(
        reminder.clinic_id,
        "reminder.retry",
        "reminder",
        reminder.id,
        actor,
        "user",
        details={"previous_status": previous_status, "previous_attempts": previous_attempts},
    )
    db.session.commit()
    db.session.refresh(reminder)
    return reminder
