"""two-factor sign-in: TOTP secrets, recovery codes, the owner's requirement

Revision ID: be4ffcda14cf
Revises: 3dd89a701461
Create Date: 2026-12-04 18:35:24.412548

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "be4ffcda14cf"
down_revision = "3dd89a701461"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", booking.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_recovery_code_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    # Not in batch mode: on SQLite a batch would copy staff_user, and dropping the old
    # copy (foreign keys on) would take every session with it or be refused by the
    # audit log's references. Both engines add and drop a column in place. The
    # server defaults fill the rows that already exist.
    op.add_column(
        "clinic_settings",
        sa.Column("require_two_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("staff_user", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column(
        "staff_user",
        sa.Column("two_factor_enabled_at", booking.models.base.UTCDateTime(), nullable=True),
    )
    op.add_column("staff_user", sa.Column("two_factor_last_step", sa.BigInteger(), nullable=True))


def downgrade():
    op.drop_column("staff_user", "two_factor_last_step")
    op.drop_column("staff_user", "two_factor_enabled_at")
    op.drop_column("staff_user", "totp_secret")
    op.drop_column("clinic_settings", "require_two_factor")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))

    op.drop_table("recovery_code")
