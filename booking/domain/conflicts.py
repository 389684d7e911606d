"""Which bookings no longer fit a practitioner's weekly hours, breaks and time off.

Pure: takes booking times, hours in clinic wall-clock time and time off as values.
A booking fits when the appointment itself (not its buffer after) lies inside one
open stretch of its own clinic-local day and touches no time off: the same rule the
availability engine uses to offer the slot in the first place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from booking.domain import clock
from booking.domain.availability import Interval, WeeklyHours

# Why a booking needs rescheduling, most specific first.
TIME_OFF, IN_BREAK, OUTSIDE_HOURS = "time_off", "break", "outside_hours"


@dataclass(frozen=True, slots=True)
class Appointment:
    """A booked appointment's own time, by booking id."""

    id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Conflict:
    booking_id: int
    reason: str


def _day_hours(hours: Iterable[WeeklyHours], day: date) -> list[WeeklyHours]:
    return [h for h in hours if h.weekday == day.weekday()]


def _instants(day: date, start: time, end: time, tz: ZoneInfo) -> Interval:
    return Interval(*clock.span(day, start, end, tz))


def _reason(
    appointment: Appointment,
    hours: tuple[WeeklyHours, ...],
    time_off: tuple[Interval, ...],
    tz: ZoneInfo,
) -> str | None:
    span = Interval(appointment.start, appointment.end)
    if any(span.overlaps(off) for off in time_off):
        return TIME_OFF
    day = appointment.start.astimezone(tz).date()
    todays = _day_hours(hours, day)
    for day_hours in todays:
        windows = [_instants(day, start, end, tz) for start, end in day_hours.local_windows()]
        if any(w.start <= span.start and span.end <= w.end for w in windows):
            return None
    # Inside the working day but not inside one open stretch: it meets the break.
    for day_hours in todays:
        whole = _instants(day, day_hours.start, day_hours.end, tz)
        if whole.start <= span.start and span.end <= whole.end:
            return IN_BREAK
    return OUTSIDE_HOURS


def conflicts(
    appointments: Iterable[Appointment],
    hours: Iterable[WeeklyHours],
    time_off: Iterable[Interval],
    timezone: str,
) -> list[Conflict]:
    """The appointments that do not fit, with why, in order of start time."""
    tz = ZoneInfo(timezone)
    hours = tuple(hours)
    time_off = tuple(time_off)
    found = []
    for appointment in sorted(appointments, key=lambda a: (a.start, a.id)):
        reason = _reason(appointment, hours, time_off, tz)
        if reason is not None:
            found.append(Conflict(appointment.id, reason))
    return found
