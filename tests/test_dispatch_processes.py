"""Several dispatcher processes against one database and a slow SMTP server on 127.0.0.1."""

import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from tests.factories import ClinicFactory
from tracker.extensions import db
from tracker.models import Patient, Reminder

ROOT = Path(__file__).resolve().parent.parent
DUE = 64
LEASE_SECONDS = 2
SECONDS_PER_MESSAGE = 0.2  # so one batch of DUE rows takes six leases to send
LATER_DISPATCHERS_EVERY = 3.5  # seconds: each starts after the one before lost its lease


def add_due_confirmations(count: int, now: datetime) -> None:
    clinic_id = ClinicFactory().id
    db.session.execute(
        insert(Patient),
        [
            {
                "clinic_id": clinic_id,
                "external_id": f"MRN-{n}",
                "name": f"Patient {n}",
                "email": f"p{n}@example.org",
                "timezone": "Asia/Tokyo",
                "language": "en",
                "frozen_doses": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ],
    )
    patient_ids = db.session.scalars(select(Patient.id).where(Patient.clinic_id == clinic_id))
    db.session.execute(
        insert(Reminder),
        [
            {
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "kind": "confirmation",
                "due_on": now.date(),
                "due_at": now,
                "next_attempt_at": now,
                "status": "scheduled",
                "window_closes_at": now + timedelta(days=14),
                "attempts": 0,
                "last_error": "",
                "created_at": now,
                "updated_at": now,
            }
            for patient_id in patient_ids
        ],
    )
    db.session.commit()


def start_send_due(app, smtp_port: int) -> subprocess.Popen:
    """Start `flask send-due` as its own process, on the test's database and SMTP server."""
    environment = {
        **os.environ,
        "TRACKER_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "DISPATCH_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi", "send-due"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_batch_that_outlives_its_lease_is_still_sent_exactly_once(smtp_server, app):
    add_due_confirmations(DUE, datetime.now(UTC) - timedelta(minutes=1))
    db.session.remove()
    smtp_server.handler.seconds_per_message = SECONDS_PER_MESSAGE

    # The first claims every row; each later one finds the leases of the rows not yet sent
    # expired while the one before is still sending them.
    dispatchers = []
    for _ in range(3):
        dispatchers.append(start_send_due(app, smtp_server.port))
        time.sleep(LATER_DISPATCHERS_EVERY)
    outputs = [dispatcher.communicate(timeout=60)[0] for dispatcher in dispatchers]

    for dispatcher, output in zip(dispatchers, outputs, strict=True):
        assert dispatcher.returncode == 0, output
    sent_by = [int(re.search(r"\bsent (\d+)", output).group(1)) for output in outputs]
    assert sum(1 for sent in sent_by if sent) >= 2, sent_by  # the batch did change hands
    received = Counter(message["Message-ID"] for _, message in smtp_server.messages)
    repeated = {message_id: n for message_id, n in received.items() if n > 1}
    assert repeated == {}, f"{len(repeated)} messages sent more than once"
    assert len(received) == DUE
    statuses = db.session.scalars(select(Reminder.status)).all()
    assert Counter(statuses) == {"sent": DUE}
