"""record access and who made each change: each staff look at a patient's record, and
whether a change was staff's, the patient's own online, or the server's

Revision ID: 626fcdc5808a
Revises: be4ffcda14cf
Create Date: 2026-12-04 20:03:04.820132

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "626fcdc5808a"
down_revision = "be4ffcda14cf"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "record_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=10), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "what IN ('record', 'booking', 'export')", name=op.f("ck_record_access_what")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_record_access_booking_id_booking"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_record_access_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_record_access_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_access")),
    )
    with op.batch_alter_table("record_access", schema=None) as batch_op:
        batch_op.create_index("ix_record_access_patient_at", ["patient_id", "at"], unique=False)

    # audit_entry is referred to by no other table, so SQLite's batch copy is safe here.
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor_kind", sa.String(length=10), nullable=False, server_default="staff")
        )
        batch_op.create_check_constraint(
            op.f("ck_audit_entry_actor_kind"), "actor_kind IN ('staff', 'patient', 'system')"
        )
    # Entries without a staff member so far were made from the server's command line.
    op.execute("UPDATE audit_entry SET actor_kind = 'system' WHERE user_id IS NULL")


def downgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entry_actor_kind"), type_="check")
        batch_op.drop_column("actor_kind")

    with op.batch_alter_table("record_access", schema=None) as batch_op:
        batch_op.drop_index("ix_record_access_patient_at")

    op.drop_table("record_access")
