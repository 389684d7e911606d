"""Voiding bookings that should never have existed (a flood, a test), many at once.

Staff narrow the bookings down (a day of appointments, a patient, the online bookings
from one client address since a date), tick the ones to void and give a reason. Only
bookings still `booked` can be voided: a visit that happened, a no-show or a
cancellation is part of the clinic's record and stays as it is. The chosen ones all
become `entered-in-error` (the FHIR status) in one command: one audit entry, no email
to anyone, their times free at once, and they drop out of reports, calendars and
patient records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlalchemy.orm import joinedload

from booking.domain.clock import range_bounds
from booking.domain.statuses import BOOKED, ENTERED_IN_ERROR
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import Booking, OutboxMessage, Patient, User
from booking.models.base import utcnow
from booking.models.outbox import PENDING, SUPERSEDED
from booking.services import webhooks
from booking.services.clinic import get_settings
from booking.services.commands import command

# One page, one action: a flood larger than this is voided in a few goes.
MAX_AT_ONCE = 1000
MAX_REASON = 300


@dataclass(frozen=True)
class Selection:
    """What narrows the bookings shown: any of these, all of them together."""

    day: date | None = None  # appointments on this clinic day
    patient_id: int | None = None
    address: str | None = None  # online bookings from this client address
    email: str | None = None  # bookings for any patient with this email
    since: date | None = None  # made on or after this clinic day

    @property
    def empty(self) -> bool:
        return not (self.day or self.patient_id or self.address or self.email)


def select(selection: Selection) -> list[Booking]:
    """The still-booked bookings that match, by start time (at most MAX_AT_ONCE + 1)."""
    if selection.empty:
        return []
    zone = get_settings().timezone
    statement = (
        db.select(Booking)
        .where(Booking.status == BOOKED)
        .options(
            joinedload(Booking.patient),
            joinedload(Booking.service),
            joinedload(Booking.practitioner),
        )
        .order_by(Booking.start_at, Booking.id)
        .limit(MAX_AT_ONCE + 1)
    )
    if selection.day:
        start, end = range_bounds(selection.day, selection.day, zone)
        statement = statement.where(Booking.start_at >= start, Booking.start_at < end)
    if selection.patient_id:
        statement = statement.where(Booking.patient_id == selection.patient_id)
    if selection.address:
        statement = statement.where(Booking.client_address == selection.address)
    if selection.email:
        statement = statement.join(Booking.patient).where(
            func.lower(Patient.email) == selection.email.strip().lower()
        )
    if selection.since:
        start, _ = range_bounds(selection.since, selection.since, zone)
        statement = statement.where(Booking.created_at >= start)
    return list(db.session.execute(statement).unique().scalars())


def void_bookings(
    ids: list[int], reason: str, *, actor: User, now: datetime | None = None
) -> list[Booking]:
    """Void these bookings as entered in error: all or none, one audit entry, no email."""
    reason = reason.strip()
    if not reason:
        raise ValidationError.field("reason", "Say why these bookings are being voided.")
    if len(reason) > MAX_REASON:
        raise ValidationError.field("reason", f"Keep the reason under {MAX_REASON} characters.")
    wanted = sorted(set(ids))
    if not wanted:
        raise ValidationError.field("booking", "Tick at least one booking to void.")
    if len(wanted) > MAX_AT_ONCE:
        raise ValidationError.field(
            "booking", f"Void at most {MAX_AT_ONCE:,} bookings at once, then the rest."
        )
    now = now or utcnow()
    with command("booking.void", actor=actor, tracks=None, always=True) as change:
        bookings = list(
            db.session.execute(
                db.select(Booking)
                .where(Booking.id.in_(wanted), Booking.status == BOOKED)
                .order_by(Booking.start_at, Booking.id)
                .with_for_update()
            ).scalars()
        )
        if len(bookings) != len(wanted):
            raise ValidationError.field(
                "booking",
                "Some of those bookings have just changed (voided, cancelled, marked "
                "arrived) or no longer exist. Look at the list again and choose once more.",
            )
        change.before = {"bookings": {b.reference: b.status for b in bookings}}
        for booking in bookings:
            booking.status = ENTERED_IN_ERROR
            booking.cancelled_at = now
            booking.cancel_reason = reason
            booking.sequence += 1
        # Emails still waiting about them (a flood's confirmations) are never sent.
        held = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.booking_id.in_(wanted), OutboxMessage.status == PENDING)
            .values(status=SUPERSEDED)
        ).rowcount
        change.after = {"bookings": {b.reference: ENTERED_IN_ERROR for b in bookings}}
        # Webhooks waiting about them were stopped above; a receiver told already hears.
        change.send(webhooks.bookings_voided, bookings, now=now)
        change.summary = (
            f"{len(bookings)} booking{'s' if len(bookings) != 1 else ''} voided as entered "
            f"in error ({held} unsent email{'s' if held != 1 else ''} stopped): {reason}"
        )[:MAX_REASON]
    return bookings
