"""record what became of each outbox row that did not simply go out

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00

A milestone skipped because its window had closed when it was planned used to be told apart
by a created_at rewritten to the planning time, and a missed milestone's flag guessed from
last_error whether its email went out. Both now read reminder.outcome. Existing rows get the
outcome their other columns show; the messages matched are the ones the dispatcher wrote.
"""

import sqlalchemy as sa
from alembic import op

from tracker.models.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

reminder = sa.table(
    "reminder",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("last_error", sa.Text),
    sa.column("sent_at", UTCDateTime),
    sa.column("window_closes_at", UTCDateTime),
    sa.column("created_at", UTCDateTime),
    sa.column("outcome", sa.String),
)
flag = sa.table(
    "flag",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("reminder_id", sa.Integer),
    sa.column("evidence", sa.JSON),
)
SKIP_REASONS = {
    "no_email": "No email address on file: follow up by phone.",
    "window_closed_unsent": "The check-in window closed before it could be sent.",
    "opted_out": "The patient opted out of emails.",
    "account_inactive": "The clinician's account is inactive.",
}


def upgrade():
    op.add_column("reminder", sa.Column("outcome", sa.String(length=24), nullable=True))

    def set_outcome(outcome, *conditions):
        op.execute(
            reminder.update()
            .where(reminder.c.outcome.is_(None), *conditions)
            .values(outcome=outcome)
        )

    set_outcome(
        "planned_after_window",
        reminder.c.status == "skipped",
        reminder.c.window_closes_at <= reminder.c.created_at,
    )
    ended = reminder.c.status.in_(("skipped", "missed"))
    for outcome, reason in SKIP_REASONS.items():
        set_outcome(outcome, ended, reminder.c.last_error == reason)
    set_outcome("send_failed", reminder.c.status == "failed")
    missed = reminder.c.status == "missed"
    set_outcome("unanswered", missed, reminder.c.sent_at.is_not(None))
    set_outcome("send_failed", missed, reminder.c.attempts > 0)
    set_outcome("window_closed_unsent", missed)

    # The flags of missed milestones quote the outcome instead of the old guess.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(flag.c.id, flag.c.evidence, reminder.c.outcome)
        .join(reminder, reminder.c.id == flag.c.reminder_id)
        .where(flag.c.kind == "missed_milestone")
    ).all()
    for flag_id, evidence, outcome in rows:
        evidence = dict(evidence or {})
        evidence.pop("reminder_status", None)
        evidence["outcome"] = outcome
        connection.execute(flag.update().where(flag.c.id == flag_id).values(evidence=evidence))


def downgrade():
    # The code before this revision told a milestone planned after its window by a created_at
    # no earlier than the window's close.
    op.execute(
        reminder.update()
        .where(
            reminder.c.outcome == "planned_after_window",
            reminder.c.window_closes_at > reminder.c.created_at,
        )
        .values(created_at=reminder.c.window_closes_at)
    )
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding the table, as a batch operation would,
    # fails on SQLite while flags still refer to its rows.
    op.drop_column("reminder", "outcome")
