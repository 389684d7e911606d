"""abuse controls: rate counters, voided bookings, client address, booking limits

Sign-in pauses move from two columns on staff_user to rate_counter rows (per account
and address), so the columns go. "entered-in-error" joins the booking statuses.

Revision ID: 3dd89a701461
Revises: 9995dc72f830
Create Date: 2026-12-04 18:46:37.595690

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "3dd89a701461"
down_revision = "9995dc72f830"
branch_labels = None
depends_on = None


OLD_STATUSES = "status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')"
NEW_STATUSES = (
    "status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error')"
)
# Frozen copies of the no-double-booking triggers: SQLite's batch mode copies the table,
# which drops its triggers, so they are made again on the new one.
_OVERLAP = """
    SELECT RAISE(ABORT, 'booking_overlap') WHERE EXISTS (
        SELECT 1 FROM booking AS other
        WHERE other.practitioner_id = NEW.practitioner_id
          AND other.id IS NOT NEW.id
          AND other.status IN ('booked', 'arrived', 'fulfilled')
          AND other.start_at < NEW.blocked_until
          AND other.start_at > datetime(NEW.start_at, '-12 hours')
          AND NEW.start_at < other.blocked_until
    );
"""
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER booking_no_overlap_insert BEFORE INSERT ON booking
        WHEN NEW.status IN ('booked', 'arrived', 'fulfilled') BEGIN {_OVERLAP} END""",
    f"""CREATE TRIGGER booking_no_overlap_update BEFORE UPDATE OF
        practitioner_id, start_at, end_at, blocked_until, status ON booking
        WHEN NEW.status IN ('booked', 'arrived', 'fulfilled') BEGIN {_OVERLAP} END""",
)


def _statuses(new: str, length: int, old_length: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in ("booking_no_overlap_insert", "booking_no_overlap_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_booking_status"), type_="check")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=old_length),
            type_=sa.String(length=length),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(op.f("ck_booking_status"), sa.text(new))
    if sqlite:
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)


def upgrade():
    op.create_table(
        "rate_counter",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("resets_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counter")),
    )
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counter_resets_at"), ["resets_at"], unique=False)

    _statuses(NEW_STATUSES, 16, 12)
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_address", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_booking_created", ["created_at"], unique=False)

    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        for name, default in (
            ("bookings_per_address_hour", "10"),
            ("future_bookings_per_patient", "3"),
            ("emails_per_recipient_day", "6"),
        ):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=default)
            )
    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        for name in (
            "bookings_per_address_hour",
            "future_bookings_per_patient",
            "emails_per_recipient_day",
        ):
            batch_op.alter_column(name, server_default=None)

    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked_until", booking.models.base.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        batch_op.drop_column("emails_per_recipient_day")
        batch_op.drop_column("future_bookings_per_patient")
        batch_op.drop_column("bookings_per_address_hour")

    # Voided bookings become cancelled ones, which the older schema knows.
    op.execute("UPDATE booking SET status = 'cancelled' WHERE status = 'entered-in-error'")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_created")
        batch_op.drop_column("client_address")
    _statuses(OLD_STATUSES, 12, 16)

    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counter_resets_at"))
    op.drop_table("rate_counter")
