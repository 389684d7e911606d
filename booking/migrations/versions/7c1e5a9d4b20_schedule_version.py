"""schedule version: the counter that keeps cached availability answers fresh

Revision ID: 7c1e5a9d4b20
Revises: 2d342cf9f751
Create Date: 2026-11-21 07:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d4b20"
down_revision = "2d342cf9f751"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "schedule_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade():
    op.drop_table("schedule_version")
