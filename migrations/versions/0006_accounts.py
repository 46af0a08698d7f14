"""accounts a clinic runs itself: invitations, password resets, two-factor, named API tokens,
patients' email changes, and the language of each member of staff

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from tracker.models.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, never a batch copy: SQLite cannot drop a table other rows refer to
    # while foreign keys are enforced, and user_account and clinic always have such rows.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE user_account ADD COLUMN language VARCHAR(2) NOT NULL DEFAULT 'en' "
            "CONSTRAINT ck_user_account_language_known CHECK (language IN ('en', 'ja'))"
        )
    else:
        op.add_column(
            "user_account",
            sa.Column("language", sa.String(length=2), nullable=False, server_default="en"),
        )
        op.create_check_constraint(
            op.f("ck_user_account_language_known"), "user_account", "language IN ('en', 'ja')"
        )
    op.add_column("user_account", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("user_account", sa.Column("totp_enabled_at", UTCDateTime(), nullable=True))
    op.add_column("user_account", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "clinic",
        sa.Column("require_two_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "api_token", sa.Column("name", sa.String(length=100), nullable=False, server_default="")
    )

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_recovery_code_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"])

    op.create_table(
        "staff_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "language IN ('en', 'ja')", name=op.f("ck_staff_invitation_language_known")
        ),
        sa.CheckConstraint(
            "role IN ('clinician', 'admin')", name=op.f("ck_staff_invitation_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_staff_invitation_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user_account.id"],
            name=op.f("fk_staff_invitation_invited_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitation")),
    )
    op.create_index(op.f("ix_staff_invitation_clinic_id"), "staff_invitation", ["clinic_id"])

    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_password_reset_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_password_reset_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
    )
    op.create_index(op.f("ix_password_reset_clinic_id"), "password_reset", ["clinic_id"])
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"])

    op.create_table(
        "email_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_email_change_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_email_change_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_change")),
    )
    op.create_index(op.f("ix_email_change_clinic_id"), "email_change", ["clinic_id"])
    op.create_index(op.f("ix_email_change_patient_id"), "email_change", ["patient_id"])


def downgrade():
    for table in ("email_change", "password_reset", "staff_invitation", "recovery_code"):
        op.drop_table(table)
    op.drop_column("api_token", "name")
    op.drop_column("clinic", "require_two_factor")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_user_account_language_known"), "user_account", type_="check")
    for column in ("totp_last_step", "totp_enabled_at", "totp_secret", "language"):
        op.drop_column("user_account", column)
