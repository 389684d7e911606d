"""outbox rows without links: an email is stored as its facts and rendered when sent, so no
pending or failed row holds a patient's manage link

Revision ID: 5b1e0c7d9a42
Revises: 7883122fd3fb
Create Date: 2026-12-04 21:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b1e0c7d9a42"
down_revision = "7883122fd3fb"
branch_labels = None
depends_on = None


def upgrade():
    # Rows already written keep their place in the queue with no facts: a move then says
    # only the new time, a cancellation the plain wording. Their stored bodies, each with a
    # working manage link, go. Nothing refers to outbox_message, so SQLite's batch copy
    # (or its own DROP COLUMN) is safe here.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.drop_column("message")


def downgrade():
    # The bodies cannot be recreated: unsent rows come back empty and are not sent.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=False, server_default=""))
        batch_op.drop_column("facts")
    op.execute(
        "UPDATE outbox_message SET status = 'superseded' "
        "WHERE status IN ('pending', 'sending', 'failed')"
    )
