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


LIMITS = (
    ("bookings_per_address_hour", "10"),
    ("future_bookings_per_patient", "3"),
    ("emails_per_recipient_day", "6"),
)
OLD_STATUSES = "status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')"
NEW_STATUSES = (
    "status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error')"
)


def _statuses(new: str, length: int, old_length: int) -> None:
    """Swap the status CHECK for one listing `new`, without copying the booking table.

    A batch copy would drop `booking` while outbox messages refer to it. On SQLite the
    CHECK is edited in place instead, as SQLite's documentation allows for a constraint
    that existing rows still satisfy (the new list only adds or removes a status no
    row holds); on PostgreSQL it is dropped and added again.
    """
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        old = OLD_STATUSES if new == NEW_STATUSES else NEW_STATUSES
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(replace(sql, ?, ?), ?, ?)"
            " WHERE type = 'table' AND name = 'booking'",
            (old, new, f"status VARCHAR({old_length})", f"status VARCHAR({length})"),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        return
    op.drop_constraint(op.f("ck_booking_status"), "booking", type_="check")
    op.alter_column(
        "booking",
        "status",
        existing_type=sa.String(length=old_length),
        type_=sa.String(length=length),
        existing_nullable=False,
    )
    op.create_check_constraint(op.f("ck_booking_status"), "booking", sa.text(new))


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
    op.add_column("booking", sa.Column("client_address", sa.String(length=64), nullable=True))
    op.create_index("ix_booking_created", "booking", ["created_at"], unique=False)

    # Plain ALTER TABLE throughout (SQLite has ADD and DROP COLUMN): a batch copy of
    # staff_user would take its sessions with it.
    for name, default in LIMITS:
        op.add_column(
            "clinic_settings",
            sa.Column(name, sa.Integer(), nullable=False, server_default=default),
        )
    op.drop_column("staff_user", "failed_logins")
    op.drop_column("staff_user", "locked_until")


def downgrade():
    op.add_column(
        "staff_user", sa.Column("locked_until", booking.models.base.UTCDateTime(), nullable=True)
    )
    op.add_column(
        "staff_user",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    )
    for name, _ in LIMITS:
        op.drop_column("clinic_settings", name)

    # Voided bookings become cancelled ones, which the older schema knows.
    op.execute("UPDATE booking SET status = 'cancelled' WHERE status = 'entered-in-error'")
    op.drop_index("ix_booking_created", table_name="booking")
    op.drop_column("booking", "client_address")
    _statuses(OLD_STATUSES, 12, 16)

    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counter_resets_at"))
    op.drop_table("rate_counter")
