"""The waitlist: patients waiting for a time, and the offers that hold a freed time for them.

An offer that is still open holds the practitioner's time exactly as a booking does:
the database refuses a booking over it, an offer over a booking, and two offers over
each other, with the same `booking_overlap` refusal the overlap guard gives.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.domain.statuses import ACTIVE_STATUSES
from booking.domain.waitlist import ENTRY_STATUSES, OFFER_STATUSES, OFFERED, WAITING
from booking.models.base import Base, UTCDateTime, one_of, quoted, utcnow
from booking.models.booking import MAX_HELD_HOURS, OVERLAP_MESSAGE, Booking
from booking.models.patient import Patient
from booking.models.practitioner import Practitioner
from booking.models.service import Service
from booking.models.user import User

SOURCES = ("online", "phone")


class WaitlistEntry(Base):
    """One patient waiting for a service, with the dates, days and hours that suit them."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint(one_of("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(one_of("source", SOURCES), name="source"),
        CheckConstraint("earliest <= latest", name="dates_in_order"),
        CheckConstraint(
            "(between_from IS NULL AND between_to IS NULL) OR "
            "(between_from >= 0 AND between_from < between_to AND between_to <= 1440)",
            name="between_in_order",
        ),
        Index("ix_waitlist_entry_waiting", "status", "place"),
    )

    __audit_name__ = "waitlist_entry"
    __audited__ = (
        "patient_id",
        "service_id",
        "practitioner_id",
        "earliest",
        "latest",
        "days",
        "parts",
        "between_from",
        "between_to",
        "place",
        "status",
        ("closes", "closes_on"),
        "close_reason",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    # None: anyone who gives the service.
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    earliest: Mapped[date] = mapped_column(Date)
    latest: Mapped[date] = mapped_column(Date)
    # Weekday numbers (0 = Monday) and parts of the day that suit; empty lists mean any.
    days: Mapped[list] = mapped_column(JSON, default=list)
    parts: Mapped[list] = mapped_column(JSON, default=list)
    # Or a time range on the clinic's clock, in minutes after midnight.
    between_from: Mapped[int | None] = mapped_column()
    between_to: Mapped[int | None] = mapped_column()
    # Lower comes first: the order of joining, unless reception moved the entry up.
    place: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=WAITING)
    # The entry leaves the line after this day (its latest date, or the owner's weeks).
    closes_on: Mapped[date] = mapped_column(Date)
    close_reason: Mapped[str] = mapped_column(String(300), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Offers in a row that lapsed unanswered (a claim or a decline sets it back to 0).
    lapses: Mapped[int] = mapped_column(default=0)
    screening: Mapped[dict] = mapped_column(JSON)
    disclaimer_version: Mapped[int] = mapped_column(ForeignKey("disclaimer.version"))
    disclaimer_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disclaimer_acknowledged_by: Mapped[str] = mapped_column(String(10), default="patient")
    source: Mapped[str] = mapped_column(String(10), default="online")
    client_address: Mapped[str | None] = mapped_column(String(64))
    # The private link, as for a booking: its hash, and the salt that re-creates it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The booking the entry ended in.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))

    patient: Mapped[Patient] = relationship()
    service: Mapped[Service] = relationship()
    practitioner: Mapped[Practitioner | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    booking: Mapped[Booking | None] = relationship()


class WaitlistOffer(Base):
    """One freed time offered to one entry, held for it until `expires_at`."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (
        CheckConstraint(one_of("status", OFFER_STATUSES), name="status"),
        CheckConstraint("start_at < end_at AND end_at <= blocked_until", name="time_order"),
        CheckConstraint("offered_at < expires_at", name="expiry_after_offer"),
        Index("ix_waitlist_offer_practitioner_start", "practitioner_id", "start_at"),
        Index("ix_waitlist_offer_entry", "entry_id"),
        # One open offer per entry, and per patient: nobody holds two times at once.
        Index(
            "uq_waitlist_offer_open_entry",
            "entry_id",
            unique=True,
            sqlite_where=text(f"status = '{OFFERED}'"),
            postgresql_where=text(f"status = '{OFFERED}'"),
        ),
        Index(
            "uq_waitlist_offer_open_patient",
            "patient_id",
            unique=True,
            sqlite_where=text(f"status = '{OFFERED}'"),
            postgresql_where=text(f"status = '{OFFERED}'"),
        ),
    )

    __audit_name__ = "waitlist_offer"
    __audited__ = (
        "entry_id",
        "practitioner_id",
        "service_id",
        ("start", "start_at"),
        ("end", "end_at"),
        "status",
        ("expires", "expires_at"),
        "booking_id",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # end_at plus the service's buffer, as for a booking: the span held.
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=OFFERED)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the patient is reminded (None: the hold is too short), and when it was done.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reception's manual offer; None when the freed time was offered by itself.
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # Reception's withdrawal: the time then stays free for the desk for a while.
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))

    entry: Mapped[WaitlistEntry] = relationship()
    practitioner: Mapped[Practitioner] = relationship()
    service: Mapped[Service] = relationship()

    @property
    def open(self) -> bool:
        return self.status == OFFERED


# The guard. SQLite runs one writer at a time, so triggers that check inside the
# writing statement serialise each check with its write, as the booking triggers do.
_ACTIVE_SQL = quoted(ACTIVE_STATUSES)


def _overlapping(table: str, alias: str, statuses: str, *, other_than_new: bool) -> str:
    same_row = f" AND {alias}.id IS NOT NEW.id" if other_than_new else ""
    return f"""
        SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}') WHERE EXISTS (
            SELECT 1 FROM {table} AS {alias}
            WHERE {alias}.practitioner_id = NEW.practitioner_id{same_row}
              AND {alias}.status IN ({statuses})
              AND {alias}.start_at < NEW.blocked_until
              AND {alias}.start_at > datetime(NEW.start_at, '-{MAX_HELD_HOURS} hours')
              AND NEW.start_at < {alias}.blocked_until
        );"""  # noqa: S608 (built from constants only)


_HELD = _overlapping("waitlist_offer", "held", f"'{OFFERED}'", other_than_new=False)
_BOOKED = _overlapping("booking", "booked", _ACTIVE_SQL, other_than_new=False)
_OTHER_HELD = _overlapping("waitlist_offer", "held", f"'{OFFERED}'", other_than_new=True)
_BOOKING_COLUMNS = "practitioner_id, start_at, end_at, blocked_until, status"
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER booking_not_held_insert BEFORE INSERT ON booking
        WHEN NEW.status IN ({_ACTIVE_SQL}) BEGIN {_HELD} END""",
    f"""CREATE TRIGGER booking_not_held_update BEFORE UPDATE OF {_BOOKING_COLUMNS} ON booking
        WHEN NEW.status IN ({_ACTIVE_SQL}) BEGIN {_HELD} END""",
    f"""CREATE TRIGGER waitlist_offer_free_insert BEFORE INSERT ON waitlist_offer
        WHEN NEW.status = '{OFFERED}' BEGIN {_BOOKED} {_OTHER_HELD} END""",
    f"""CREATE TRIGGER waitlist_offer_free_update BEFORE UPDATE OF {_BOOKING_COLUMNS}
        ON waitlist_offer WHEN NEW.status = '{OFFERED}' BEGIN {_BOOKED} {_OTHER_HELD} END""",
)

# PostgreSQL: an exclusion constraint keeps open offers apart, as it keeps bookings
# apart. A booking and an offer live in two tables, so each side's trigger takes a
# transaction lock on the practitioner before looking at the other table: bookings
# share it (their own constraint keeps them apart), an offer takes it alone, so
# whichever commits first is seen by the other's check, which then fails as an overlap.
HOLD_LOCK = 74110
PG_OFFER_EXCLUSION = f"""
    ALTER TABLE waitlist_offer ADD CONSTRAINT waitlist_offer_no_overlap EXCLUDE USING gist (
        practitioner_id WITH =,
        tsrange(start_at, blocked_until, '[)') WITH &&
    ) WHERE (status = '{OFFERED}')
"""
PG_FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION booking_not_held() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock_shared({HOLD_LOCK}, NEW.practitioner_id);
        IF EXISTS (
            SELECT 1 FROM waitlist_offer AS held
            WHERE held.practitioner_id = NEW.practitioner_id
              AND held.status = '{OFFERED}'
              AND tsrange(held.start_at, held.blocked_until, '[)')
                  && tsrange(NEW.start_at, NEW.blocked_until, '[)')
        ) THEN
            RAISE EXCEPTION '{OVERLAP_MESSAGE}' USING ERRCODE = '23P01';
        END IF;
        RETURN NEW;
    END $$""",  # noqa: S608 (built from constants only)
    f"""CREATE OR REPLACE FUNCTION waitlist_offer_free() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({HOLD_LOCK}, NEW.practitioner_id);
        IF EXISTS (
            SELECT 1 FROM booking AS booked
            WHERE booked.practitioner_id = NEW.practitioner_id
              AND booked.status IN ({_ACTIVE_SQL})
              AND tsrange(booked.start_at, booked.blocked_until, '[)')
                  && tsrange(NEW.start_at, NEW.blocked_until, '[)')
        ) THEN
            RAISE EXCEPTION '{OVERLAP_MESSAGE}' USING ERRCODE = '23P01';
        END IF;
        RETURN NEW;
    END $$""",  # noqa: S608 (built from constants only)
)
PG_TRIGGERS = (
    f"""CREATE TRIGGER booking_not_held BEFORE INSERT OR UPDATE OF {_BOOKING_COLUMNS}
        ON booking FOR EACH ROW WHEN (NEW.status IN ({_ACTIVE_SQL}))
        EXECUTE FUNCTION booking_not_held()""",
    f"""CREATE TRIGGER waitlist_offer_free BEFORE INSERT OR UPDATE OF {_BOOKING_COLUMNS}
        ON waitlist_offer FOR EACH ROW WHEN (NEW.status = '{OFFERED}')
        EXECUTE FUNCTION waitlist_offer_free()""",
)
PG_DROP = (
    "DROP TRIGGER IF EXISTS booking_not_held ON booking",
    "DROP FUNCTION IF EXISTS booking_not_held() CASCADE",
    "DROP FUNCTION IF EXISTS waitlist_offer_free() CASCADE",
)

_table = WaitlistOffer.__table__
for _ddl in (PG_OFFER_EXCLUSION, *PG_FUNCTIONS, PG_DROP[0], *PG_TRIGGERS):
    event.listen(_table, "after_create", DDL(_ddl).execute_if(dialect="postgresql"))
for _ddl in PG_DROP:
    event.listen(_table, "before_drop", DDL(_ddl).execute_if(dialect="postgresql"))
for _ddl in SQLITE_TRIGGERS:
    event.listen(_table, "after_create", DDL(_ddl).execute_if(dialect="sqlite"))
event.listen(
    _table,
    "before_drop",
    DDL("DROP TRIGGER IF EXISTS booking_not_held_insert").execute_if(dialect="sqlite"),
)
event.listen(
    _table,
    "before_drop",
    DDL("DROP TRIGGER IF EXISTS booking_not_held_update").execute_if(dialect="sqlite"),
)
