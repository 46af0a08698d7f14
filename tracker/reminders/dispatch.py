"""The outbox dispatcher: claim due rows atomically, commit, send, record the outcome.

Each pass claims its rows under a token of its own. Before each message it renews that row's
lease with a compare-and-set on the token, so a pass that outlived its lease, and whose rows
another pass has claimed since, stops instead of sending them a second time.
"""

import logging
import random
import secrets
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, case, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.compiler import Compiled

from tracker.database import dialect_insert, is_postgresql
from tracker.extensions import db
from tracker.followup.delivery import is_permanent_failure, next_attempt_at
from tracker.followup.schedule import nudge_due_at
from tracker.models import Patient, Reminder, User
from tracker.models.types import UTCDateTime
from tracker.reminders import account_emails, emails
from tracker.reminders.form_letters import FormLetters
from tracker.reminders.smtp import (
    describe_failure,
    is_connection_failure,
    open_connection,
    smtp_code,
)
from tracker.services.follow_up_schedule import schedule_settings
from tracker.services.outbox import outbox_row
from tracker.vocabulary import (
    ADVERSE_EVENT_ALERT,
    CLAIMABLE_STATUSES,
    DIGEST,
    ERROR_LIMIT,
    FAILED,
    FOLLOW_UP_KINDS,
    MILESTONE,
    NUDGE,
    PORTAL_LINK,
    REPORT_REMINDER,
    RETRY,
    SCHEDULED,
    SENDING,
    SENT,
    SKIPPED,
)

log = logging.getLogger(__name__)
OUTBOX = Reminder.__table__
HELD_BY_THIS_PASS = (
    (OUTBOX.c.id == bindparam("reminder_id"))
    & (OUTBOX.c.status == SENDING)
    & (OUTBOX.c.claim_token == bindparam("token"))
)
NOW = bindparam("now", type_=UTCDateTime())
RENEWED_UNTIL = bindparam("renewed_until", type_=UTCDateTime())
# Built once: constructing an UPDATE per message cost more than sending the message.
RENEW_LEASE = (
    update(OUTBOX)
    .where(HELD_BY_THIS_PASS)
    .values(lease_until=RENEWED_UNTIL, next_attempt_at=RENEWED_UNTIL)
)
# Not a compare-and-set: the message went out, so "sent" is true whoever holds the row now,
# and it stops a pass that claimed the row meanwhile from sending it again.
RECORD_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("reminder_id"))
    .values(
        status=SENT,
        sent_at=bindparam("now"),
        updated_at=bindparam("now"),
        message_id=bindparam("message_id"),
        lease_until=None,
        claim_token=None,
        last_error="",
        outcome=None,
    )
)
# RECORD_SENT and RENEW_LEASE of the next row in one statement, so holding each row before its
# send costs no more round trips than recording it: the renewal is still the last word with
# the database before the next send.
IS_SENT = OUTBOX.c.id == bindparam("reminder_id")
RECORD_SENT_RENEW_NEXT = (
    update(OUTBOX)
    .where(
        IS_SENT
        | (
            (OUTBOX.c.id == bindparam("next_id"))
            & (OUTBOX.c.status == SENDING)
            & (OUTBOX.c.claim_token == bindparam("token"))
        )
    )
    .values(
        status=case((IS_SENT, SENT), else_=OUTBOX.c.status),
        sent_at=case((IS_SENT, NOW), else_=OUTBOX.c.sent_at),
        updated_at=case((IS_SENT, NOW), else_=OUTBOX.c.updated_at),
        message_id=case((IS_SENT, bindparam("message_id")), else_=OUTBOX.c.message_id),
        lease_until=case((IS_SENT, None), else_=RENEWED_UNTIL),
        next_attempt_at=case((IS_SENT, OUTBOX.c.next_attempt_at), else_=RENEWED_UNTIL),
        claim_token=case((IS_SENT, None), else_=OUTBOX.c.claim_token),
        last_error=case((IS_SENT, ""), else_=OUTBOX.c.last_error),
        outcome=case((IS_SENT, None), else_=OUTBOX.c.outcome),
    )
    .returning(OUTBOX.c.id)
)
# On PostgreSQL a milestone's nudge is planned in the same statement that records the
# milestone sent (a data-modifying CTE): one round trip per message instead of two, and no
# moment when one is written without the other.
NUDGE_COLUMNS = (
    "clinic_id",
    "kind",
    "due_at",
    "next_attempt_at",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "updated_at",
    "patient_id",
    "treatment_id",
    "milestone_weeks",
    "due_on",
    "window_opens_on",
    "window_closes_on",
    "window_closes_at",
)
PLAN_NUDGE = (
    postgresql.insert(OUTBOX)
    .values({name: bindparam(f"nudge_{name}", type_=OUTBOX.c[name].type) for name in NUDGE_COLUMNS})
    .on_conflict_do_nothing()
    .cte("planned_nudge")
)


def nudge_values(nudge: dict) -> dict:
    """The nudge's row as the bound values of PLAN_NUDGE (a column it leaves out is NULL)."""
    unknown = nudge.keys() - set(NUDGE_COLUMNS)
    if unknown:
        raise ValueError(f"a nudge has no column {', '.join(sorted(unknown))}")
    return {f"nudge_{name}": nudge.get(name) for name in NUDGE_COLUMNS}


PATIENT_KINDS = (*FOLLOW_UP_KINDS, PORTAL_LINK)


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


@dataclass
class Claim:
    """One pass's hold on the rows it claimed: its token, and how long a lease lasts."""

    now: datetime
    lease_seconds: int
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    started: float = field(default_factory=time.monotonic)

    def moment(self) -> datetime:
        """This moment: the pass's `now`, moved on by the time the pass has taken."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    def lease_from_now(self) -> datetime:
        """The end of a lease starting at this moment."""
        return self.moment() + timedelta(seconds=self.lease_seconds)


class Outgoing(NamedTuple):
    reminder_id: int
    attempts: int
    message: emails.OutboxMessage


def claim_due(
    now: datetime,
    limit: int,
    lease_seconds: int,
    only_ids: list[int] | None = None,
    token: str | None = None,
) -> list[int]:
    """Mark up to `limit` due rows as ours (status sending, with a lease) and commit."""
    lease_until = now + timedelta(seconds=lease_seconds)
    due = (
        select(Reminder.id)
        .where(Reminder.status.in_(CLAIMABLE_STATUSES), Reminder.next_attempt_at <= now)
        .order_by(Reminder.next_attempt_at, Reminder.id)
        .limit(limit)
    )
    if only_ids is not None:
        due = due.where(Reminder.id.in_(only_ids))
    if is_postgresql(db.engine):
        # Two dispatchers never wait on or take each other's rows. Materialized, the locking
        # SELECT runs once: inlined, PostgreSQL may rescan it for each row it updates, each
        # rescan skipping the rows just claimed, and so claim every due row whatever `limit`.
        due = select(due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED"))
    statement = (
        update(Reminder)
        # Compare-and-set: the row must still be claimable when the UPDATE runs.
        .where(Reminder.id.in_(due.scalar_subquery()))
        .where(Reminder.status.in_(CLAIMABLE_STATUSES), Reminder.next_attempt_at <= now)
        .values(
            status=SENDING,
            lease_until=lease_until,
            next_attempt_at=lease_until,
            claim_token=token or secrets.token_hex(16),
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
    claim = Claim(now, config["DISPATCH_LEASE_SECONDS"])
    ids = claim_due(
        now, limit or config["DISPATCH_BATCH_SIZE"], claim.lease_seconds, only_ids, claim.token
    )
    result.claimed = len(ids)
    if not ids:
        return result
    send_log = SendLog(claim)
    untried = set(ids)
    try:
        outgoing = prepare(ids, send_log, result, rng)
        if outgoing:
            send_all(outgoing, send_log, untried, result, rng)
    finally:
        try:
            # Whatever stopped the pass, rows it still holds but never handed to the SMTP
            # server go back at once (those it settled are no longer "sending").
            send_log.release(untried)
        except Exception:
            # The database is gone too: their leases run out and they come back then.
            log.exception("Could not release %d reminders", len(untried))
        finally:
            send_log.close()
            db.session.expire_all()
    return result


def dispatch_backlog(now: datetime, max_passes: int | None = None) -> Iterator[DispatchResult]:
    """Run pass after pass until nothing is due or the SMTP server fails; yield each result.

    Each pass after the first takes `now` moved on by the time spent, so the leases it writes
    start when it claims: a backlog can take longer than one lease.
    """
    started = time.monotonic()
    moment = now
    passes = 0
    while max_passes is None or passes < max_passes:
        result = dispatch_due(moment)
        passes += 1
        yield result
        if result.claimed == 0 or result.errors:
            return
        moment = now + timedelta(seconds=time.monotonic() - started)


def prepare(ids: list[int], send_log: "SendLog", result: DispatchResult, rng) -> list[Outgoing]:
    """Load the claimed rows in one query and render their messages; settle the unsendable."""
    now = send_log.claim.now
    reminders = db.session.scalars(
        select(Reminder)
        .where(Reminder.id.in_(ids))
        .options(joinedload(Reminder.patient).joinedload(Patient.clinic))
        .order_by(Reminder.id)
    ).all()
    outgoing = []
    letters = FormLetters()
    for reminder in reminders:
        skipped = skip_reason(reminder, now)
        if skipped is not None:
            outcome, reason = skipped
            if send_log.settle(reminder.id, status=SKIPPED, outcome=outcome, last_error=reason):
                result.skipped += 1
            continue
        try:
            message = build_message(reminder, now, letters)
        except Exception as error:  # noqa: BLE001 - a broken message must not stop the batch
            log.exception("Could not build the message of reminder %s", reminder.id)
            record_failure(
                send_log,
                reminder.id,
                reminder.attempts,
                error,
                result,
                rng,
                "Could not build the message: ",
            )
            continue
        outgoing.append(Outgoing(reminder.id, reminder.attempts, message))
    db.session.commit()  # ends the read: every outcome went through the send log
    return outgoing


def send_all(outgoing: list[Outgoing], send_log: "SendLog", untried: set[int], result, rng):
    """Send the messages over one connection, each only while this pass still holds its row.

    Stop at the first row another pass has claimed since: this pass outlived its lease, and
    the rows after it are that pass's (or anyone's, once released).
    """
    position = 0
    try:
        with open_connection() as connection:
            held = send_log.renew(outgoing[0].reminder_id)
            for position, item in enumerate(outgoing):
                if not held:
                    log.warning(
                        "Reminder %s was claimed by another dispatcher: this batch outlived "
                        "its lease and stops here",
                        item.reminder_id,
                    )
                    return
                untried.discard(item.reminder_id)
                following = None
                if position + 1 < len(outgoing):
                    following = outgoing[position + 1].reminder_id
                try:
                    connection.send(item.message)
                except Exception as error:  # noqa: BLE001 - one message's failure is its own
                    if is_connection_failure(error):
                        raise
                    record_failure(send_log, item.reminder_id, item.attempts, error, result, rng)
                    held = following is None or send_log.renew(following)
                    continue
                held = send_log.sent(item.reminder_id, item.message, following)
                result.sent += 1
    except (smtplib.SMTPException, OSError) as error:
        # The connection failed (refused, dropped, timed out): every row not yet recorded
        # is a temporary failure and comes back after its backoff.
        result.errors.append(describe_failure(error))
        log.warning("SMTP connection failed: %s", describe_failure(error))
        for item in outgoing[position:]:
            record_failure(send_log, item.reminder_id, item.attempts, error, result, rng)


class SendStatements(NamedTuple):
    renew_lease: Compiled
    record_sent: Compiled
    record_sent_renew_next: Compiled
    # PostgreSQL only (None elsewhere): the same, planning the milestone's nudge too.
    nudge_record_sent: Compiled | None
    nudge_record_sent_renew_next: Compiled | None


@lru_cache(maxsize=4)
def compiled_for(dialect: Dialect) -> SendStatements:
    """The statements run once per message, compiled once: finding each in SQLAlchemy's cache
    (working out its cache key) took a fifth of the time of running it."""
    statements = [RENEW_LEASE, RECORD_SENT, RECORD_SENT_RENEW_NEXT]
    compiled = [statement.compile(dialect=dialect) for statement in statements]
    if dialect.name == "postgresql":
        compiled += [
            statement.add_cte(PLAN_NUDGE).compile(dialect=dialect)
            for statement in (RECORD_SENT, RECORD_SENT_RENEW_NEXT)
        ]
    else:
        compiled += [None, None]
    return SendStatements(*compiled)


class SendLog:
    """Record each outcome of a pass at once, one statement committing on its own.

    The connection autocommits, so a record costs one round trip. On PostgreSQL it commits
    without waiting for the WAL to reach disk (synchronous_commit off): a crash of the
    dispatcher loses nothing, as the commit is done; only a crash of the database server within
    a fraction of a second could lose a record and so repeat a message, which its stable
    Message-ID lets a mail server recognise. Waiting for an fsync per message would make sending
    several times slower.

    Every write but the record of a sent message is a compare-and-set on the pass's claim
    token: a row another pass has claimed since is that pass's to send and record.
    """

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.postgresql = is_postgresql(db.engine)
        self.insert_nudge = dialect_insert(db.engine, OUTBOX).on_conflict_do_nothing()
        self.statements = compiled_for(db.engine.dialect)
        if self.postgresql:
            self.connection.exec_driver_sql("SET synchronous_commit TO OFF")

    def renew(self, reminder_id: int) -> bool:
        """Extend the row's lease if this pass still holds it; tell whether it does."""
        held = {"reminder_id": reminder_id, "token": self.claim.token}
        renewed = self.connection.execute(
            self.statements.renew_lease, {**held, "renewed_until": self.claim.lease_from_now()}
        )
        return renewed.rowcount == 1

    def sent(self, reminder_id: int, message, following: int | None = None) -> bool:
        """Record the message as sent, renewing the lease of the row to send next, if any.

        Tell whether this pass still holds that following row.
        """
        sent = {"reminder_id": reminder_id, "now": self.claim.now, "message_id": message.msgId}
        record_sent = self.statements.record_sent
        record_sent_renew_next = self.statements.record_sent_renew_next
        # A milestone sent again (after a crash, or retried) keeps its first nudge: the unique
        # (treatment, kind, milestone_weeks) decides, without a query first.
        if message.nudge is not None and self.statements.nudge_record_sent is not None:
            sent |= nudge_values(message.nudge)
            record_sent = self.statements.nudge_record_sent
            record_sent_renew_next = self.statements.nudge_record_sent_renew_next
        elif message.nudge is not None:
            # The nudge first: after a crash between the two, the milestone is sent again
            # (the one repeat we accept) and finds its nudge planned already.
            self.connection.execute(self.insert_nudge, message.nudge)
        if following is None:
            self.connection.execute(record_sent, sent)
            return True
        renew = {
            "next_id": following,
            "token": self.claim.token,
            "renewed_until": self.claim.lease_from_now(),
        }
        updated = self.connection.execute(record_sent_renew_next, {**sent, **renew})
        return following in set(updated.scalars())

    def settle(self, reminder_id: int, **values) -> bool:
        """Write a row's outcome if this pass still holds it; tell whether it did."""
        statement = (
            update(OUTBOX)
            .where(HELD_BY_THIS_PASS)
            .values(**values, lease_until=None, claim_token=None, updated_at=self.claim.now)
        )
        settled = self.connection.execute(
            statement, {"reminder_id": reminder_id, "token": self.claim.token}
        )
        return settled.rowcount == 1

    def release(self, reminder_ids: list[int]) -> None:
        """Make the rows this pass holds but never tried claimable again at once."""
        if not reminder_ids:
            return
        self.connection.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id.in_(reminder_ids),
                OUTBOX.c.status == SENDING,
                OUTBOX.c.claim_token == self.claim.token,
            )
            # Undo the claim: it counted an attempt that never happened.
            .values(
                status=case((OUTBOX.c.attempts > 1, RETRY), else_=SCHEDULED),
                attempts=OUTBOX.c.attempts - 1,
                next_attempt_at=self.claim.moment(),
                lease_until=None,
                claim_token=None,
                updated_at=self.claim.now,
            )
        )

    def close(self) -> None:
        try:
            if self.postgresql:
                self.connection.exec_driver_sql("RESET synchronous_commit")
        finally:
            self.connection.close()


def skip_reason(reminder: Reminder, now: datetime) -> tuple[str, str] | None:
    """Why the row's email is not to be sent, as (outcome, words for the Outbox), or None."""
    if reminder.kind in account_emails.KINDS:
        return account_emails.skip_reason(reminder)
    if reminder.kind in PATIENT_KINDS:
        patient = reminder.patient
        if not patient.email:
            return "no_email", "No email address on file: follow up by phone."
        if reminder.window_closes_at is not None and reminder.window_closes_at <= now:
            return "window_closed_unsent", "The check-in window closed before it could be sent."
        if patient.opted_out_at is not None and reminder.kind != PORTAL_LINK:
            return "opted_out", "The patient opted out of emails."
        return None
    user = db.session.get(User, reminder.user_id)
    if user is None or not user.active:
        return "account_inactive", "The clinician's account is inactive."
    return None


def build_message(
    reminder: Reminder, now: datetime, letters: FormLetters | None = None
) -> emails.OutboxMessage:
    """Render the row's email (skip_reason has found someone to send it to).

    Follow-ups are filled in from the pass's form letters, when given.
    """
    if reminder.kind in account_emails.KINDS:
        message = account_emails.account_message(reminder)
    elif reminder.kind in PATIENT_KINDS:
        patient = reminder.patient
        if reminder.kind == PORTAL_LINK:
            message = emails.portal_link_message(reminder, patient, patient.clinic)
        elif letters is not None:
            message = letters.message(reminder, patient, patient.clinic)
        else:
            message = emails.follow_up_message(reminder, patient, patient.clinic)
    else:
        user = db.session.get(User, reminder.user_id)
        builder = {
            ADVERSE_EVENT_ALERT: emails.adverse_event_message,
            DIGEST: emails.digest_message,
            REPORT_REMINDER: emails.report_reminder_message,
        }[reminder.kind]
        message = builder(reminder, user, user.clinic)
    message.msgId = emails.message_id_for(reminder)
    message.nudge = nudge_for(reminder, now) if reminder.kind == MILESTONE else None
    return message


def record_failure(
    send_log: SendLog,
    reminder_id: int,
    attempts: int,
    error: BaseException,
    result: DispatchResult,
    rng: random.Random | None,
    context: str = "",
) -> None:
    """Retry a temporary failure later; keep a permanent one (or the last attempt) as failed.

    Anything but a permanent SMTP refusal may pass (a server back up, a name corrected, a
    template fixed), so it follows the backoff until its last attempt.
    """
    now = send_log.claim.now
    code = smtp_code(error)
    retry_at = None if is_permanent_failure(code) else next_attempt_at(attempts, now, rng)
    values = {
        "status": FAILED,
        "outcome": "send_failed",
        "last_error": (context + describe_failure(error))[:ERROR_LIMIT],
    }
    if retry_at is not None:
        values = {**values, "status": RETRY, "outcome": None, "next_attempt_at": retry_at}
    if not send_log.settle(reminder_id, **values):
        return  # another pass holds the row now: its outcome is that pass's
    if retry_at is None:
        result.failed += 1
    else:
        result.retried += 1


def nudge_for(milestone: Reminder, sent_at: datetime) -> dict | None:
    """The row of the one nudge to plan once this milestone is sent (None if too late)."""
    patient = milestone.patient
    settings = schedule_settings(patient.clinic)
    due_at = nudge_due_at(sent_at, milestone.window_closes_at, patient.timezone, settings, sent_at)
    if due_at is None:
        return None
    return outbox_row(
        NUDGE,
        milestone.clinic_id,
        sent_at,
        due_at=due_at,
        patient_id=milestone.patient_id,
        treatment_id=milestone.treatment_id,
        milestone_weeks=milestone.milestone_weeks,
        due_on=milestone.due_on,
        window_opens_on=milestone.window_opens_on,
        window_closes_on=milestone.window_closes_on,
        window_closes_at=milestone.window_closes_at,
    )


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
