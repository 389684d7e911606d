"""The clinic's own settings and its versioned GP disclaimer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, utcnow


class ClinicSettings(Base):
    """One row: who the clinic is and its booking rules."""

    __tablename__ = "clinic_settings"
    __audit_name__ = "clinic_settings"
    __audited__ = (
        "name",
        "address",
        "phone",
        "email",
        "timezone",
        "currency",
        "min_notice_minutes",
        "horizon_days",
        "slot_step_minutes",
        "cancellation_notice_hours",
        "price_min_cents",
        "price_max_cents",
        "bookings_per_address_hour",
        "future_bookings_per_patient",
        "course_bookings_per_patient",
        "emails_per_recipient_day",
        "require_two_factor",
        "retention_years",
        "good_faith_estimates",
        "npi",
        "tin",
        "ndi_licensed",
        "odi_licensed",
        "waitlist_hold_minutes",
        "waitlist_weeks",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    min_notice_minutes: Mapped[int] = mapped_column(default=120)
    horizon_days: Mapped[int] = mapped_column(default=60)
    slot_step_minutes: Mapped[int] = mapped_column(default=15)
    cancellation_notice_hours: Mapped[int] = mapped_column(default=24)
    # The owner's allowed range for a session price; prices outside it are refused.
    price_min_cents: Mapped[int] = mapped_column(default=5_000)
    price_max_cents: Mapped[int] = mapped_column(default=15_000)
    # Limits on online booking (never on staff): bookings one client address may make
    # in an hour, future online bookings one email or phone may hold, and emails one
    # address may be sent in a day by patients' own actions.
    bookings_per_address_hour: Mapped[int] = mapped_column(default=10)
    future_bookings_per_patient: Mapped[int] = mapped_column(default=3)
    # ... and how many when they book the rest of their course in one go.
    course_bookings_per_patient: Mapped[int] = mapped_column(default=12)
    emails_per_recipient_day: Mapped[int] = mapped_column(default=6)
    # Every staff account must use two-step sign-in (an authenticator app's codes).
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    # Remove a patient's details this many years after their last booking; None keeps
    # them until the owner erases them (`flask purge-expired` does the removing).
    retention_years: Mapped[int | None] = mapped_column()
    # US clinics give self-pay patients a Good Faith Estimate of their course (No
    # Surprises Act): on for a clinic in dollars, which the owner can change. The
    # clinic's National Provider Identifier and taxpayer number go on each estimate.
    good_faith_estimates: Mapped[bool] = mapped_column(default=True)
    npi: Mapped[str] = mapped_column(String(10), default="")
    tin: Mapped[str] = mapped_column(String(10), default="")
    # The Neck Disability Index and the Oswestry Disability Index are copyrighted: staff
    # record their scores only once the owner confirms the clinic holds a licence.
    ndi_licensed: Mapped[bool] = mapped_column(default=False)
    odi_licensed: Mapped[bool] = mapped_column(default=False)
    # A time offered to the first patient on the waitlist is held for them this long
    # (never past the minimum notice); a place on the waitlist lasts this many weeks.
    waitlist_hold_minutes: Mapped[int] = mapped_column(default=120)
    waitlist_weeks: Mapped[int] = mapped_column(default=8)


class Disclaimer(Base):
    """A version of the GP disclaimer; bookings record the version accepted."""

    __tablename__ = "disclaimer"
    __audit_name__ = "disclaimer"
    __audited__ = ("version", "text")

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduleVersion(Base):
    """One counter, bumped in the same transaction as any change that can move free slots.

    Availability answers are cached per worker process and keyed on it, so every
    worker sees a change at its next request, whichever worker made it.
    """

    __tablename__ = "schedule_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # When it last moved (as its transaction began writing; it commits a moment later),
    # so the published slots can tell a client what changed since a given time.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The single row exists from the moment the table does.
event.listen(
    ScheduleVersion.__table__,
    "after_create",
    DDL("INSERT INTO schedule_version (id, version) VALUES (1, 0)"),
)
