"""one check-in per emailed reminder

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 14:55:00

"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ux_checkin_reminder_id", "checkin", ["reminder_id"], unique=True)


def downgrade():
    op.drop_index("ux_checkin_reminder_id", table_name="checkin")
