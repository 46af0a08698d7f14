"""a claim token on each reminder a dispatch pass holds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reminder") as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("reminder") as batch_op:
        batch_op.drop_column("claim_token")
