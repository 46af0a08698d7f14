"""make run as a new user: the demo leaves reminders the scheduler sends at once, in two languages."""

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tracker.demo import seed_demo
from tracker.extensions import db
from tracker.models import Patient, Reminder
from tracker.reminders.dispatch import dispatch_due

# 07:00 in Tokyo: the demo's 2-week reminders are due later today in every patient's zone.
NOW = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)


def test_demo_leaves_reminders_due_now_for_an_english_and_a_japanese_patient(app, smtp_server):
    seed_demo(NOW)
    due = db.session.scalars(
        select(Reminder).where(Reminder.status == "scheduled", Reminder.next_attempt_at <= NOW)
    ).all()
    languages = {db.session.get(Patient, reminder.patient_id).language for reminder in due}
    assert {"en", "ja"} <= languages

    # The scheduler's next pass (every 30 s) sends them.
    dispatch_due(NOW + timedelta(seconds=30))
    subjects = [message["Subject"] for _, message in smtp_server.messages]
    assert any("経過確認" in subject for subject in subjects), subjects
    assert any(re.search(r"\bcheck-in\b", subject) for subject in subjects), subjects


def test_devrun_takes_its_ports_from_the_environment():
    script = (
        "import os; os.environ.update(WEB_PORT='5123', MAIL_PORT='2626');"
        "from tracker import devrun; print(devrun.commands()['web'][-1],"
        " devrun.commands()['smtp'][4], devrun.mail_environment()['MAIL_PORT'])"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert output == ["5123", "2626", "2626"]
    defaults = subprocess.run(
        [
            sys.executable,
            "-c",
            script.replace("os.environ.update(WEB_PORT='5123', MAIL_PORT='2626');", ""),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert defaults == ["5000", "8025", "8025"]


def test_logs_written_to_a_file_carry_no_colour_codes(tmp_path):
    script = (
        "import logging, sys; from tracker import create_app; from config import Config;"
        "app = create_app(Config);"
        "logging.getLogger('werkzeug').info('\\x1b[32mGET / HTTP/1.1\\x1b[0m 200')"
    )
    log = tmp_path / "run.log"
    with log.open("w") as stream:
        subprocess.run([sys.executable, "-c", script], stderr=stream, stdout=stream, check=True)
    text = log.read_text()
    assert "GET / HTTP/1.1" in text and "\x1b[" not in text


def test_every_page_links_the_favicon(client):
    for path in ("/login", "/portal/request"):
        assert 'rel="icon" href="/static/favicon.svg"' in client.get(path).get_data(as_text=True)
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200 and b"<svg" in response.data
    response.close()
