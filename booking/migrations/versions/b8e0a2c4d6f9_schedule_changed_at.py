"""schedule changed at: when the schedule counter last moved

The SMART Scheduling Links files (`/fhir`) answer `_since` from it: when nothing that
can move a slot has changed since the time a client names, only what time itself
changed is sent again. Empty until the next change, which is read as "changed".

Revision ID: b8e0a2c4d6f9
Revises: d7f9b1c3e5a8
Create Date: 2026-12-08 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "b8e0a2c4d6f9"
down_revision = "d7f9b1c3e5a8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("schedule_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("changed_at", booking.models.base.UTCDateTime(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("schedule_version", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
