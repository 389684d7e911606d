"""Clinic wall-clock time and UTC instants: the one place each is turned into the other.

Hours, breaks and days are kept in the clinic's wall-clock time; bookings and time
off are UTC instants. Every conversion goes through here, with `zoneinfo`, so on the
days the clocks change a 09:00 opening is still 09:00 local and a day is 23 or 25
hours long, as it really is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = 7
# The days the clinic's calendar covers, for every date and time read from a person:
# wide enough for any clinic's history and future, narrow enough that date arithmetic
# and time zone conversions never overflow (year 1 minus a day, or 9999 plus one, do).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def outside_calendar(day: date) -> str | None:
    """Why a date cannot be used, or None when it is inside FIRST_DAY..LAST_DAY."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return (
        f"Choose dates from {FIRST_DAY.year} to {LAST_DAY.year}; {day.isoformat()} is outside them."
    )


def at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a clinic wall-clock time on a clinic-local day."""
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def span(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Two wall-clock times on one local day as a UTC [start, end)."""
    return at(day, start, tz), at(day, end, tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a clinic-local calendar day starts and ends."""
    return at(day, time(0), tz), at(day + timedelta(days=1), time(0), tz)


def range_bounds(first_day: date, last_day: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC bounds of the clinic-local dates first_day..last_day, both included."""
    tz = ZoneInfo(timezone)
    return day_bounds(first_day, tz)[0], day_bounds(last_day, tz)[1]


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The clinic-local calendar day an instant falls on."""
    return moment.astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday of the week the day is in (weeks run Monday to Sunday, as ISO has it)."""
    return day - timedelta(days=day.weekday())


def week_days(day: date) -> list[date]:
    """Monday to Sunday of the week the day is in."""
    monday = week_start(day)
    return [monday + timedelta(days=n) for n in range(WEEK)]


def days_between(first_day: date, last_day: date) -> list[date]:
    """Every date from first_day to last_day, both included."""
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def twelve_hour(moment: time | datetime) -> str:
    """9:30 am: a wall-clock time (or an already local instant) as people say it."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def long_day(day: date) -> str:
    """Monday 23 November 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    """Mon 23 Nov."""
    return f"{day:%a} {day.day} {day:%b}"
