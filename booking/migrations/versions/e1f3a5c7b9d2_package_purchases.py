"""package purchases: sessions a patient paid for at the desk, drawn as sessions are done

Revision ID: e1f3a5c7b9d2
Revises: c6e8a0b2d4f6
Create Date: 2026-12-05 00:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "e1f3a5c7b9d2"
down_revision = "c6e8a0b2d4f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "package_purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("paid_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "sessions BETWEEN 1 AND 60", name=op.f("ck_package_purchase_sessions_range")
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_package_purchase_amount_positive")),
        sa.CheckConstraint(
            "method IN ('card', 'cash', 'check', 'transfer')",
            name=op.f("ck_package_purchase_method"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_package_purchase_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_user.id"],
            name=op.f("fk_package_purchase_recorded_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_purchase")),
    )
    op.create_index(
        op.f("ix_package_purchase_course_id"), "package_purchase", ["course_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_package_purchase_course_id"), table_name="package_purchase")
    op.drop_table("package_purchase")
