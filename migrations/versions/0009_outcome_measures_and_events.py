"""function and global assessment on check-ins and baselines; outcome events

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 19:00:00

Two optional 0-10 answers join the check-in and the treatment baseline, and a table records
the later procedures that end a treatment's story (docs/outcomes-and-reporting.md, What
patients are asked, and outcome events).
"""

import sqlalchemy as sa
from alembic import op

from tracker.models.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("function", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("global_assessment", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_checkin_function_range"), "function BETWEEN 0 AND 10"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_checkin_global_assessment_range"), "global_assessment BETWEEN 0 AND 10"
        )
    with op.batch_alter_table("treatment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline_function", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("baseline_global_assessment", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_treatment_baseline_function_range"), "baseline_function BETWEEN 0 AND 10"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_treatment_baseline_global_assessment_range"),
            "baseline_global_assessment BETWEEN 0 AND 10",
        )
    op.create_table(
        "outcome_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('knee_replacement', 'osteotomy', 'other_injection', 'other_surgery')",
            name=op.f("ck_outcome_event_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_outcome_event_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_outcome_event_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_outcome_event_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["treatment_id"], ["treatment.id"], name=op.f("fk_outcome_event_treatment_id_treatment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_event")),
    )
    op.create_index(
        "ix_outcome_event_clinic_treatment", "outcome_event", ["clinic_id", "treatment_id"]
    )
    op.create_index("ix_outcome_event_patient_id", "outcome_event", ["patient_id"])


def downgrade():
    op.drop_index("ix_outcome_event_patient_id", table_name="outcome_event")
    op.drop_index("ix_outcome_event_clinic_treatment", table_name="outcome_event")
    op.drop_table("outcome_event")
    with op.batch_alter_table("treatment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_treatment_baseline_global_assessment_range"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("ck_treatment_baseline_function_range"), type_="check")
        batch_op.drop_column("baseline_global_assessment")
        batch_op.drop_column("baseline_function")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_checkin_global_assessment_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_checkin_function_range"), type_="check")
        batch_op.drop_column("global_assessment")
        batch_op.drop_column("function")
