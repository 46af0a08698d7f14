"""Database engine settings and helpers for both backends."""

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine


def configure_engine_events(engine: Engine) -> None:
    """Turn on foreign keys and WAL for SQLite connections."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def set_sqlite_pragmas(dbapi_connection, connection_record):
        # SQLite's own lower() folds ASCII only; search must find "Élodie" as "élodie".
        dbapi_connection.create_function("lower", 1, unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL survives a crash of the process; only a power loss may lose
            # the last commits. A commit then costs no fsync, which the outbox needs.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def unicode_lower(value):
    """lower() for SQLite with Unicode case folding, NULL-safe."""
    return value.lower() if isinstance(value, str) else value


def is_postgresql(engine: Engine) -> bool:
    """Tell whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def dialect_insert(engine: Engine, entity):
    """An INSERT with ON CONFLICT clauses, in the dialect of the engine (both speak them)."""
    return (postgresql if is_postgresql(engine) else sqlite).insert(entity)
