"""Load schedules and bookings for a window, then ask the pure engine for free slots."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload

from booking.domain import availability as engine
from booking.domain import clock
from booking.domain.waitlist import OFFERED
from booking.extensions import db
from booking.models import Booking, Practitioner, Service, TimeOff, WaitlistOffer
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES, MAX_HELD_HOURS
from booking.models.practitioner import practitioner_service
from booking.services.clinic import get_settings, rules

# No appointment (with its buffer) lasts longer than this; it bounds the index scan.
LONGEST_BOOKING = timedelta(hours=MAX_HELD_HOURS)


def practitioners_for(service: Service, practitioner_id: int | None = None) -> list[Practitioner]:
    query = (
        db.select(Practitioner)
        .join(practitioner_service)
        .where(practitioner_service.c.service_id == service.id, Practitioner.active.is_(True))
        .options(selectinload(Practitioner.hours))
        .order_by(Practitioner.id)
    )
    if practitioner_id is not None:
        query = query.where(Practitioner.id == practitioner_id)
    return list(db.session.execute(query).scalars())


def schedules(
    practitioners: list[Practitioner],
    window_start: datetime,
    window_end: datetime,
    exclude_booking_id: int | None = None,
    ignore_bookings: bool = False,
) -> list[engine.PractitionerSchedule]:
    """Domain schedules with only the bookings and time off that touch the window."""
    ids = [p.id for p in practitioners]
    busy: dict[int, list[engine.Interval]] = defaultdict(list)
    off: dict[int, list[engine.Interval]] = defaultdict(list)
    if ids and not ignore_bookings:
        rows = db.session.execute(
            db.select(Booking.practitioner_id, Booking.start_at, Booking.blocked_until).where(
                Booking.practitioner_id.in_(ids),
                Booking.start_at < window_end,
                Booking.start_at > window_start - LONGEST_BOOKING,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.id != (exclude_booking_id or -1),
            )
        )
        for practitioner_id, start, until in rows:
            busy[practitioner_id].append(engine.Interval(start, until))
        # A time held for a patient on the waitlist is as taken as a booked one.
        held = db.session.execute(
            db.select(
                WaitlistOffer.practitioner_id, WaitlistOffer.start_at, WaitlistOffer.blocked_until
            ).where(
                WaitlistOffer.practitioner_id.in_(ids),
                WaitlistOffer.status == OFFERED,
                WaitlistOffer.start_at < window_end,
                WaitlistOffer.start_at > window_start - LONGEST_BOOKING,
            )
        )
        for practitioner_id, start, until in held:
            busy[practitioner_id].append(engine.Interval(start, until))
    if ids:
        rows = db.session.execute(
            db.select(TimeOff.practitioner_id, TimeOff.start_at, TimeOff.end_at).where(
                TimeOff.practitioner_id.in_(ids),
                TimeOff.start_at < window_end,
                TimeOff.end_at > window_start,
            )
        )
        for practitioner_id, start, end in rows:
            off[practitioner_id].append(engine.Interval(start, end))
    return [
        engine.PractitionerSchedule(
            id=p.id,
            name=p.name,
            hours=p.weekly_hours,
            time_off=tuple(off[p.id]),
            busy=tuple(busy[p.id]),
        )
        for p in practitioners
    ]


def free_slots(
    service: Service,
    first_day: date,
    last_day: date,
    *,
    practitioner_id: int | None = None,
    now: datetime | None = None,
    exclude_booking_id: int | None = None,
    enforce_notice: bool = True,
    ignore_bookings: bool = False,
) -> list[engine.Slot]:
    """Free slots for a service between two clinic-local dates, both included."""
    settings = get_settings()
    clinic_rules = rules(settings)
    if not enforce_notice:
        # Staff may book up to the slot already under way, for a walk-in.
        clinic_rules = engine.Rules(
            clinic_rules.timezone,
            clinic_rules.step_minutes,
            -clinic_rules.step_minutes,
            clinic_rules.horizon_days,
        )
    window_start, window_end = clock.range_bounds(first_day, last_day, settings.timezone)
    practitioners = practitioners_for(service, practitioner_id)
    return engine.free_slots(
        schedules(practitioners, window_start, window_end, exclude_booking_id, ignore_bookings),
        duration_minutes=service.duration_minutes,
        buffer_minutes=service.buffer_minutes,
        first_day=first_day,
        last_day=last_day,
        now=now or utcnow(),
        rules=clinic_rules,
    )


def slots_at(service: Service, start: datetime, **options) -> list[engine.Slot]:
    """The free slots starting exactly at `start`, one per free practitioner.

    Takes the keyword options of `free_slots` (practitioner_id, now, enforce_notice...).
    """
    settings = get_settings()
    day = start.astimezone(ZoneInfo(settings.timezone)).date()
    return [slot for slot in free_slots(service, day, day, **options) if slot.start == start]


def next_free_slot(
    service: Service,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
    **options,
) -> engine.Slot | None:
    """The first free slot from first_day to last_day, asking a month at a time."""
    start = first_day
    while start <= last_day:
        end = min(start + timedelta(days=engine.MAX_RANGE_DAYS - 1), last_day)
        found = free_slots(service, start, end, practitioner_id=practitioner_id, **options)
        if found:
            return found[0]
        start = end + timedelta(days=1)
    return None
