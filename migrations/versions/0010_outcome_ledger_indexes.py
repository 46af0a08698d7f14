"""indexes the outcome ledger reads its per-patient marks from

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:00:00

The outcome figures are kept per patient and assessed again when a patient's records change
(docs/outcomes-and-reporting.md); finding out which changed reads every patient's check-in
count, treatments and zone. These indexes answer that without touching the tables; the
check-in and treatment indexes start with clinic_id, so they replace those on clinic_id alone.
"""

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
    op.create_index(
        "ix_patient_clinic_zone",
        "patient",
        ["clinic_id", "id", "timezone", "updated_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_patient_clinic_zone", table_name="patient")
    op.create_index("ix_treatment_clinic_id", "treatment", ["clinic_id"], unique=False)
    op.drop_index("ix_treatment_clinic_patient", table_name="treatment")
    op.create_index("ix_checkin_clinic_id", "checkin", ["clinic_id"], unique=False)
    op.drop_index("ix_checkin_clinic_patient", table_name="checkin")
