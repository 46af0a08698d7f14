"""The migrations build the schema the models describe, on SQLite and PostgreSQL, and undo it."""

import logging

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from config import TestConfig
from tests.conftest import (
    IN_CI,
    POSTGRES_URL,
    create_postgres_database,
    drop_postgres_database,
)
from tracker import create_app
from tracker.extensions import db

MODEL_TABLES = {table.name for table in db.metadata.sorted_tables}


@pytest.fixture(autouse=True)
def keep_loggers_enabled():
    """migrations/env.py runs logging.config.fileConfig, which disables every existing logger."""
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = {logger.name: (logger.disabled, logger.level) for logger in loggers}
    root_handlers = list(logging.root.handlers)
    root_level = logging.root.level
    yield
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled, level = saved.get(logger.name, (False, logging.NOTSET))
            logger.setLevel(level)
    for handler in logging.root.handlers[:]:
        if handler not in root_handlers:
            logging.root.removeHandler(handler)
    logging.root.setLevel(root_level)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """The URL of a new, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but TEST_DATABASE_URL is unset: migrations must run on PostgreSQL")
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    url = create_postgres_database("tracker_mig")
    yield url
    drop_postgres_database(url)


@pytest.fixture
def migration_app(empty_database_url):
    """An app bound to the empty database, inside an app context; nothing created yet."""
    config = type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def head_revision(app) -> str:
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_database_starts_empty(migration_app):
    assert table_names() == set()


def test_upgrade_creates_every_model_table_and_stamps_head(migration_app):
    flask_migrate.upgrade()

    assert table_names() == MODEL_TABLES
    assert current_revision() == head_revision(migration_app)


def test_models_and_migrations_agree_after_upgrade(migration_app):
    flask_migrate.upgrade()

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)

    assert differences == [], f"models and migrations differ: {differences}"


def test_upgraded_schema_enforces_the_check_constraints(migration_app):
    """The constraints live in the migrated database, not only in create_all's."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    flask_migrate.upgrade()
    insert_clinic = text(
        "INSERT INTO clinic (name, timezone, milestone_weeks, send_hour, window_before_days, "
        "window_after_days, nudge_after_days, early_days, min_improvement, rise_points, "
        "sustain_days, severe_pain, non_responder_days, created_at) VALUES "
        "(:name, 'UTC', '[2, 8, 12, 52]', :send_hour, 3, 14, 3, 14, 2, 2, 7, 7, 84, "
        "CURRENT_TIMESTAMP)"
    )
    with db.engine.begin() as connection:
        connection.execute(insert_clinic, {"name": "Valid", "send_hour": 9})
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(insert_clinic, {"name": "Bad hour", "send_hour": 24})
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(insert_clinic, {"name": "Valid", "send_hour": 9})


def test_downgrade_to_base_removes_every_table(migration_app):
    flask_migrate.upgrade()

    flask_migrate.downgrade(revision="base")

    assert table_names() == set()
    assert current_revision() is None


def test_upgrade_after_downgrade_rebuilds_the_schema(migration_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")

    flask_migrate.upgrade()

    assert table_names() == MODEL_TABLES
    assert current_revision() == head_revision(migration_app)


def test_upgrade_records_the_outcome_existing_rows_show_and_downgrade_keeps_skips_skipped(
    migration_app,
):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from tracker.models import Clinic, Flag, Patient, Reminder

    flask_migrate.upgrade(revision="0002")
    created = datetime(2026, 2, 1, tzinfo=UTC)
    closes = created + timedelta(days=28)
    rows = {
        "planned_after_window": {"status": "skipped", "created_at": closes + timedelta(days=1)},
        "no_email": {
            "status": "skipped",
            "last_error": "No email address on file: follow up by phone.",
        },
        "failed": {"status": "failed", "attempts": 1, "last_error": "550 no such user"},
        "unanswered": {"status": "missed", "attempts": 1, "sent_at": created},
        "missed_failed": {"status": "missed", "attempts": 3, "last_error": "421 later"},
        "never_sent": {"status": "missed"},
        "opted_out": {"status": "missed", "last_error": "The patient opted out of emails."},
        "sent": {"status": "sent", "attempts": 1, "sent_at": created},
    }
    with db.engine.begin() as connection:
        connection.execute(insert(Clinic.__table__).values(id=1, name="Clinic"))
        connection.execute(
            insert(Patient.__table__).values(
                id=1, clinic_id=1, external_id="P-1", name="Hanako", timezone="UTC"
            )
        )
        for reminder_id, values in enumerate(rows.values(), start=1):
            connection.execute(
                insert(Reminder.__table__).values(
                    **{
                        "id": reminder_id,
                        "clinic_id": 1,
                        "patient_id": 1,
                        "kind": "milestone",
                        "due_at": created,
                        "next_attempt_at": created,
                        "window_closes_at": closes,
                        "created_at": created,
                        **values,
                    }
                )
            )
        connection.execute(
            insert(Flag.__table__).values(
                clinic_id=1,
                patient_id=1,
                reminder_id=list(rows).index("missed_failed") + 1,
                kind="missed_milestone",
                evidence={"milestone_weeks": 2, "reminder_status": "skipped"},
            )
        )

    flask_migrate.upgrade()

    with db.engine.connect() as connection:
        outcomes = dict(connection.execute(select(Reminder.id, Reminder.outcome)).all())
        evidence = connection.execute(select(Flag.evidence)).scalar_one()
    assert [outcomes[number] for number in range(1, len(rows) + 1)] == [
        "planned_after_window",
        "no_email",
        "send_failed",
        "unanswered",
        "send_failed",
        "window_closed_unsent",
        "opted_out",
        None,
    ]
    assert evidence == {"milestone_weeks": 2, "outcome": "send_failed"}

    # Planned after its window by the new code: the old code must still see it as such.
    with db.engine.begin() as connection:
        connection.execute(
            Reminder.__table__.update()
            .where(Reminder.id == 1)
            .values(created_at=created, outcome="planned_after_window")
        )
    flask_migrate.downgrade(revision="0002")

    with db.engine.connect() as connection:
        created_at = connection.execute(
            select(Reminder.__table__.c.created_at).where(Reminder.__table__.c.id == 1)
        ).scalar_one()
    assert created_at == closes


def test_session_token_revision_gives_each_existing_user_a_random_token(migration_app):
    from sqlalchemy import text

    flask_migrate.upgrade(revision="0002")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clinic (id, name, timezone, milestone_weeks, send_hour, "
                "window_before_days, window_after_days, nudge_after_days, early_days, "
                "min_improvement, rise_points, sustain_days, severe_pain, non_responder_days, "
                "created_at) VALUES (1, 'Clinic', 'UTC', '[2, 8, 12, 52]', 9, 3, 14, 3, 14, 2, "
                "2, 7, 7, 84, CURRENT_TIMESTAMP)"
            )
        )
        for email in ("one@example.org", "two@example.org"):
            connection.execute(
                text(
                    "INSERT INTO user_account (clinic_id, email, name, password_hash, role, "
                    "active, created_at) VALUES (1, :email, 'Name', 'scrypt:x', 'clinician', "
                    "TRUE, CURRENT_TIMESTAMP)"
                ),
                {"email": email},
            )

    flask_migrate.upgrade(revision="0004")

    with db.engine.connect() as connection:
        tokens = connection.execute(text("SELECT session_token FROM user_account")).scalars().all()
    assert len(tokens) == 2
    assert len(set(tokens)) == 2
    assert all(token and len(token) >= 43 for token in tokens)


# 0009: before the ledger; 0010: a database upgraded when 0010 held only the ledger's indexes.
@pytest.mark.parametrize("before", ["0009", "0010"])
def test_upgrade_gives_patients_treated_before_it_an_outcome_version(migration_app, before):
    from datetime import date

    from sqlalchemy import insert, text

    from tracker.models import Clinic, Patient, Treatment

    flask_migrate.upgrade(revision=before)
    with db.engine.begin() as connection:
        connection.execute(insert(Clinic.__table__).values(id=1, name="Clinic"))
        for patient_id in (1, 2, 3):
            connection.execute(
                insert(Patient.__table__).values(
                    id=patient_id,
                    clinic_id=1,
                    external_id=f"P-{patient_id}",
                    name="Hanako",
                    timezone="UTC",
                )
            )
        for patient_id in (1, 3):
            connection.execute(
                insert(Treatment.__table__).values(
                    clinic_id=1,
                    patient_id=patient_id,
                    treated_on=date(2026, 1, 10),
                    kind="prp",
                    route="intra_articular",
                    site="left knee",
                )
            )

    flask_migrate.upgrade()

    with db.engine.begin() as connection:
        versions = dict(connection.execute(text("SELECT id, outcome_version FROM patient")).all())
        assert versions[2] == 0  # no outcome records
        assert versions[1] > 0 and versions[3] > 0 and versions[1] != versions[3]
        if connection.dialect.name == "postgresql":
            following = connection.execute(
                text("SELECT nextval('patient_outcome_version_seq')")
            ).scalar()
            assert following > max(versions.values())


def test_a_database_whose_0010_held_the_outcome_versions_upgrades_to_the_same_schema(
    migration_app,
):
    """For a while 0010 itself added the outcome versions: such a database, at 0010 with
    them in place, upgrades without error and ends with the models' schema."""
    flask_migrate.upgrade()
    flask_migrate.stamp(revision="0010")
    flask_migrate.upgrade()
    assert current_revision() == head_revision(migration_app)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
