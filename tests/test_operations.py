"""Self-monitoring: scheduler heartbeats, /healthz, /metrics and the "reminders are late" banner."""

import math
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

from config import TestConfig
from tests import helpers
from tests.conftest import POSTGRES_URL, log_in, postgres_url
from tests.factories import PatientFactory
from tests.helpers import make_flag
from tracker import create_app
from tracker.extensions import db
from tracker.models import Reminder, SchedulerHeartbeat
from tracker.services import operations
from tracker.services.operations import operations_status, record_heartbeat
from tracker.vocabulary import CLAIMABLE_STATUSES

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test runs at NOW, so sessions and CSRF tokens are signed and read at one time."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, name="Hanako Yamada", email="hanako@example.org")


def add_reminder(patient, *, late_by: timedelta, status: str = "scheduled", **values) -> Reminder:
    """Insert an outbox row whose next attempt was `late_by` before NOW."""
    return helpers.add_reminder(patient, NOW - late_by, status, **values)


def beat(age: timedelta = timedelta(seconds=30), name: str = "scheduler-1") -> None:
    record_heartbeat(name, NOW - age)


def metric_values(text: str) -> dict[tuple, float]:
    """Map (sample name, sorted labels) to value."""
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def test_recording_a_heartbeat_twice_keeps_one_row_with_the_latest_time(app):
    record_heartbeat("scheduler-1", NOW - timedelta(minutes=5))
    record_heartbeat("scheduler-1", NOW)
    record_heartbeat("scheduler-2", NOW - timedelta(minutes=1))

    rows = db.session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.name)).all()
    assert [(row.name, row.beat_at) for row in rows] == [
        ("scheduler-1", NOW),
        ("scheduler-2", NOW - timedelta(minutes=1)),
    ]


def test_status_uses_the_freshest_heartbeat_of_any_scheduler(app):
    beat(timedelta(minutes=30), "old-host")
    beat(timedelta(seconds=40), "new-host")

    status = operations_status(NOW)

    assert status.heartbeat_age_seconds == 40
    assert status.heartbeat_fresh


def test_status_without_any_heartbeat_is_not_fresh(app):
    status = operations_status(NOW)

    assert status.heartbeat_age_seconds is None
    assert not status.heartbeat_fresh


def test_a_heartbeat_exactly_at_the_limit_is_still_fresh(app):
    beat(timedelta(seconds=180))

    assert operations_status(NOW).heartbeat_fresh
    beat(timedelta(seconds=181))
    assert not operations_status(NOW).heartbeat_fresh


def test_overdue_counts_pending_rows_and_expired_leases_past_the_alert_delay(app, patient):
    add_reminder(patient, late_by=timedelta(minutes=20))
    add_reminder(patient, late_by=timedelta(minutes=40), status="retry", attempts=2)
    add_reminder(patient, late_by=timedelta(minutes=16), status="sending", attempts=1)
    add_reminder(patient, late_by=timedelta(minutes=5))  # late, but not alarming yet
    add_reminder(patient, late_by=timedelta(minutes=5), status="sending")  # lease just expired
    add_reminder(patient, late_by=timedelta(hours=3), status="sent")
    add_reminder(patient, late_by=timedelta(hours=3), status="failed")
    add_reminder(patient, late_by=timedelta(hours=3), status="cancelled")
    add_reminder(patient, late_by=-timedelta(days=10))  # due in the future

    status = operations_status(NOW)

    assert status.overdue_count == 3
    assert status.oldest_overdue_seconds == 40 * 60
    assert status.failed_count == 1
    assert status.reminders_by_status["scheduled"] == 3
    assert status.reminders_by_status["sending"] == 2
    assert status.reminders_by_status["missed"] == 0


def test_status_of_one_clinic_ignores_other_clinics(app, clinic, other_clinic, patient):
    stranger = PatientFactory(clinic=other_clinic)
    add_reminder(stranger, late_by=timedelta(hours=1))
    add_reminder(stranger, late_by=timedelta(hours=1), status="failed")
    add_reminder(patient, late_by=timedelta(minutes=30))

    mine = operations_status(NOW, clinic.id)
    everyone = operations_status(NOW)

    assert (mine.overdue_count, mine.failed_count, mine.oldest_overdue_seconds) == (1, 0, 1800)
    assert (everyone.overdue_count, everyone.failed_count) == (2, 1)


# /healthz


def test_healthz_is_ok_with_a_fresh_scheduler_and_nothing_overdue(client, frozen_clock):
    beat(timedelta(seconds=30))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "scheduler": {"heartbeat_age_seconds": 30, "fresh": True},
        "reminders": {"overdue": 0, "oldest_overdue_seconds": None},
    }


def test_healthz_is_degraded_but_answers_200_when_the_scheduler_is_stale(client, frozen_clock):
    beat(timedelta(minutes=10))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["scheduler"] == {"heartbeat_age_seconds": 600, "fresh": False}


def test_healthz_is_degraded_when_reminders_are_overdue_and_names_no_patient(
    client, frozen_clock, patient
):
    beat()
    add_reminder(patient, late_by=timedelta(minutes=20), last_error="hanako@example.org refused")

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["reminders"] == {"overdue": 1, "oldest_overdue_seconds": 1200}
    text = response.get_data(as_text=True)
    for personal in ("Hanako", "hanako@example.org", patient.external_id, "Tokyo Knee Clinic"):
        assert personal not in text


@pytest.fixture
def app_without_database(backend, tmp_path):
    """An app of the same backend whose database cannot be reached: every query fails."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'no-such-directory' / 'tracker.db'}"
    else:
        url = (
            make_url(postgres_url(POSTGRES_URL))
            .set(database="tracker_no_such_database")
            .render_as_string(hide_password=False)
        )
    broken = create_app(type("BrokenConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    yield broken
    with broken.app_context():
        db.engine.dispose()


def test_healthz_answers_503_when_the_database_fails(app_without_database):
    response = app_without_database.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    page = response.get_data(as_text=True)
    assert "no-such-directory" not in page and "tracker_no_such_database" not in page


def test_healthz_needs_no_login(client, frozen_clock):
    assert client.get("/healthz").status_code == 200


# /metrics


def test_metrics_expose_outbox_scheduler_and_flags(client, frozen_clock, patient):
    beat(timedelta(seconds=45))
    add_reminder(patient, late_by=timedelta(minutes=20))
    add_reminder(patient, late_by=timedelta(minutes=2))
    add_reminder(patient, late_by=timedelta(hours=1), status="failed", last_error="550 no mailbox")
    make_flag(patient, kind="relapse")
    make_flag(patient, kind="relapse")
    make_flag(patient, kind="booster_window", status="acknowledged")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    values = metric_values(response.get_data(as_text=True))
    assert values[("tracker_reminders", (("status", "scheduled"),))] == 2
    assert values[("tracker_reminders", (("status", "failed"),))] == 1
    assert values[("tracker_reminders", (("status", "sent"),))] == 0
    assert values[("tracker_reminders_overdue", ())] == 1
    assert values[("tracker_reminders_oldest_overdue_seconds", ())] == 1200
    assert values[("tracker_scheduler_heartbeat_age_seconds", ())] == 45
    assert values[("tracker_scheduler_heartbeat_fresh", ())] == 1
    assert values[("tracker_flags_open", (("kind", "relapse"),))] == 2
    assert values[("tracker_flags_open", (("kind", "booster_window"),))] == 0
    assert "Hanako" not in response.get_data(as_text=True)


def test_metrics_without_any_heartbeat_report_nan_and_not_fresh(client, frozen_clock):
    values = metric_values(client.get("/metrics").get_data(as_text=True))

    assert math.isnan(values[("tracker_scheduler_heartbeat_age_seconds", ())])
    assert values[("tracker_scheduler_heartbeat_fresh", ())] == 0
    assert values[("tracker_reminders_oldest_overdue_seconds", ())] == 0


def test_metrics_token_is_required_when_configured(client, app, monkeypatch, frozen_clock):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")

    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    basic = client.get("/metrics", headers={"Authorization": "Basic s3cret-scrape-token"})
    assert basic.status_code == 401
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert right.status_code == 200
    assert "tracker_reminders" in right.get_data(as_text=True)


def test_metrics_are_open_without_a_token(client, app, monkeypatch, frozen_clock):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")

    assert client.get("/metrics").status_code == 200


def scrape(client, address: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_metrics_answer_only_listed_addresses_when_an_allow_list_is_set(
    client, app, monkeypatch, frozen_clock
):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_IPS", ("10.20.0.0/16", "2001:db8::7"))

    assert scrape(client, "10.20.3.4").status_code == 200
    assert scrape(client, "::ffff:10.20.3.4").status_code == 200
    assert scrape(client, "2001:db8::7").status_code == 200
    refused = scrape(client, "203.0.113.9")
    assert refused.status_code == 403
    assert "tracker_reminders" not in refused.get_data(as_text=True)
    assert scrape(client, "10.21.0.1").status_code == 403


def test_metrics_with_token_and_allow_list_answer_either(client, app, monkeypatch, frozen_clock):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_IPS", ("10.20.0.0/16",))

    assert scrape(client, "10.20.3.4").status_code == 200
    assert scrape(client, "203.0.113.9", token="s3cret-scrape-token").status_code == 200
    refused = scrape(client, "203.0.113.9", token="wrong")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_app_with_a_malformed_metrics_allow_list_refuses_to_start():
    config = type(
        "BadAllowList",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "METRICS_ALLOWED_IPS": ("10.0.0.0/8", "intranet")},
    )

    with pytest.raises(RuntimeError, match="METRICS_ALLOWED_IPS.*'intranet'"):
        create_app(config)


# The banner


def worklist_page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_banner_warns_when_no_scheduler_has_reported_recently(logged_in, frozen_clock):
    beat(timedelta(minutes=12))

    page = worklist_page(logged_in)

    assert 'class="banner" role="alert"' in page
    assert "Reminders are not being sent: no scheduler has reported for 12 minutes." in page


def test_banner_warns_when_no_scheduler_ever_reported(logged_in, frozen_clock):
    assert "no scheduler has reported yet" in worklist_page(logged_in)


def test_banner_warns_about_a_reminder_twenty_minutes_late(logged_in, frozen_clock, patient):
    beat()
    add_reminder(patient, late_by=timedelta(minutes=20))

    page = worklist_page(logged_in)

    assert "1 reminder is more than 15 minutes late (oldest: 20 minutes)." in page
    assert "no scheduler" not in page


def test_banner_counts_several_late_reminders(logged_in, frozen_clock, patient):
    beat()
    add_reminder(patient, late_by=timedelta(minutes=20))
    add_reminder(patient, late_by=timedelta(minutes=75), status="retry")

    assert "2 reminders are more than 15 minutes late (oldest: 75 minutes)." in worklist_page(
        logged_in
    )


def test_no_banner_for_a_reminder_only_five_minutes_late(logged_in, frozen_clock, patient):
    beat()
    add_reminder(patient, late_by=timedelta(minutes=5))

    assert 'class="banner"' not in worklist_page(logged_in)


def test_banner_ignores_another_clinics_late_reminders(logged_in, frozen_clock, other_clinic):
    beat()
    add_reminder(PatientFactory(clinic=other_clinic), late_by=timedelta(hours=2))

    assert 'class="banner"' not in worklist_page(logged_in)


def test_no_banner_before_sign_in(client, frozen_clock):
    page = client.get("/login").get_data(as_text=True)

    assert 'class="banner"' not in page


def test_banner_is_computed_once_per_request(logged_in, frozen_clock, monkeypatch, app):
    calls = []
    real = operations.heartbeat_age_seconds

    def counting(now):
        calls.append(now)
        return real(now)

    monkeypatch.setattr(operations, "heartbeat_age_seconds", counting)
    with app.test_request_context("/"):
        from flask import render_template_string
        from flask_login import login_user

        from tracker.models import User

        login_user(db.session.scalar(select(User).where(User.email == "doctor@example.org")))
        template = "{% include '_banner.html' %}{% include '_banner.html' %}"
        rendered = render_template_string(template) + render_template_string(template)

    assert len(calls) == 1
    assert rendered.count('role="alert"') == 4


def test_an_admin_sees_the_outbox_and_settings_links(client, admin, frozen_clock):
    log_in(client, admin.email)

    page = worklist_page(client)

    assert 'href="/admin/outbox"' in page
    assert 'href="/admin/settings"' in page


def test_a_clinician_sees_no_admin_links(logged_in, frozen_clock):
    assert 'href="/admin/outbox"' not in worklist_page(logged_in)


def captured_statements(action) -> list[str]:
    """Run action and return the SQL statements it sent."""
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return statements


def test_the_banner_costs_two_aggregate_queries(app, patient):
    add_reminder(patient, late_by=timedelta(minutes=20))
    clinic_id = patient.clinic_id

    statements = captured_statements(lambda: operations.operations_banner(NOW, clinic_id))

    assert len(statements) == 2
    assert all(re.search(r"\b(max|count)\(", sql, re.IGNORECASE) for sql in statements)


@pytest.mark.postgres_only  # EXPLAIN output is PostgreSQL's
def test_overdue_query_can_use_the_status_next_attempt_index(app, backend, patient):
    add_reminder(patient, late_by=timedelta(minutes=20))
    cutoff = NOW - timedelta(minutes=15)
    query = select(func.count(), func.min(Reminder.next_attempt_at)).where(
        Reminder.status.in_(CLAIMABLE_STATUSES), Reminder.next_attempt_at < cutoff
    )
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as connection:
        # A tiny table is always read whole; forbid that to see which index the plan takes.
        connection.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())

    assert "ix_reminder_status_next_attempt_at" in plan
