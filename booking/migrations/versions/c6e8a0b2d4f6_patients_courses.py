"""patients' courses: a course per patient and condition, its bookings pointing at it, and
the sessions the practitioner plans

Revision ID: c6e8a0b2d4f6
Revises: a3d5e7f9b2c4
Create Date: 2026-12-04 23:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "c6e8a0b2d4f6"
down_revision = "a3d5e7f9b2c4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=10), nullable=False),
        sa.Column("opened_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("planned_sessions", sa.Integer(), nullable=True),
        sa.CheckConstraint("condition IN ('neck', 'back')", name=op.f("ck_course_condition")),
        sa.CheckConstraint(
            "planned_sessions IS NULL OR planned_sessions BETWEEN 1 AND 60",
            name=op.f("ck_course_planned_range"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_course_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    op.create_index("ix_course_patient_condition", "course", ["patient_id", "condition"])
    # In place (ADD COLUMN on both engines): a batch copy of booking would lose the tables
    # and triggers that refer to it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE booking ADD COLUMN course_id INTEGER "
            "CONSTRAINT fk_booking_course_id_course REFERENCES course (id)"
        )
    else:
        op.add_column("booking", sa.Column("course_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_booking_course_id_course"), "booking", "course", ["course_id"], ["id"]
        )
    op.create_index(op.f("ix_booking_course_id"), "booking", ["course_id"])
    # Every patient who has booked for a condition has had a course of it since their
    # first booking for it; their bookings of that condition belong to it.
    op.execute(
        """
        INSERT INTO course (patient_id, condition, opened_at)
        SELECT booking.patient_id, service.condition, MIN(booking.created_at)
        FROM booking JOIN service ON service.id = booking.service_id
        GROUP BY booking.patient_id, service.condition
        """
    )
    op.execute(
        """
        UPDATE booking SET course_id = (
            SELECT course.id FROM course JOIN service ON service.condition = course.condition
            WHERE course.patient_id = booking.patient_id AND service.id = booking.service_id
        )
        """
    )


def downgrade():
    op.drop_index(op.f("ix_booking_course_id"), table_name="booking")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_booking_course_id_course"), "booking", type_="foreignkey")
    op.drop_column("booking", "course_id")
    op.drop_index("ix_course_patient_condition", table_name="course")
    op.drop_table("course")
