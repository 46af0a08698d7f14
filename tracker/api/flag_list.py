"""The flags answer, each flag written as JSON by the database itself.

A clinic's list is a few hundred flags with their evidence. Building each flag in Python
(reading its timestamps, decoding its evidence, encoding it all again) cost several times the
query; SQLite and PostgreSQL write the same JSON in C. The answer is exactly FlagsOut's (the
tests compare the two on varied flags, on both databases): keys in Flask's sorted order,
timestamps as ISO 8601 UTC to the second with a Z, evidence as it is stored.
"""

from functools import lru_cache

from marshmallow import fields
from sqlalchemy import Select, Text, bindparam, cast, func, literal_column, select
from sqlalchemy.engine import Dialect

from tracker.api.answers import UTCDateTime
from tracker.api.schemas import FlagOut
from tracker.models import Flag
from tracker.services.worklist import KIND_ORDER

# FlagOut's fields, in the sorted order Flask's JSON provider writes keys: the one
# definition of a flag's answer (and of the OpenAPI document) decides what the database writes.
FLAG_FIELDS = sorted(
    [
        (field.data_key or name, field.attribute or name, field)
        for name, field in FlagOut().dump_fields.items()
    ],
    key=lambda entry: entry[0],
)


def utc_text(column, dialect: Dialect):
    """A UTC timestamp as isoformat_z writes it: 2026-03-01T23:59:58Z (seconds cut, not rounded)."""
    if dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)  # SQLite keeps naive UTC text


@lru_cache(maxsize=64)
def flag_json(dialect: Dialect):
    """One flag as the text of its JSON object, in the dialect's own JSON functions."""
    pairs = []
    for key, attribute, field in FLAG_FIELDS:
        column = getattr(Flag, attribute)
        if isinstance(field, UTCDateTime):
            value = utc_text(column, dialect)
        elif isinstance(field, fields.Dict) and dialect.name != "postgresql":
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
