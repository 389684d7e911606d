"""Practitioners' weekly hours, time off and calendar feed, and the bookings they strand."""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.orm import joinedload

from booking.database import write_transaction
from booking.domain import clock, conflicts
from booking.domain.availability import Interval, WeeklyHours
from booking.extensions import db
from booking.models import Booking, Practitioner, TimeOff, User, WorkingHours
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES
from booking.services import audit
from booking.services.bookings import hash_token
from booking.services.calendar import PRODID
from booking.services.clinic import get_settings

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
FEED_TOKEN_BYTES = 32


class ScheduleError(ValueError):
    """A change to hours or time off that cannot be made, with a message for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
    with write_transaction():
        before = hours_snapshot(practitioner.weekly_hours)
        after = hours_snapshot(week.values())
        if before == after:
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
        audit.record(
            actor,
            "hours.update",
            "practitioner",
            practitioner.id,
            before=before,
            after=after,
            summary=f"Weekly hours changed for {practitioner.name}",
        )
    return True


# Time off


def time_off_span(
    first_day: date, last_day: date, start: time | None, end: time | None, timezone: str
) -> Interval:
    """Clinic-local dates and wall-clock times as a UTC span: whole days without times."""
    if start is None or end is None:
        return Interval(*clock.range_bounds(first_day, last_day, timezone))
    return Interval(*clock.span(first_day, start, end, ZoneInfo(timezone)))


def time_off_snapshot(off: TimeOff) -> dict:
    return {"start": off.start_at.isoformat(), "end": off.end_at.isoformat(), "reason": off.reason}


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
    with write_transaction():
        off = TimeOff(
            practitioner_id=practitioner.id, start_at=span.start, end_at=span.end, reason=reason
        )
        db.session.add(off)
        db.session.flush()
        audit.record(
            actor,
            "time_off.add",
            "practitioner",
            practitioner.id,
            after=time_off_snapshot(off),
            summary=f"Time off for {practitioner.name}: {_local_span(off, settings.timezone)}",
        )
    return off


def delete_time_off(off: TimeOff, *, actor: User) -> None:
    settings = get_settings()
    with write_transaction():
        practitioner = off.practitioner
        before = time_off_snapshot(off)
        summary = f"Time off removed for {practitioner.name}: {_local_span(off, settings.timezone)}"
        db.session.delete(off)
        audit.record(
            actor,
            "time_off.delete",
            "practitioner",
            practitioner.id,
            before=before,
            summary=summary,
        )


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


# Calendar feed


def create_feed(practitioner: Practitioner, *, actor: User) -> str:
    """A new secret feed token; any earlier link stops working. Only its hash is kept."""
    token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    with write_transaction():
        replaced = practitioner.feed_token_hash is not None
        practitioner.feed_token_hash = hash_token(token)
        done = "replaced" if replaced else "created"
        audit.record(
            actor,
            "feed.create",
            "practitioner",
            practitioner.id,
            before={"feed": replaced},
            after={"feed": True},
            summary=f"Calendar feed link {done} for {practitioner.name}",
        )
    return token


def revoke_feed(practitioner: Practitioner, *, actor: User) -> bool:
    """Turn the feed off; returns whether there was one."""
    with write_transaction():
        if practitioner.feed_token_hash is None:
            return False
        practitioner.feed_token_hash = None
        audit.record(
            actor,
            "feed.revoke",
            "practitioner",
            practitioner.id,
            before={"feed": True},
            after={"feed": False},
            summary=f"Calendar feed turned off for {practitioner.name}",
        )
    return True


def practitioner_for_feed(token: str) -> Practitioner | None:
    if not token:
        return None
    return db.session.execute(
        db.select(Practitioner).where(Practitioner.feed_token_hash == hash_token(token))
    ).scalar_one_or_none()


def feed_uid(booking: Booking) -> str:
    # Not the patient's event UID: a calendar that holds both must not merge them.
    return f"feed-{booking.reference}@acupuncture-booking"


def feed_calendar(practitioner: Practitioner, *, now: datetime | None = None) -> bytes:
    """The practitioner's active bookings near now, naming patients by first name only."""
    now = now or utcnow()
    bookings = db.session.execute(
        db.select(Booking)
        .where(
            Booking.practitioner_id == practitioner.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at >= now - FEED_PAST,
            Booking.start_at < now + FEED_AHEAD,
        )
        .options(joinedload(Booking.patient), joinedload(Booking.service))
        .order_by(Booking.start_at)
    ).scalars()
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"{practitioner.name} – {get_settings().name}")
    for booking in bookings:
        event = Event()
        event.add("uid", feed_uid(booking))
        event.add("dtstamp", now)
        event.add("dtstart", booking.start_at)
        event.add("dtend", booking.end_at)
        event.add("sequence", booking.sequence)
        event.add("status", "CONFIRMED")
        first_name = booking.patient.first_name or "Patient"
        event.add("summary", f"{first_name} – {booking.service.name}")
        feed.add_component(event)
    return feed.to_ical()
