"""phones: the patient's phone, the clinic's phone, contact email and country

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN (SQLite 3.35+ has both): a batch copy of clinic would have to drop
    # the table every patient row refers to.
    op.add_column("clinic", sa.Column("country", sa.String(length=2), nullable=True))
    op.add_column("clinic", sa.Column("phone", sa.String(length=16), nullable=True))
    op.add_column("clinic", sa.Column("contact_email", sa.String(length=254), nullable=True))
    op.add_column("patient", sa.Column("phone", sa.String(length=16), nullable=True))


def downgrade():
    op.drop_column("patient", "phone")
    op.drop_column("clinic", "contact_email")
    op.drop_column("clinic", "phone")
    op.drop_column("clinic", "country")
