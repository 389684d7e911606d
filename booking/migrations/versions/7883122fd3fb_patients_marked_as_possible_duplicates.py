"""patients marked as possible duplicates: made online for an email on file under other
details, for reception to merge or tell apart

Revision ID: 7883122fd3fb
Revises: 626fcdc5808a
Create Date: 2026-12-04 20:28:30.167680

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "7883122fd3fb"
down_revision = "626fcdc5808a"
branch_labels = None
depends_on = None


def upgrade():
    # In place on both engines: a batch copy of patient would drop the table bookings
    # refer to.
    op.add_column(
        "patient",
        sa.Column("possible_duplicate", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("patient", "possible_duplicate")
