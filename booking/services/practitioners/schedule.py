"""A practitioner's weekly hours and time off, and the bookings a change leaves stranded."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import joinedload

from booking.domain import clock, conflicts
from booking.domain.availability import Interval, WeeklyHours
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import Booking, Practitioner, TimeOff, User, WorkingHours
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES
from booking.services.clinic import get_settings
from booking.services.commands import command


class ScheduleError(ValidationError):
    """A change to hours or time off that cannot be made, with a message for staff."""


# Hours


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def hours_snapshot(hours: Iterable[WeeklyHours]) -> dict:
    """What the audit log keeps of a week: every weekday by name, None when not working."""
    by_day = {h.weekday: h for h in hours}
    snapshot = {}
    for weekday in range(7):
        day = by_day.get(weekday)
        snapshot[calendar.day_name[weekday].lower()] = (
            {
                "start": _clock(day.start),
                "end": _clock(day.end),
                "break_start": _clock(day.break_start),
                "break_end": _clock(day.break_end),
            }
            if day
            else None
        )
    return snapshot


def set_hours(practitioner: Practitioner, week: Mapping[int, WeeklyHours], *, actor: User) -> bool:
    """Replace the weekly hours (days missing from `week` are days off), audited.

    Returns whether anything changed. Bookings are never touched: those that no
    longer fit show up in `conflicting_bookings`.
    """
    summary = f"Weekly hours changed for {practitioner.name}"
    with command("hours.update", practitioner, actor=actor, tracks=None, summary=summary) as change:
        change.before = hours_snapshot(practitioner.weekly_hours)
        change.after = hours_snapshot(week.values())
        if change.before == change.after:
            return False
        rows = {row.weekday: row for row in practitioner.hours}
        for weekday in range(7):
            wanted, row = week.get(weekday), rows.get(weekday)
            if wanted is None:
                if row is not None:
                    practitioner.hours.remove(row)
                continue
            # Update in place: one row per weekday is a unique constraint.
            if row is None:
                row = WorkingHours(weekday=weekday)
                practitioner.hours.append(row)
            row.start_time, row.end_time = wanted.start, wanted.end
            row.break_start, row.break_end = wanted.break_start, wanted.break_end
    return change.changed


# Time off


def time_off_span(
    first_day: date, last_day: date, start: time | None, end: time | None, timezone: str
) -> Interval:
    """Clinic-local dates and wall-clock times as a UTC span: whole days without times."""
    if start is None or end is None:
        return Interval(*clock.range_bounds(first_day, last_day, timezone))
    return Interval(*clock.span(first_day, start, end, ZoneInfo(timezone)))


def _local_span(off: TimeOff, timezone: str) -> str:
    tz = ZoneInfo(timezone)
    start, end = off.start_at.astimezone(tz), off.end_at.astimezone(tz)
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def upcoming_time_off(practitioner: Practitioner, *, now: datetime | None = None) -> list[TimeOff]:
    """Time off not yet over, soonest first."""
    return list(
        db.session.execute(
            db.select(TimeOff)
            .where(TimeOff.practitioner_id == practitioner.id, TimeOff.end_at > (now or utcnow()))
            .order_by(TimeOff.start_at)
        ).scalars()
    )


def add_time_off(
    practitioner: Practitioner,
    first_day: date,
    last_day: date,
    start: time | None,
    end: time | None,
    reason: str = "",
    *,
    actor: User,
    now: datetime | None = None,
) -> TimeOff:
    """Record time off given in clinic-local dates and times, audited."""
    settings = get_settings()
    span = time_off_span(first_day, last_day, start, end, settings.timezone)
    if span.start >= span.end:
        raise ScheduleError("The time off must end after it starts.")
    if span.end <= (now or utcnow()):
        raise ScheduleError("That time has already passed.")
    with command("time_off.add", practitioner, actor=actor, tracks=None) as change:
        off = TimeOff(
            practitioner_id=practitioner.id, start_at=span.start, end_at=span.end, reason=reason
        )
        db.session.add(off)
        change.track(off)
        change.summary = f"Time off for {practitioner.name}: {_local_span(off, settings.timezone)}"
    return off


def delete_time_off(off: TimeOff, *, actor: User) -> None:
    settings = get_settings()
    practitioner = off.practitioner
    with command("time_off.delete", practitioner, actor=actor, tracks=off) as change:
        change.summary = (
            f"Time off removed for {practitioner.name}: {_local_span(off, settings.timezone)}"
        )
        db.session.delete(off)


# Bookings that no longer fit


def conflicting_bookings(
    practitioner: Practitioner, *, now: datetime | None = None
) -> list[tuple[Booking, str]]:
    """Future active bookings outside the hours, in a break or in time off, with why."""
    now = now or utcnow()
    bookings = {
        booking.id: booking
        for booking in db.session.execute(
            db.select(Booking)
            .where(
                Booking.practitioner_id == practitioner.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start_at >= now,
            )
            .options(joinedload(Booking.patient), joinedload(Booking.service))
        ).scalars()
    }
    if not bookings:
        return []
    found = conflicts.conflicts(
        [conflicts.Appointment(b.id, b.start_at, b.end_at) for b in bookings.values()],
        practitioner.weekly_hours,
        [Interval(off.start_at, off.end_at) for off in upcoming_time_off(practitioner, now=now)],
        get_settings().timezone,
    )
    return [(bookings[c.booking_id], c.reason) for c in found]
