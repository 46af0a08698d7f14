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
    op.add_column("reminder", sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding the table, as a batch operation would,
    # fails on SQLite while flags still refer to its rows.
    op.drop_column("reminder", "claim_token")
