"""outbox: emails waiting to go out, and the salt that re-creates a booking's manage link

Revision ID: 2d342cf9f751
Revises: ebaf69a8e1e3
Create Date: 2026-11-21 06:57:06.448614

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base


# revision identifiers, used by Alembic.
revision = "2d342cf9f751"
down_revision = "ebaf69a8e1e3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("booking_sequence", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("claimed_until", booking.models.base.UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("sent_at", booking.models.base.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', 'clinic_booking', 'clinic_cancellation')",
            name=op.f("ck_outbox_message_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'superseded')",
            name=op.f("ck_outbox_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_outbox_message_booking_id_booking")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_message_dedupe_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index("ix_outbox_message_due", ["status", "next_attempt_at"], unique=False)

    # Not in batch mode: on SQLite a batch could copy the booking table and so drop
    # the no-double-booking triggers. Both engines add and drop a column in place.
    op.add_column("booking", sa.Column("manage_token_salt", sa.String(length=32), nullable=True))


def downgrade():
    op.drop_column("booking", "manage_token_salt")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_due")
        batch_op.drop_index(batch_op.f("ix_outbox_message_booking_id"))

    op.drop_table("outbox_message")
