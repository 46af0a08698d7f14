"""The scheduler process: APScheduler runs the jobs; the database holds what is due."""

import logging
import os
import signal
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from tracker.extensions import db
from tracker.reminders.dispatch import dispatch_backlog
from tracker.services.digest import queue_digests
from tracker.services.operations import record_heartbeat
from tracker.services.report_reminders import queue_report_reminders
from tracker.services.windows import close_windows

log = logging.getLogger(__name__)
DISPATCH_SECONDS = 30
WINDOWS_SECONDS = 300
DIGEST_SECONDS = 3600
HEARTBEAT_SECONDS = 30
REPORT_REMINDERS_SECONDS = 900


def scheduler_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(app: Flask, job, *args) -> None:
    """Run one job in an app context; a failure is logged and the scheduler goes on."""

    with app.app_context():
        try:
            job(datetime.now(UTC), *args)
        except Exception:
            log.exception("Job %s failed", job.__name__)
            db.session.rollback()
        finally:
            db.session.remove()


def dispatch_job(now: datetime) -> None:

    # Drain what is due, a batch at a time, so a backlog does not wait 30 s per batch.
    for result in dispatch_backlog(now, max_passes=50):
        if result.claimed:
            log.info("Dispatched: %s", result)


def windows_job(now: datetime) -> None:

    closed = close_windows(now)
    if closed:
        log.info("Closed %d milestone windows without a check-in", closed)


def digest_job(now: datetime) -> None:

    queue_digests(now)


def report_reminders_job(now: datetime) -> None:

    queued = queue_report_reminders(now)
    if queued:
        log.info("Queued %d reminders about reports coming due", queued)


def heartbeat_job(now: datetime, name: str) -> None:

    record_heartbeat(name, now)


def build_scheduler(app: Flask) -> BlockingScheduler:
    """Create the scheduler with its interval jobs (UTC, coalesced, never dropped)."""
    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )
    name = scheduler_name()
    start = datetime.now(UTC)
    jobs = [
        ("heartbeat", heartbeat_job, HEARTBEAT_SECONDS, [name]),
        ("dispatch", dispatch_job, DISPATCH_SECONDS, []),
        ("close-windows", windows_job, WINDOWS_SECONDS, []),
        ("digest", digest_job, DIGEST_SECONDS, []),
        ("report-reminders", report_reminders_job, REPORT_REMINDERS_SECONDS, []),
    ]
    for job_id, job, seconds, extra in jobs:
        scheduler.add_job(
            run_job,
            "interval",
            args=[app, job, *extra],
            seconds=seconds,
            next_run_time=start,
            id=job_id,
        )
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run until SIGTERM or SIGINT, then stop after the running job finishes."""
    scheduler = build_scheduler(app)

    def stop(signum, frame):
        log.info("Scheduler stopping (signal %s)", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("Scheduler %s started", scheduler_name())
    scheduler.start()
