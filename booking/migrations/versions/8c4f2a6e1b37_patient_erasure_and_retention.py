"""patient erasure and retention: when a patient's details were erased, and how many years
after the last booking the clinic keeps them

Revision ID: 8c4f2a6e1b37
Revises: 5b1e0c7d9a42
Create Date: 2026-12-04 22:20:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "8c4f2a6e1b37"
down_revision = "5b1e0c7d9a42"
branch_labels = None
depends_on = None


def upgrade():
    # In place on both engines: a batch copy of patient would drop the table bookings
    # refer to.
    op.add_column(
        "patient", sa.Column("erased_at", booking.models.base.UTCDateTime(), nullable=True)
    )
    op.add_column("clinic_settings", sa.Column("retention_years", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("clinic_settings", "retention_years")
    op.drop_column("patient", "erased_at")
