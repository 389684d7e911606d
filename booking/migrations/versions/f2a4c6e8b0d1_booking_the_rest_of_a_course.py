"""booking the rest of a course: one confirmation for a series, the owner's cap for it

The outbox learns the `course_confirmation` kind (one email for every session booked in
one go), and the clinic settings the number of upcoming online bookings a patient may
hold when booking the rest of a course.

Revision ID: f2a4c6e8b0d1
Revises: e1f3a5c7b9d2
Create Date: 2026-12-06 00:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f2a4c6e8b0d1"
down_revision = "e1f3a5c7b9d2"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', 'clinic_booking', "
    "'clinic_cancellation')"
)
NEW_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation')"
)


def _kinds(old: str, new: str) -> None:
    """Swap the kind CHECK without copying outbox_message (see 3dd89a701461's statuses).

    On SQLite the CHECK is edited in place, which SQLite allows for a constraint every
    existing row still meets; on PostgreSQL it is dropped and added again.
    """
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?)"
            " WHERE type = 'table' AND name = 'outbox_message'",
            (old, new),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        return
    op.drop_constraint(op.f("ck_outbox_message_kind"), "outbox_message", type_="check")
    op.create_check_constraint(op.f("ck_outbox_message_kind"), "outbox_message", sa.text(new))


def upgrade():
    _kinds(OLD_KINDS, NEW_KINDS)
    op.add_column(
        "clinic_settings",
        sa.Column("course_bookings_per_patient", sa.Integer(), nullable=False, server_default="12"),
    )


def downgrade():
    op.drop_column("clinic_settings", "course_bookings_per_patient")
    # A series confirmation becomes a plain one about its first session.
    op.execute("UPDATE outbox_message SET kind = 'confirmation' WHERE kind = 'course_confirmation'")
    _kinds(NEW_KINDS, OLD_KINDS)
