"""Commands of the reminder processes: one dispatch pass, and the scheduler."""

import sys
from datetime import UTC, datetime

import click
from flask import Flask, current_app

from tracker.reminders.dispatch import DispatchResult, dispatch_backlog
from tracker.reminders.scheduler import run_scheduler
from tracker.services.report_reminders import queue_report_reminders
from tracker.services.windows import close_windows


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise click.BadParameter("use ISO 8601, e.g. 2026-03-01T09:00:00Z") from error
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-03-01T09:00:00Z")
    return moment.astimezone(UTC)


def register_reminder_commands(app: Flask) -> None:
    """Register send-due and scheduler."""

    @app.cli.command("send-due")
    @click.option("--now", "now_text", help="Pretend it is this time (ISO 8601).")
    def send_due(now_text: str | None) -> None:
        """Run one dispatch pass: close windows, send what is due; exit 1 on SMTP failure."""

        now = parse_now(now_text)
        missed = close_windows(now)
        total = DispatchResult()
        for result in dispatch_backlog(now):
            total.add(result)
        click.echo(
            f"claimed {total.claimed}, sent {total.sent}, retry {total.retried}, "
            f"failed {total.failed}, skipped {total.skipped}, windows closed {missed}"
        )
        for error in total.errors:
            click.echo(f"SMTP error: {error}", err=True)
        if total.errors:
            sys.exit(1)

    @app.cli.command("report-reminders")
    @click.option("--now", "now_text", help="Pretend it is this time (ISO 8601).")
    def report_reminders(now_text: str | None) -> None:
        """Queue today's reminders to admins about reports coming due or overdue (once a day)."""

        queued = queue_report_reminders(parse_now(now_text))
        click.echo(f"queued {queued} report reminder(s); send-due sends them")

    @app.cli.command("scheduler")
    def scheduler() -> None:
        """Run the scheduler process (dispatch, windows, digest, heartbeat) until stopped."""

        run_scheduler(current_app._get_current_object())
