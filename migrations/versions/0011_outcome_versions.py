"""each patient's outcome version, and the index the outcome ledger reads versions from

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 02:00:00

A patient's outcome_version is set above any other of the clinic's in the same transaction as
any change to their outcome records (from a sequence on PostgreSQL), so one index of
(clinic, version, patient, zone) tells the ledger which patients changed
(docs/outcomes-and-reporting.md). It replaces 0010's index of (clinic, patient, zone, time).

For a while revision 0010 itself held these changes; a database upgraded then is at 0010 with
them in place, so each step here is taken only where it is missing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SEQUENCE = "patient_outcome_version_seq"


def patient_indexes() -> set[str]:
    return {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("patient")}


def upgrade():
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("patient")}
    if "ix_patient_clinic_zone" in patient_indexes():
        op.drop_index("ix_patient_clinic_zone", table_name="patient")
    if "outcome_version" not in columns:
        op.add_column(
            "patient",
            sa.Column("outcome_version", sa.BigInteger(), server_default="0", nullable=False),
        )
    if "ix_patient_clinic_outcome" not in patient_indexes():
        op.create_index(
            "ix_patient_clinic_outcome",
            "patient",
            ["clinic_id", "outcome_version", "id", "timezone"],
            unique=False,
        )
    # Patients treated before have outcome records: give those without a version one, so the
    # ledger follows them like any other (their ids are distinct and positive).
    op.execute(
        "UPDATE patient SET outcome_version = id"
        " WHERE outcome_version = 0 AND id IN (SELECT patient_id FROM treatment)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        # Past every version given: the next one is above them all.
        op.execute(
            f"SELECT setval('{SEQUENCE}', greatest((SELECT max(outcome_version) FROM patient), 1))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence(SEQUENCE)))
    op.drop_index("ix_patient_clinic_outcome", table_name="patient")
    op.drop_column("patient", "outcome_version")
    op.create_index(
        "ix_patient_clinic_zone",
        "patient",
        ["clinic_id", "id", "timezone", "updated_at"],
        unique=False,
    )
