"""The flags answer, each flag written as JSON by the database itself.

A clinic's list is a few hundred flags with their evidence. Building each flag in Python
(reading its timestamps, decoding its evidence, encoding it all again) cost several times the
query; SQLite and PostgreSQL write the same JSON in C. The answer is exactly FlagsOut's (the
tests compare the two on varied flags, on both databases): keys in Flask's sorted order,
timestamps as ISO 8601 UTC to the second with a Z, evidence as it is stored.
"""

from functools import lru_cache

from sqlalchemy import Select, Text, bindparam, cast, func, literal_column, select
from sqlalchemy.engine import Dialect

from tracker.models import Flag
from tracker.services.worklist import KIND_ORDER

# The answer's keys in sorted order, as Flask's JSON provider writes them.
FLAG_KEYS = (
    "acknowledged_at",
    "evidence",
    "id",
    "kind",
    "note",
    "opened_at",
    "owner_id",
    "patient_id",
    "resolution",
    "resolved_at",
    "status",
    "treatment_id",
)
TIMESTAMPS = {"acknowledged_at", "opened_at", "resolved_at"}


def utc_text(column, dialect: Dialect):
    """A UTC timestamp as isoformat_z writes it: 2026-03-01T23:59:58Z (seconds cut, not rounded)."""
    if dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)  # SQLite keeps naive UTC text


@lru_cache(maxsize=64)
def flag_json(dialect: Dialect):
    """One flag as the text of its JSON object, in the dialect's own JSON functions."""
    pairs = []
    for key in FLAG_KEYS:
        column = getattr(Flag, key)
        if key in TIMESTAMPS:
            value = utc_text(column, dialect)
        elif key == "evidence" and dialect.name != "postgresql":
            value = func.json(column)  # SQLite stores text: json() embeds it as JSON
        else:
            value = column
        pairs += [literal_column(f"'{key}'"), value]
    build = func.json_build_object if dialect.name == "postgresql" else func.json_object
    return cast(build(*pairs), Text).label("flag")


@lru_cache(maxsize=64)
def flags_statement(dialect: Dialect, every_status: bool, one_kind: bool, limit: int) -> Select:
    """The clinic's flags of one status (or every status) and kind, in worklist order.

    Built once per shape, so SQLAlchemy reuses its compiled form: only the values vary.
    """
    statement = (
        select(flag_json(dialect))
        .where(Flag.clinic_id == bindparam("clinic_id"))
        .order_by(KIND_ORDER, Flag.opened_at, Flag.id)
        .limit(limit)
    )
    if not every_status:
        statement = statement.where(Flag.status == bindparam("status"))
    if one_kind:
        statement = statement.where(Flag.kind == bindparam("kind"))
    return statement


def flags_answer(connection, clinic_id: int, status: str, kind: str | None, limit: int) -> bytes:
    """The JSON body {"flags": [...]} of the clinic's flags of a status ("all": any) and kind."""
    statement = flags_statement(connection.dialect, status == "all", bool(kind), limit)
    values = {"clinic_id": clinic_id, "status": status, "kind": kind}
    flags = connection.execute(statement, values).scalars().all()
    return b'{"flags":[' + ",".join(flags).encode() + b"]}\n"
