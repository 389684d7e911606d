"""good faith estimates: self-pay patients' estimates of their course, frozen as issued

The clinic gets a setting (on for a clinic in US dollars) and its NPI and TIN; services
a service code, course plans their diagnosis codes; bookings whether the patient uses
health insurance, patients a date of birth (asked only when an estimate is due); and
each estimate issued is a row with its frozen content.

Revision ID: a7c9e1b3d5f7
Revises: f2a4c6e8b0d1
Create Date: 2026-12-06 21:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "a7c9e1b3d5f7"
down_revision = "f2a4c6e8b0d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "good_faith_estimate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('booked', 'plan_changed', 'sessions_booked', 'merged', 'reception', "
            "'patient')",
            name=op.f("ck_good_faith_estimate_reason"),
        ),
        sa.CheckConstraint(
            "total_cents >= 0", name=op.f("ck_good_faith_estimate_total_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_good_faith_estimate_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["staff_user.id"],
            name=op.f("fk_good_faith_estimate_issued_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_good_faith_estimate")),
        sa.UniqueConstraint("course_id", "version", name=op.f("uq_good_faith_estimate_course_id")),
    )
    op.create_index(
        op.f("ix_good_faith_estimate_course_id"),
        "good_faith_estimate",
        ["course_id"],
        unique=False,
    )
    # Plain ALTER TABLE throughout: a batch copy of booking would drop it while outbox
    # rows refer to it.
    op.add_column("booking", sa.Column("uses_insurance", sa.Boolean(), nullable=True))
    op.add_column(
        "clinic_settings",
        sa.Column("good_faith_estimates", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("npi", sa.String(length=10), nullable=False, server_default=""),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("tin", sa.String(length=10), nullable=False, server_default=""),
    )
    # On for a clinic in US dollars, where the No Surprises Act applies.
    op.execute("UPDATE clinic_settings SET good_faith_estimates = (currency = 'USD')")
    op.add_column(
        "course_plan",
        sa.Column("diagnosis_codes", sa.String(length=60), nullable=False, server_default=""),
    )
    op.add_column("patient", sa.Column("date_of_birth", sa.Date(), nullable=True))
    op.add_column(
        "service",
        sa.Column("service_code", sa.String(length=5), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_column("service", "service_code")
    op.drop_column("patient", "date_of_birth")
    op.drop_column("course_plan", "diagnosis_codes")
    op.drop_column("clinic_settings", "tin")
    op.drop_column("clinic_settings", "npi")
    op.drop_column("clinic_settings", "good_faith_estimates")
    op.drop_column("booking", "uses_insurance")
    op.drop_index(op.f("ix_good_faith_estimate_course_id"), table_name="good_faith_estimate")
    op.drop_table("good_faith_estimate")
