"""Appointments, and the database rule that no practitioner is ever double-booked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.domain.estimates import Estimate, Prices, course_estimate
from booking.domain.statuses import (  # noqa: F401  (re-exported for the app)
    ACTIVE_STATUSES,
    ARRIVED,
    BOOKED,
    CANCELLED,
    ENTERED_IN_ERROR,
    FULFILLED,
    NOSHOW,
    STATUSES,
    VOIDED_STATUSES,
)
from booking.models.base import Base, UTCDateTime, one_of, quoted, utcnow
from booking.models.course import Course
from booking.models.patient import Patient
from booking.models.practitioner import Practitioner
from booking.models.service import Service
from booking.models.user import User

SOURCES = ("online", "phone", "walk-in")
# How staff pages name each status.
STATUS_LABELS = {
    BOOKED: "Booked",
    ARRIVED: "Arrived",
    FULFILLED: "Done",
    CANCELLED: "Cancelled",
    NOSHOW: "No-show",
    ENTERED_IN_ERROR: "Voided",
}

# The buttons that set each status on a booking's staff page.
STATUS_ACTIONS = {
    ARRIVED: "Mark arrived",
    FULFILLED: "Mark done",
    NOSHOW: "Mark no-show",
    BOOKED: "Back to booked",
}

OVERLAP_MESSAGE = "booking_overlap"
# No booking holds a practitioner longer than this; it lets the overlap check use the
# (practitioner_id, start_at) index instead of scanning a practitioner's whole history.
MAX_HELD_HOURS = 12


class Booking(Base):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("start_at < end_at AND end_at <= blocked_until", name="time_order"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(one_of("source", SOURCES), name="source"),
        Index("ix_booking_practitioner_start", "practitioner_id", "start_at"),
        Index("ix_booking_start", "start_at"),
        Index("ix_booking_created", "created_at"),
    )

    __audit_name__ = "booking"
    __audited__ = (
        "reference",
        "practitioner_id",
        "service_id",
        "patient_id",
        ("start", "start_at"),
        ("end", "end_at"),
        "status",
        "note",
        "cancel_reason",
        "uses_insurance",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # end_at plus the service's buffer: the span the practitioner is held for.
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=BOOKED)
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    disclaimer_version: Mapped[int] = mapped_column(ForeignKey("disclaimer.version"))
    disclaimer_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "patient" when ticked online, "reception" when read out to the patient by staff.
    disclaimer_acknowledged_by: Mapped[str] = mapped_column(String(10), default="patient")
    screening: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(10), default="online")
    # Asked where the clinic gives Good Faith Estimates: True for a patient using health
    # insurance for the course, False for self-pay, None when not asked.
    uses_insurance: Mapped[bool | None] = mapped_column()
    # The client address an online booking came from, for finding and voiding a flood.
    client_address: Mapped[str | None] = mapped_column(String(64))
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # With the app secret, this re-creates the manage token for later emails
    # (booking.services.tokens); empty for bookings made before emails existed.
    manage_token_salt: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change so calendar apps replace the event they hold.
    sequence: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The patient's course this session belongs to (none for a follow-up booked before
    # any course was opened).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def course_estimate(self) -> Estimate:
        """The course estimate as this patient sees it: this visit at the price booked,
        the other sessions at today's prices."""
        plan = self.service.plan
        prices = plan.prices(fallback=self.service)
        if self.service.kind == "initial":
            prices = Prices(self.price_cents, prices.follow_up_cents)
        else:
            prices = Prices(prices.first_cents, self.price_cents)
        return course_estimate(prices, self.currency, plan.sessions, package=plan.package)

    practitioner: Mapped[Practitioner] = relationship()
    service: Mapped[Service] = relationship()
    patient: Mapped[Patient] = relationship()
    created_by: Mapped[User | None] = relationship()
    course: Mapped[Course | None] = relationship()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def format_reference(reference: str) -> str:
    """ABCD-EFGH: the reference as patients and staff read it."""
    return f"{reference[:4]}-{reference[4:]}"


_ACTIVE_SQL = quoted(ACTIVE_STATUSES)
_OVERLAP_SQL = f"""
    SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}') WHERE EXISTS (
        SELECT 1 FROM booking AS other
        WHERE other.practitioner_id = NEW.practitioner_id
          AND other.id IS NOT NEW.id
          AND other.status IN ({_ACTIVE_SQL})
          AND other.start_at < NEW.blocked_until
          AND other.start_at > datetime(NEW.start_at, '-{MAX_HELD_HOURS} hours')
          AND NEW.start_at < other.blocked_until
    );
"""  # noqa: S608 (built from constants only)

# PostgreSQL: an exclusion constraint, so the losing transaction fails with 23P01.
PG_EXTENSION = "CREATE EXTENSION IF NOT EXISTS btree_gist"
PG_EXCLUSION = f"""
    ALTER TABLE booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (
        practitioner_id WITH =,
        tsrange(start_at, blocked_until, '[)') WITH &&
    ) WHERE (status IN ({_ACTIVE_SQL}))
"""
event.listen(Booking.__table__, "before_create", DDL(PG_EXTENSION).execute_if(dialect="postgresql"))
event.listen(Booking.__table__, "after_create", DDL(PG_EXCLUSION).execute_if(dialect="postgresql"))

# SQLite runs one writer at a time, so a trigger that checks inside the writing
# statement serialises the check with the insert: the same guarantee PostgreSQL's
# exclusion constraint gives. Both triggers fire only for bookings that hold time.
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER booking_no_overlap_insert BEFORE INSERT ON booking
        WHEN NEW.status IN ({_ACTIVE_SQL}) BEGIN {_OVERLAP_SQL} END""",
    f"""CREATE TRIGGER booking_no_overlap_update BEFORE UPDATE OF
        practitioner_id, start_at, end_at, blocked_until, status ON booking
        WHEN NEW.status IN ({_ACTIVE_SQL}) BEGIN {_OVERLAP_SQL} END""",
)
for _ddl in SQLITE_TRIGGERS:
    event.listen(Booking.__table__, "after_create", DDL(_ddl).execute_if(dialect="sqlite"))
