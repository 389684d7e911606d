"""signed webhooks: the owner's endpoints, each delivery attempt, webhooks in the outbox

`webhook_endpoint` is an address the owner registered with the events it wants and its
signing secret; `webhook_attempt` one try at delivering to it. A webhook waiting to go
is an outbox row of the new kind `webhook`, about an endpoint (`webhook_endpoint_id`)
and the booking or waitlist entry it tells of, or nothing for a test: the outbox's
`about_one_thing` lets a webhook be about neither, and `webhook_to_endpoint` ties the
kind to the endpoint.

Revision ID: d7f9b1c3e5a8
Revises: c4e6a8b0d2f5
Create Date: 2026-12-08 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "d7f9b1c3e5a8"
down_revision = "c4e6a8b0d2f5"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation', 'clinic_check_in', "
    "'waitlist_joined', 'waitlist_offer', 'waitlist_reminder', 'waitlist_lapsed')"
)
NEW_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation', 'clinic_check_in', "
    "'waitlist_joined', 'waitlist_offer', 'waitlist_reminder', 'waitlist_lapsed', 'webhook')"
)
OLD_ABOUT = "(booking_id IS NULL) <> (waitlist_entry_id IS NULL)"
NEW_ABOUT = (
    "((booking_id IS NULL) <> (waitlist_entry_id IS NULL)) OR "
    "(webhook_endpoint_id IS NOT NULL AND (booking_id IS NULL OR waitlist_entry_id IS NULL))"
)
TO_ENDPOINT = "(kind = 'webhook') = (webhook_endpoint_id IS NOT NULL)"
SQLITE_OLD = (
    (
        f"CONSTRAINT ck_outbox_message_kind CHECK ({OLD_KINDS})",
        f"CONSTRAINT ck_outbox_message_kind CHECK ({NEW_KINDS})",
    ),
    (
        f"CONSTRAINT ck_outbox_message_about_one_thing CHECK ({OLD_ABOUT})",
        f"CONSTRAINT ck_outbox_message_about_one_thing CHECK ({NEW_ABOUT}), "
        f"CONSTRAINT ck_outbox_message_webhook_to_endpoint CHECK ({TO_ENDPOINT})",
    ),
)


def _sqlite_edit(pairs) -> None:
    """Edit outbox_message's definition in place, as c4e6a8b0d2f5 does: SQLite allows it
    for constraints every existing row still meets (none is a webhook)."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    for old, new in pairs:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?)"
            " WHERE type = 'table' AND name = 'outbox_message'",
            (old, new),
        )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade():
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("include_contact_details", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=60), nullable=False),
        sa.Column("previous_secret", sa.String(length=60), nullable=True),
        sa.Column("previous_secret_until", booking.models.base.UTCDateTime(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_webhook_endpoint_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.add_column(
            "outbox_message", sa.Column("webhook_endpoint_id", sa.Integer(), nullable=True)
        )
        op.create_foreign_key(
            op.f("fk_outbox_message_webhook_endpoint_id_webhook_endpoint"),
            "outbox_message",
            "webhook_endpoint",
            ["webhook_endpoint_id"],
            ["id"],
        )
        op.drop_constraint(op.f("ck_outbox_message_kind"), "outbox_message", type_="check")
        op.create_check_constraint(
            op.f("ck_outbox_message_kind"), "outbox_message", sa.text(NEW_KINDS)
        )
        op.drop_constraint(
            op.f("ck_outbox_message_about_one_thing"), "outbox_message", type_="check"
        )
        op.create_check_constraint(
            op.f("ck_outbox_message_about_one_thing"), "outbox_message", sa.text(NEW_ABOUT)
        )
        op.create_check_constraint(
            op.f("ck_outbox_message_webhook_to_endpoint"), "outbox_message", sa.text(TO_ENDPOINT)
        )
    else:
        bind.exec_driver_sql(
            "ALTER TABLE outbox_message ADD COLUMN webhook_endpoint_id INTEGER CONSTRAINT "
            "fk_outbox_message_webhook_endpoint_id_webhook_endpoint REFERENCES "
            "webhook_endpoint (id)"
        )
        _sqlite_edit(SQLITE_OLD)
    op.create_index(
        op.f("ix_outbox_message_webhook_endpoint_id"),
        "outbox_message",
        ["webhook_endpoint_id"],
        unique=False,
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_webhook_attempt_endpoint_id_webhook_endpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_webhook_attempt_message_id_outbox_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(
        op.f("ix_webhook_attempt_endpoint_id"), "webhook_attempt", ["endpoint_id"], unique=False
    )
    op.create_index("ix_webhook_attempt_message", "webhook_attempt", ["message_id", "attempted_at"])


def downgrade():
    bind = op.get_bind()
    op.drop_index("ix_webhook_attempt_message", table_name="webhook_attempt")
    op.drop_index(op.f("ix_webhook_attempt_endpoint_id"), table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    # Webhooks go with their endpoints.
    op.execute("DELETE FROM outbox_message WHERE kind = 'webhook'")
    op.drop_index(op.f("ix_outbox_message_webhook_endpoint_id"), table_name="outbox_message")
    if bind.dialect.name == "postgresql":
        op.drop_constraint(
            op.f("ck_outbox_message_webhook_to_endpoint"), "outbox_message", type_="check"
        )
        op.drop_constraint(
            op.f("ck_outbox_message_about_one_thing"), "outbox_message", type_="check"
        )
        op.create_check_constraint(
            op.f("ck_outbox_message_about_one_thing"), "outbox_message", sa.text(OLD_ABOUT)
        )
        op.drop_constraint(op.f("ck_outbox_message_kind"), "outbox_message", type_="check")
        op.create_check_constraint(
            op.f("ck_outbox_message_kind"), "outbox_message", sa.text(OLD_KINDS)
        )
        op.drop_constraint(
            op.f("fk_outbox_message_webhook_endpoint_id_webhook_endpoint"),
            "outbox_message",
            type_="foreignkey",
        )
        op.drop_column("outbox_message", "webhook_endpoint_id")
    else:
        _sqlite_edit((new, old) for old, new in SQLITE_OLD)
        bind.exec_driver_sql("ALTER TABLE outbox_message DROP COLUMN webhook_endpoint_id")
    op.drop_table("webhook_endpoint")
