"""Recent bursts: many online bookings from one client address or for one email.

The owner's early warning of a flood (a program, or someone filling the calendar),
with a link to void the lot in one step (`services/void.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func

from booking.domain.statuses import ACTIVE_STATUSES, VOIDED_STATUSES
from booking.extensions import db
from booking.models import Booking, Patient
from booking.models.base import utcnow

WINDOW = timedelta(days=7)
# A real patient books a course one visit at a time; this many at once is worth a look.
BURST_SIZE = 5


@dataclass(frozen=True)
class Burst:
    """Online bookings that share a client address or a patient email."""

    kind: str  # "address" or "email"
    value: str
    bookings: int
    still_held: int
    patients: int
    first_at: datetime
    last_at: datetime


def recent_bursts(now: datetime | None = None, size: int = BURST_SIZE) -> list[Burst]:
    """Bursts made in the last seven days, the biggest first."""
    since = (now or utcnow()) - WINDOW
    found = []
    for kind, column in (
        ("address", Booking.client_address),
        ("email", func.lower(Patient.email)),
    ):
        rows = db.session.execute(
            db.select(
                column,
                func.count(Booking.id),
                func.count(Booking.id).filter(Booking.status.in_(ACTIVE_STATUSES)),
                func.count(func.distinct(Booking.patient_id)),
                func.min(Booking.created_at),
                func.max(Booking.created_at),
            )
            .join(Patient, Booking.patient_id == Patient.id)
            .where(
                Booking.source == "online",
                Booking.created_at >= since,
                Booking.status.not_in(VOIDED_STATUSES),
                column.is_not(None),
                column != "",
            )
            .group_by(column)
            .having(func.count(Booking.id) >= size)
        )
        found += [Burst(kind, *row) for row in rows]
    return sorted(found, key=lambda burst: (-burst.bookings, burst.kind, burst.value))
