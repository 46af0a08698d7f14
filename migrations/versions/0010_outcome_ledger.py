"""the outcome ledger: each patient's outcome version, and indexes for its marks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:00:00

The outcome figures are kept per patient and assessed again when a patient's records change
(docs/outcomes-and-reporting.md). A patient's outcome_version is set above any other of the
clinic's in the same transaction as any change to those records (from a sequence on
PostgreSQL), so one index of (clinic, version, patient, zone) tells which patients changed; now and then the ledger also checks every patient's check-in
count and treatments, from two covering indexes that start with clinic_id and so replace
those on clinic_id alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_checkin_clinic_patient", "checkin", ["clinic_id", "patient_id", "id"], unique=False
    )
    op.drop_index("ix_checkin_clinic_id", table_name="checkin")
    op.create_index(
        "ix_treatment_clinic_patient",
        "treatment",
        ["clinic_id", "patient_id", "id", "updated_at"],
        unique=False,
    )
    op.drop_index("ix_treatment_clinic_id", table_name="treatment")
    op.add_column(
        "patient",
        sa.Column("outcome_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_patient_clinic_outcome",
        "patient",
        ["clinic_id", "outcome_version", "id", "timezone"],
        unique=False,
    )
    # Patients treated before this revision have outcome records: give them a version, so
    # the ledger follows them like any other (their ids are distinct and positive).
    op.execute(
        "UPDATE patient SET outcome_version = id WHERE id IN (SELECT patient_id FROM treatment)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("patient_outcome_version_seq")))
        op.execute(
            "SELECT setval('patient_outcome_version_seq',"
            " greatest((SELECT max(outcome_version) FROM patient), 1))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("patient_outcome_version_seq")))
    op.drop_index("ix_patient_clinic_outcome", table_name="patient")
    op.drop_column("patient", "outcome_version")
    op.create_index("ix_treatment_clinic_id", "treatment", ["clinic_id"], unique=False)
    op.drop_index("ix_treatment_clinic_patient", table_name="treatment")
    op.create_index("ix_checkin_clinic_id", "checkin", ["clinic_id"], unique=False)
    op.drop_index("ix_checkin_clinic_patient", table_name="checkin")
