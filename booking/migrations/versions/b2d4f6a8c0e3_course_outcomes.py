"""course outcomes: the answers before each visit, doctors' clearances, course decisions

A `check_in` row per visit holds the pain score (0-10), the PEG where it is due, a
licensed disability index where the owner has one, and the red-flag symptoms reported
as new. `doctor_clearance` records that a doctor has seen a patient about their red
flags, so reception can book them; `course_decision` what the practitioner decided when
progress was reviewed. The outbox learns `clinic_check_in`, the notice to reception of
a new red flag, and the clinic settings whether the NDI and ODI are licensed.

Revision ID: b2d4f6a8c0e3
Revises: a7c9e1b3d5f7
Create Date: 2026-12-06 22:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import booking.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "b2d4f6a8c0e3"
down_revision = "a7c9e1b3d5f7"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation')"
)
NEW_KINDS = (
    "kind IN ('confirmation', 'reschedule', 'cancellation', 'reminder', "
    "'course_confirmation', 'clinic_booking', 'clinic_cancellation', 'clinic_check_in')"
)


def _kinds(old: str, new: str) -> None:
    """Swap the kind CHECK in place, as f2a4c6e8b0d1 does."""
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
    op.create_table(
        "course_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("refer_to", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("planned_sessions", sa.Integer(), nullable=True),
        sa.Column("at_session", sa.Integer(), nullable=False),
        sa.Column("prompted", sa.String(length=10), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'refer' AND refer_to IN ('physiotherapy', 'chiropractic', 'massage', 'gp', 'orthopaedic')) OR (kind <> 'refer' AND refer_to IS NULL)",
            name=op.f("ck_course_decision_refer_to"),
        ),
        sa.CheckConstraint(
            "kind IN ('continue', 'refer', 'discharge')", name=op.f("ck_course_decision_kind")
        ),
        sa.CheckConstraint("at_session >= 0", name=op.f("ck_course_decision_at_session")),
        sa.CheckConstraint(
            "planned_sessions IS NULL OR planned_sessions BETWEEN 1 AND 60",
            name=op.f("ck_course_decision_planned_range"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_course_decision_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_user.id"],
            name=op.f("fk_course_decision_decided_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_decision")),
    )
    with op.batch_alter_table("course_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_decision_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("peg_pain", sa.Integer(), nullable=True),
        sa.Column("peg_enjoyment", sa.Integer(), nullable=True),
        sa.Column("peg_activity", sa.Integer(), nullable=True),
        sa.Column("disability", sa.Integer(), nullable=True),
        sa.Column("disability_measure", sa.String(length=3), nullable=True),
        sa.Column("new_red_flags", sa.JSON(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "disability_measure IS NULL OR disability_measure IN ('ndi', 'odi')",
            name=op.f("ck_check_in_disability_measure"),
        ),
        sa.CheckConstraint(
            "(peg_pain IS NULL AND peg_enjoyment IS NULL AND peg_activity IS NULL) OR (peg_pain IS NOT NULL AND peg_enjoyment IS NOT NULL AND peg_activity IS NOT NULL)",
            name=op.f("ck_check_in_peg_whole"),
        ),
        sa.CheckConstraint(
            "disability IS NULL OR disability BETWEEN 0 AND 100",
            name=op.f("ck_check_in_disability_range"),
        ),
        sa.CheckConstraint(
            "pain IS NULL OR pain BETWEEN 0 AND 10", name=op.f("ck_check_in_pain_scale")
        ),
        sa.CheckConstraint(
            "peg_activity IS NULL OR peg_activity BETWEEN 0 AND 10",
            name=op.f("ck_check_in_peg_activity_scale"),
        ),
        sa.CheckConstraint(
            "peg_enjoyment IS NULL OR peg_enjoyment BETWEEN 0 AND 10",
            name=op.f("ck_check_in_peg_enjoyment_scale"),
        ),
        sa.CheckConstraint(
            "peg_pain IS NULL OR peg_pain BETWEEN 0 AND 10", name=op.f("ck_check_in_peg_pain_scale")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_check_in_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["staff_user.id"], name=op.f("fk_check_in_entered_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_check_in_booking_id")),
    )
    op.create_table(
        "doctor_clearance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("red_flags", sa.JSON(), nullable=False),
        sa.Column("cleared_by", sa.String(length=200), nullable=False),
        sa.Column("cleared_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", booking.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_doctor_clearance_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_doctor_clearance_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_user.id"],
            name=op.f("fk_doctor_clearance_recorded_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_clearance")),
    )
    with op.batch_alter_table("doctor_clearance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doctor_clearance_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doctor_clearance_patient_id"), ["patient_id"], unique=False
        )

    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ndi_licensed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("odi_licensed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _kinds(OLD_KINDS, NEW_KINDS)


def downgrade():
    # A check-in notice cannot be told apart once its kind is gone: it is dropped.
    op.execute("DELETE FROM outbox_message WHERE kind = 'clinic_check_in'")
    _kinds(NEW_KINDS, OLD_KINDS)
    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        batch_op.drop_column("odi_licensed")
        batch_op.drop_column("ndi_licensed")

    with op.batch_alter_table("doctor_clearance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doctor_clearance_patient_id"))
        batch_op.drop_index(batch_op.f("ix_doctor_clearance_booking_id"))

    op.drop_table("doctor_clearance")
    op.drop_table("check_in")
    with op.batch_alter_table("course_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_decision_course_id"))

    op.drop_table("course_decision")
