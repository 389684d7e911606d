"""the waitlist: patients waiting for a time, and offers that hold a freed time for them

`waitlist_entry` is a patient waiting for a service, with the dates, days and hours
that suit them; `waitlist_offer` a freed time offered to one entry and held for it. An
open offer holds the practitioner exactly as a booking does: triggers (SQLite) and an
exclusion constraint with two trigger functions (PostgreSQL) refuse a booking over an
open offer, an offer over a booking, and two open offers over each other.

The outbox learns the waitlist's four emails, which are about an entry rather than a
booking (`booking_id` may now be empty, `waitlist_entry_id` says which entry; exactly
one of the two is set); the clinic settings how long an offer is held and how many
weeks a place on the waitlist lasts.

Revision ID: c4e6a8b0d2f5
Revises: b2d4f6a8c0e3
Create Date: 2026-12-07 02:10:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "c4e6a8b0d2f5"
down_revision = "b2d4f6a8c0e3"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation', 'clinic_check_in')"
)
NEW_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation', 'clinic_check_in', "
    "'waitlist_joined', 'waitlist_offer', 'waitlist_reminder', 'waitlist_lapsed')"
)
ABOUT_ONE_THING = "(booking_id IS NULL) <> (waitlist_entry_id IS NULL)"
SQLITE_OLD = (
    ("booking_id INTEGER NOT NULL,", "booking_id INTEGER,"),
    (
        f"CONSTRAINT ck_outbox_message_kind CHECK ({OLD_KINDS})",
        f"CONSTRAINT ck_outbox_message_kind CHECK ({NEW_KINDS}), "
        f"CONSTRAINT ck_outbox_message_about_one_thing CHECK ({ABOUT_ONE_THING})",
    ),
)

SQLITE_TRIGGERS = (
    "CREATE TRIGGER booking_not_held_insert BEFORE INSERT ON booking WHEN NEW.status IN "
    "('booked', 'arrived', 'fulfilled') BEGIN SELECT RAISE(ABORT, 'booking_overlap') WHERE "
    "EXISTS ( SELECT 1 FROM waitlist_offer AS held WHERE held.practitioner_id = "
    "NEW.practitioner_id AND held.status IN ('offered') AND held.start_at < NEW.blocked_until "
    "AND held.start_at > datetime(NEW.start_at, '-12 hours') AND NEW.start_at < "
    "held.blocked_until ); END",
    "CREATE TRIGGER booking_not_held_update BEFORE UPDATE OF practitioner_id, start_at, end_at, "
    "blocked_until, status ON booking WHEN NEW.status IN ('booked', 'arrived', 'fulfilled') "
    "BEGIN SELECT RAISE(ABORT, 'booking_overlap') WHERE EXISTS ( SELECT 1 FROM waitlist_offer AS "
    "held WHERE held.practitioner_id = NEW.practitioner_id AND held.status IN ('offered') AND "
    "held.start_at < NEW.blocked_until AND held.start_at > datetime(NEW.start_at, '-12 hours') "
    "AND NEW.start_at < held.blocked_until ); END",
    "CREATE TRIGGER waitlist_offer_free_insert BEFORE INSERT ON waitlist_offer WHEN NEW.status = "
    "'offered' BEGIN SELECT RAISE(ABORT, 'booking_overlap') WHERE EXISTS ( SELECT 1 FROM booking "
    "AS booked WHERE booked.practitioner_id = NEW.practitioner_id AND booked.status IN "
    "('booked', 'arrived', 'fulfilled') AND booked.start_at < NEW.blocked_until AND "
    "booked.start_at > datetime(NEW.start_at, '-12 hours') AND NEW.start_at < "
    "booked.blocked_until ); SELECT RAISE(ABORT, 'booking_overlap') WHERE EXISTS ( SELECT 1 FROM "
    "waitlist_offer AS held WHERE held.practitioner_id = NEW.practitioner_id AND held.id IS NOT "
    "NEW.id AND held.status IN ('offered') AND held.start_at < NEW.blocked_until AND "
    "held.start_at > datetime(NEW.start_at, '-12 hours') AND NEW.start_at < held.blocked_until "
    "); END",
    "CREATE TRIGGER waitlist_offer_free_update BEFORE UPDATE OF practitioner_id, start_at, "
    "end_at, blocked_until, status ON waitlist_offer WHEN NEW.status = 'offered' BEGIN SELECT "
    "RAISE(ABORT, 'booking_overlap') WHERE EXISTS ( SELECT 1 FROM booking AS booked WHERE "
    "booked.practitioner_id = NEW.practitioner_id AND booked.status IN ('booked', 'arrived', "
    "'fulfilled') AND booked.start_at < NEW.blocked_until AND booked.start_at > "
    "datetime(NEW.start_at, '-12 hours') AND NEW.start_at < booked.blocked_until ); SELECT "
    "RAISE(ABORT, 'booking_overlap') WHERE EXISTS ( SELECT 1 FROM waitlist_offer AS held WHERE "
    "held.practitioner_id = NEW.practitioner_id AND held.id IS NOT NEW.id AND held.status IN "
    "('offered') AND held.start_at < NEW.blocked_until AND held.start_at > "
    "datetime(NEW.start_at, '-12 hours') AND NEW.start_at < held.blocked_until ); END",
)

PG_OFFER_EXCLUSION = "ALTER TABLE waitlist_offer ADD CONSTRAINT waitlist_offer_no_overlap EXCLUDE USING gist ( practitioner_id WITH =, tsrange(start_at, blocked_until, '[)') WITH && ) WHERE (status = 'offered')"

PG_FUNCTIONS = (
    "CREATE OR REPLACE FUNCTION booking_not_held() RETURNS trigger\n"
    "    LANGUAGE plpgsql AS $$\n"
    "    BEGIN\n"
    "        PERFORM pg_advisory_xact_lock_shared(74110, NEW.practitioner_id);\n"
    "        IF EXISTS (\n"
    "            SELECT 1 FROM waitlist_offer AS held\n"
    "            WHERE held.practitioner_id = NEW.practitioner_id\n"
    "              AND held.status = 'offered'\n"
    "              AND tsrange(held.start_at, held.blocked_until, '[)')\n"
    "                  && tsrange(NEW.start_at, NEW.blocked_until, '[)')\n"
    "        ) THEN\n"
    "            RAISE EXCEPTION 'booking_overlap' USING ERRCODE = '23P01';\n"
    "        END IF;\n"
    "        RETURN NEW;\n"
    "    END $$",
    "CREATE OR REPLACE FUNCTION waitlist_offer_free() RETURNS trigger\n"
    "    LANGUAGE plpgsql AS $$\n"
    "    BEGIN\n"
    "        PERFORM pg_advisory_xact_lock(74110, NEW.practitioner_id);\n"
    "        IF EXISTS (\n"
    "            SELECT 1 FROM booking AS booked\n"
    "            WHERE booked.practitioner_id = NEW.practitioner_id\n"
    "              AND booked.status IN ('booked', 'arrived', 'fulfilled')\n"
    "              AND tsrange(booked.start_at, booked.blocked_until, '[)')\n"
    "                  && tsrange(NEW.start_at, NEW.blocked_until, '[)')\n"
    "        ) THEN\n"
    "            RAISE EXCEPTION 'booking_overlap' USING ERRCODE = '23P01';\n"
    "        END IF;\n"
    "        RETURN NEW;\n"
    "    END $$",
)

PG_TRIGGERS = (
    "CREATE TRIGGER booking_not_held BEFORE INSERT OR UPDATE OF practitioner_id, start_at, "
    "end_at, blocked_until, status ON booking FOR EACH ROW WHEN (NEW.status IN ('booked', "
    "'arrived', 'fulfilled')) EXECUTE FUNCTION booking_not_held()",
    "CREATE TRIGGER waitlist_offer_free BEFORE INSERT OR UPDATE OF practitioner_id, start_at, "
    "end_at, blocked_until, status ON waitlist_offer FOR EACH ROW WHEN (NEW.status = 'offered') "
    "EXECUTE FUNCTION waitlist_offer_free()",
)


def _sqlite_edit(pairs) -> None:
    """Edit outbox_message's definition in place, as f2a4c6e8b0d1 does: SQLite allows it
    for a constraint every existing row still meets (each has a booking, none an entry)."""
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
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("between_from", sa.Integer(), nullable=True),
        sa.Column("between_to", sa.Integer(), nullable=True),
        sa.Column("place", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("close_reason", sa.String(length=300), nullable=False),
        sa.Column("closed_at", booking.models.base.UTCDateTime(), nullable=True),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("screening", sa.JSON(), nullable=False),
        sa.Column("disclaimer_version", sa.Integer(), nullable=False),
        sa.Column("disclaimer_accepted_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("disclaimer_acknowledged_by", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_salt", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'booked', 'left', 'removed', 'expired')",
            name=op.f("ck_waitlist_entry_status"),
        ),
        sa.CheckConstraint("source IN ('online', 'phone')", name=op.f("ck_waitlist_entry_source")),
        sa.CheckConstraint("earliest <= latest", name=op.f("ck_waitlist_entry_dates_in_order")),
        sa.CheckConstraint(
            "(between_from IS NULL AND between_to IS NULL) OR "
            "(between_from >= 0 AND between_from < between_to AND between_to <= 1440)",
            name=op.f("ck_waitlist_entry_between_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_waitlist_entry_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_waitlist_entry_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["disclaimer_version"],
            ["disclaimer.version"],
            name=op.f("fk_waitlist_entry_disclaimer_version_disclaimer"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_waitlist_entry_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
            name=op.f("fk_waitlist_entry_practitioner_id_practitioner"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_waitlist_entry_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_waitlist_entry_token_hash")),
    )
    op.create_index(
        op.f("ix_waitlist_entry_patient_id"), "waitlist_entry", ["patient_id"], unique=False
    )
    op.create_index("ix_waitlist_entry_waiting", "waitlist_entry", ["status", "place"])

    op.create_table(
        "waitlist_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("start_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("end_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("blocked_until", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offered_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.Column("remind_at", booking.models.base.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", booking.models.base.UTCDateTime(), nullable=True),
        sa.Column("closed_at", booking.models.base.UTCDateTime(), nullable=True),
        sa.Column("offered_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('offered', 'claimed', 'declined', 'lapsed', 'withdrawn')",
            name=op.f("ck_waitlist_offer_status"),
        ),
        sa.CheckConstraint(
            "start_at < end_at AND end_at <= blocked_until",
            name=op.f("ck_waitlist_offer_time_order"),
        ),
        sa.CheckConstraint(
            "offered_at < expires_at", name=op.f("ck_waitlist_offer_expiry_after_offer")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_waitlist_offer_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entry.id"],
            name=op.f("fk_waitlist_offer_entry_id_waitlist_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["offered_by_id"],
            ["staff_user.id"],
            name=op.f("fk_waitlist_offer_offered_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["staff_user.id"],
            name=op.f("fk_waitlist_offer_closed_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_waitlist_offer_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
            name=op.f("fk_waitlist_offer_practitioner_id_practitioner"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_waitlist_offer_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer")),
    )
    op.create_index("ix_waitlist_offer_entry", "waitlist_offer", ["entry_id"])
    op.create_index(
        "ix_waitlist_offer_practitioner_start", "waitlist_offer", ["practitioner_id", "start_at"]
    )
    for name, column in (
        ("uq_waitlist_offer_open_entry", "entry_id"),
        ("uq_waitlist_offer_open_patient", "patient_id"),
    ):
        op.create_index(
            name,
            "waitlist_offer",
            [column],
            unique=True,
            sqlite_where=sa.text("status = 'offered'"),
            postgresql_where=sa.text("status = 'offered'"),
        )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_OFFER_EXCLUSION)
        for ddl in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(ddl)
        op.alter_column("outbox_message", "booking_id", existing_type=sa.Integer(), nullable=True)
        op.add_column("outbox_message", sa.Column("waitlist_entry_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_outbox_message_waitlist_entry_id_waitlist_entry"),
            "outbox_message",
            "waitlist_entry",
            ["waitlist_entry_id"],
            ["id"],
        )
        op.drop_constraint(op.f("ck_outbox_message_kind"), "outbox_message", type_="check")
        op.create_check_constraint(
            op.f("ck_outbox_message_kind"), "outbox_message", sa.text(NEW_KINDS)
        )
        op.create_check_constraint(
            op.f("ck_outbox_message_about_one_thing"), "outbox_message", sa.text(ABOUT_ONE_THING)
        )
    else:
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)
        bind.exec_driver_sql(
            "ALTER TABLE outbox_message ADD COLUMN waitlist_entry_id INTEGER CONSTRAINT "
            "fk_outbox_message_waitlist_entry_id_waitlist_entry REFERENCES waitlist_entry (id)"
        )
        _sqlite_edit(SQLITE_OLD)
    op.create_index(
        op.f("ix_outbox_message_waitlist_entry_id"),
        "outbox_message",
        ["waitlist_entry_id"],
        unique=False,
    )
    op.add_column(
        "clinic_settings",
        sa.Column("waitlist_hold_minutes", sa.Integer(), nullable=False, server_default="120"),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("waitlist_weeks", sa.Integer(), nullable=False, server_default="8"),
    )


def downgrade():
    bind = op.get_bind()
    # Emails about entries go with the entries.
    op.execute("DELETE FROM outbox_message WHERE waitlist_entry_id IS NOT NULL")
    with op.batch_alter_table("clinic_settings") as batch_op:
        batch_op.drop_column("waitlist_weeks")
        batch_op.drop_column("waitlist_hold_minutes")
    op.drop_index(op.f("ix_outbox_message_waitlist_entry_id"), table_name="outbox_message")
    if bind.dialect.name == "postgresql":
        op.drop_constraint(
            op.f("ck_outbox_message_about_one_thing"), "outbox_message", type_="check"
        )
        op.drop_constraint(op.f("ck_outbox_message_kind"), "outbox_message", type_="check")
        op.create_check_constraint(
            op.f("ck_outbox_message_kind"), "outbox_message", sa.text(OLD_KINDS)
        )
        op.drop_constraint(
            op.f("fk_outbox_message_waitlist_entry_id_waitlist_entry"),
            "outbox_message",
            type_="foreignkey",
        )
        op.drop_column("outbox_message", "waitlist_entry_id")
        op.alter_column("outbox_message", "booking_id", existing_type=sa.Integer(), nullable=False)
        op.execute("DROP TRIGGER IF EXISTS booking_not_held ON booking")
        op.execute("DROP FUNCTION IF EXISTS booking_not_held() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS waitlist_offer_free() CASCADE")
    else:
        _sqlite_edit((new, old) for old, new in SQLITE_OLD)
        bind.exec_driver_sql("ALTER TABLE outbox_message DROP COLUMN waitlist_entry_id")
        op.execute("DROP TRIGGER IF EXISTS booking_not_held_insert")
        op.execute("DROP TRIGGER IF EXISTS booking_not_held_update")
    op.drop_table("waitlist_offer")
    op.drop_index("ix_waitlist_entry_waiting", table_name="waitlist_entry")
    op.drop_index(op.f("ix_waitlist_entry_patient_id"), table_name="waitlist_entry")
    op.drop_table("waitlist_entry")
