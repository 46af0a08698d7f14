"""The outbox dispatcher: claim due rows atomically, commit, send, record the outcome."""

import logging
import random
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from tracker.database import dialect_insert, is_postgresql
from tracker.extensions import db
from tracker.followup.delivery import is_permanent_failure, next_attempt_at
from tracker.followup.schedule import nudge_due_at
from tracker.models import Patient, Reminder, User
from tracker.reminders import emails
from tracker.reminders.smtp import describe_failure, open_connection, smtp_code
from tracker.services.reminders import schedule_settings

log = logging.getLogger(__name__)
CLAIMABLE = ("scheduled", "retry", "sending")  # "sending" only once its lease has expired
OUTBOX = Reminder.__table__
# Built once: constructing an UPDATE per message cost more than sending the message.
RECORD_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("reminder_id"))
    .values(
        status="sent",
        sent_at=bindparam("now"),
        updated_at=bindparam("now"),
        message_id=bindparam("message_id"),
        lease_until=None,
        last_error="",
        outcome=None,
    )
)
PATIENT_KINDS = ("milestone", "nudge", "confirmation", "portal_link")


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "DispatchResult") -> None:
        """Add another pass's counts to this one."""
        for name in ("claimed", "sent", "retried", "failed", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def claim_due(
    now: datetime, limit: int, lease_seconds: int, only_ids: list[int] | None = None
) -> list[int]:
    """Mark up to `limit` due rows as ours (status sending, with a lease) and commit."""
    lease_until = now + timedelta(seconds=lease_seconds)
    due = (
        select(Reminder.id)
        .where(Reminder.status.in_(CLAIMABLE), Reminder.next_attempt_at <= now)
        .order_by(Reminder.next_attempt_at, Reminder.id)
        .limit(limit)
    )
    if only_ids is not None:
        due = due.where(Reminder.id.in_(only_ids))
    if is_postgresql(db.engine):
        # Two dispatchers never wait on or take each other's rows.
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(Reminder)
        # Compare-and-set: the row must still be claimable when the UPDATE runs.
        .where(Reminder.id.in_(due.scalar_subquery()))
        .where(Reminder.status.in_(CLAIMABLE), Reminder.next_attempt_at <= now)
        .values(
            status="sending",
            lease_until=lease_until,
            next_attempt_at=lease_until,
            attempts=Reminder.attempts + 1,
            updated_at=now,
        )
        .returning(Reminder.id)
    )
    claimed = list(db.session.scalars(statement, execution_options={"synchronize_session": False}))
    db.session.commit()
    return sorted(claimed)


def dispatch_due(
    now: datetime,
    limit: int | None = None,
    rng: random.Random | None = None,
    only_ids: list[int] | None = None,
) -> DispatchResult:
    """Run one pass: claim what is due (of only_ids, if given), send it over one connection."""
    config = current_app.config
    result = DispatchResult()
    ids = claim_due(
        now, limit or config["DISPATCH_BATCH_SIZE"], config["DISPATCH_LEASE_SECONDS"], only_ids
    )
    result.claimed = len(ids)
    if not ids:
        return result
    outgoing = prepare(ids, now, result)
    pending = [reminder_id for reminder_id, _ in outgoing]
    send_log = SendLog()
    try:
        with open_connection() as connection:
            for reminder_id, message in outgoing:
                send_one(connection, send_log, reminder_id, message, now, result, rng)
                pending.remove(reminder_id)
    except (smtplib.SMTPException, OSError) as error:
        # The connection failed (refused, dropped, timed out): every row not yet recorded
        # is a temporary failure and comes back after its backoff.
        db.session.rollback()
        result.errors.append(describe_failure(error))
        log.warning("SMTP connection failed: %s", describe_failure(error))
        for reminder_id in pending:
            record_failure(reminder_id, error, now, result, rng)
    finally:
        send_log.close()
        db.session.expire_all()
    return result


def prepare(ids: list[int], now: datetime, result: DispatchResult) -> list[tuple[int, object]]:
    """Load the claimed rows in one query and render their messages; settle the unsendable."""
    reminders = db.session.scalars(
        select(Reminder)
        .where(Reminder.id.in_(ids))
        .options(joinedload(Reminder.patient).joinedload(Patient.clinic))
        .order_by(Reminder.id)
    ).all()
    outgoing = []
    for reminder in reminders:
        try:
            message = build_message(reminder, now)
        except Exception as error:  # noqa: BLE001 - a broken template must not stop the batch
            log.exception("Could not build the message of reminder %s", reminder.id)
            reminder.status = "failed"
            reminder.outcome = "send_failed"
            reminder.lease_until = None
            reminder.last_error = f"Could not build the message: {error}"[:500]
            result.failed += 1
            continue
        if message is None:
            result.skipped += 1
        else:
            outgoing.append((reminder.id, message))
    db.session.commit()
    return outgoing


def send_one(connection, send_log, reminder_id: int, message, now, result, rng) -> None:
    """Send one message and record the outcome in its own commit."""
    try:
        connection.send(message)
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPDataError,
        smtplib.SMTPSenderRefused,
    ) as error:
        db.session.rollback()
        record_failure(reminder_id, error, now, result, rng)
        return
    send_log.sent(reminder_id, message, now)
    result.sent += 1


class SendLog:
    """Record each accepted message at once, one statement committing on its own.

    The connection autocommits, so a record costs one round trip. On PostgreSQL it commits
    without waiting for the WAL to reach disk (synchronous_commit off): a crash of the
    dispatcher loses nothing, as the commit is done; only a crash of the database server within
    a fraction of a second could lose a record and so repeat a message, which its stable
    Message-ID lets a mail server recognise. Waiting for an fsync per message would make sending
    several times slower.
    """

    def __init__(self) -> None:
        self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.postgresql = is_postgresql(db.engine)
        self.insert_nudge = dialect_insert(db.engine, OUTBOX).on_conflict_do_nothing()
        if self.postgresql:
            self.connection.exec_driver_sql("SET synchronous_commit TO OFF")

    def sent(self, reminder_id: int, message, now: datetime) -> None:
        if message.nudge is not None:
            # The nudge first: after a crash between the two, the milestone is sent again
            # (the one repeat we accept) and finds its nudge planned already.
            # A milestone sent again (after a crash, or retried) keeps its first nudge:
            # the unique (treatment, kind, milestone_weeks) decides, without a query first.
            self.connection.execute(self.insert_nudge, message.nudge)
        self.connection.execute(
            RECORD_SENT, {"reminder_id": reminder_id, "now": now, "message_id": message.msgId}
        )

    def close(self) -> None:
        try:
            if self.postgresql:
                self.connection.exec_driver_sql("RESET synchronous_commit")
        finally:
            self.connection.close()


def build_message(reminder: Reminder, now: datetime):
    """Render the row's email, or mark it skipped when there is nobody to send it to."""
    clinic = reminder.patient.clinic if reminder.patient else None
    if reminder.kind in PATIENT_KINDS:
        patient = reminder.patient
        outcome = reason = None
        if not patient.email:
            outcome, reason = "no_email", "No email address on file: follow up by phone."
        elif reminder.window_closes_at is not None and reminder.window_closes_at <= now:
            outcome = "window_closed_unsent"
            reason = "The check-in window closed before it could be sent."
        elif patient.opted_out_at is not None and reminder.kind != "portal_link":
            outcome, reason = "opted_out", "The patient opted out of emails."
        if reason:
            reminder.status = "skipped"
            reminder.outcome = outcome
            reminder.last_error = reason
            reminder.lease_until = None
            return None
        if reminder.kind == "portal_link":
            message = emails.portal_link_message(reminder, patient, clinic)
        else:
            message = emails.follow_up_message(reminder, patient, clinic)
    else:
        user = db.session.get(User, reminder.user_id)
        if user is None or not user.active:
            reminder.status = "skipped"
            reminder.outcome = "account_inactive"
            reminder.last_error = "The clinician's account is inactive."
            return None
        builder = {
            "adverse_event_alert": emails.adverse_event_message,
            "digest": emails.digest_message,
            "report_reminder": emails.report_reminder_message,
        }[reminder.kind]
        message = builder(reminder, user, user.clinic)
    message.msgId = emails.message_id_for(reminder)
    message.nudge = nudge_for(reminder, now) if reminder.kind == "milestone" else None
    return message


def record_failure(reminder_id: int, error: BaseException, now: datetime, result, rng) -> None:
    """Retry a temporary failure later; keep a permanent one (or the last attempt) as failed."""
    reminder = db.session.get(Reminder, reminder_id)
    code = smtp_code(error)
    retry_at = None if is_permanent_failure(code) else next_attempt_at(reminder.attempts, now, rng)
    reminder.last_error = describe_failure(error)
    reminder.lease_until = None
    if retry_at is None:
        reminder.status = "failed"
        reminder.outcome = "send_failed"
        result.failed += 1
    else:
        reminder.status = "retry"
        reminder.next_attempt_at = retry_at
        result.retried += 1
    db.session.commit()


def nudge_for(milestone: Reminder, sent_at: datetime) -> dict | None:
    """The row of the one nudge to plan once this milestone is sent (None if too late)."""
    patient = milestone.patient
    settings = schedule_settings(patient.clinic)
    due_at = nudge_due_at(sent_at, milestone.window_closes_at, patient.timezone, settings, sent_at)
    if due_at is None:
        return None
    return {
        "clinic_id": milestone.clinic_id,
        "patient_id": milestone.patient_id,
        "treatment_id": milestone.treatment_id,
        "kind": "nudge",
        "milestone_weeks": milestone.milestone_weeks,
        "due_on": milestone.due_on,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "window_opens_on": milestone.window_opens_on,
        "window_closes_on": milestone.window_closes_on,
        "window_closes_at": milestone.window_closes_at,
        "status": "scheduled",
        "attempts": 0,
        "last_error": "",
        "created_at": sent_at,
        "updated_at": sent_at,
    }


def send_after_response(response, reminder_ids: list[int]):
    """Send messages a person is waiting for once the response has gone out.

    The web process tries at once; if that fails, the rows are the dispatcher's like any other.
    Sending only after the response keeps the answer's timing the same for known and unknown
    addresses.
    """
    app = current_app._get_current_object()

    def send() -> None:
        with app.app_context():
            try:
                dispatch_due(datetime.now(UTC), only_ids=reminder_ids)
            except Exception:
                log.exception("Immediate send failed; the dispatcher will retry")
                db.session.rollback()

    if reminder_ids:
        response.call_on_close(send)
    return response
