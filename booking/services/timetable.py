"""Load what the staff calendar shows: practitioners' days, time off and bookings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import joinedload

from booking.domain.availability import Interval
from booking.domain.clock import range_bounds, week_days
from booking.domain.timetable import Block, Column, Grid, build_grid
from booking.domain.waitlist import OFFERED
from booking.extensions import db
from booking.models import Booking, Practitioner, TimeOff, WaitlistOffer
from booking.models.base import utcnow
from booking.models.booking import CANCELLED, VOIDED_STATUSES
from booking.services.clinic import get_settings


def active_practitioners() -> list[Practitioner]:
    return list(
        db.session.execute(
            db.select(Practitioner)
            .where(Practitioner.active.is_(True))
            .options(joinedload(Practitioner.hours))
            .order_by(Practitioner.name)
        )
        .unique()
        .scalars()
    )


def block_for(booking: Booking) -> Block:
    patient = booking.patient
    return Block(
        id=booking.id,
        start=booking.start_at,
        end=booking.end_at,
        status=booking.status,
        title=patient.name,
        detail=booking.service.name,
        held_until=booking.blocked_until,
    )


HELD = "held"


def block_for_offer(offer: WaitlistOffer) -> Block:
    """A time held for a waitlist patient: shown like a booking, linked to the entry."""
    return Block(
        id=offer.entry_id,
        start=offer.start_at,
        end=offer.end_at,
        status=HELD,
        title=offer.entry.patient.name,
        detail=f"Waitlist offer, {offer.service.name}",
        held_until=offer.blocked_until,
    )


def _columns(practitioners: list[Practitioner], days: list[date]) -> tuple[list[Column], list]:
    settings = get_settings()
    start, end = range_bounds(days[0], days[-1], settings.timezone)
    ids = [p.id for p in practitioners]
    bookings = list(
        db.session.execute(
            db.select(Booking)
            .where(
                Booking.practitioner_id.in_(ids),
                Booking.start_at < end,
                Booking.end_at > start,
            )
            .options(joinedload(Booking.patient), joinedload(Booking.service))
            .order_by(Booking.start_at)
        ).scalars()
    )
    off = list(
        db.session.execute(
            db.select(TimeOff).where(
                TimeOff.practitioner_id.in_(ids), TimeOff.start_at < end, TimeOff.end_at > start
            )
        ).scalars()
    )
    zone = ZoneInfo(settings.timezone)
    by_cell: dict[tuple[int, date], list[Block]] = defaultdict(list)
    cancelled = []
    for booking in bookings:
        if booking.status in VOIDED_STATUSES:
            continue
        if booking.status == CANCELLED:
            cancelled.append(booking)
            continue
        key = (booking.practitioner_id, booking.start_at.astimezone(zone).date())
        by_cell[key].append(block_for(booking))
    held = db.session.execute(
        db.select(WaitlistOffer)
        .where(
            WaitlistOffer.practitioner_id.in_(ids),
            WaitlistOffer.status == OFFERED,
            WaitlistOffer.start_at < end,
            WaitlistOffer.end_at > start,
        )
        .options(joinedload(WaitlistOffer.entry))
    ).scalars()
    for offer in held:
        key = (offer.practitioner_id, offer.start_at.astimezone(zone).date())
        by_cell[key].append(block_for_offer(offer))
    off_by: dict[int, list[Interval]] = defaultdict(list)
    for item in off:
        off_by[item.practitioner_id].append(Interval(item.start_at, item.end_at))
    columns = [
        Column(
            practitioner_id=p.id,
            practitioner_name=p.name,
            day=day,
            hours=p.weekly_hours,
            time_off=tuple(off_by[p.id]),
            bookings=tuple(by_cell[(p.id, day)]),
        )
        for day in days
        for p in practitioners
    ]
    return columns, cancelled


def calendar_grid(
    practitioners: list[Practitioner], days: list[date]
) -> tuple[Grid, list[Booking]]:
    """A column per practitioner per day, and those days' cancellations."""
    settings = get_settings()
    columns, cancelled = _columns(practitioners, days)
    grid = build_grid(
        columns, timezone=settings.timezone, step_minutes=settings.slot_step_minutes, now=utcnow()
    )
    return grid, cancelled


def day_grid(day: date) -> tuple[Grid, list[Booking]]:
    """One column per active practitioner for a day."""
    return calendar_grid(active_practitioners(), [day])


def week_grid(practitioner: Practitioner, day: date) -> tuple[Grid, list[Booking]]:
    """One column per day, Monday to Sunday, for one practitioner."""
    return calendar_grid([practitioner], week_days(day))


def bookings_by_id(ids: Iterable[int]) -> dict[int, Booking]:
    """The bookings a calendar shows, with their patient, service and practitioner."""
    rows = db.session.execute(
        db.select(Booking)
        .where(Booking.id.in_(list(ids)))
        .options(
            joinedload(Booking.patient),
            joinedload(Booking.service),
            joinedload(Booking.practitioner),
        )
    ).scalars()
    return {booking.id: booking for booking in rows}
