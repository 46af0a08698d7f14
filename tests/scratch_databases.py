"""Empty PostgreSQL databases made for one test session or benchmark run, then dropped."""

import tempfile
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import psycopg_url


def create_database(server_url: str, prefix: str) -> str:
    """Create an empty database on the server of server_url; return its URL."""
    server = make_url(psycopg_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by create_database, even with connections still open."""
    engine = create_engine(make_url(psycopg_url(server_url)), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def on_each_backend(backend: str, pg_url: str, prefix: str, run) -> list:
    """Run run(name, url) on SQLite in a temporary file and on a scratch PostgreSQL database.

    backend is "sqlite", "postgresql" or "both"; PostgreSQL needs pg_url (the server). Return
    the runs' results, one list after the other.
    """
    results = []
    if backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            results += run("sqlite", f"sqlite:///{folder}/bench.db")
    if backend in ("postgresql", "both"):
        if not pg_url:
            print("PostgreSQL skipped: give --pg-url or TEST_DATABASE_URL.")
        else:
            url = create_database(pg_url, prefix)
            try:
                results += run("postgresql", url)
            finally:
                drop_database(pg_url, url)
    return results
