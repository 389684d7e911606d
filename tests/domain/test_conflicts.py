"""Which bookings stop fitting when hours, breaks or time off change."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from booking.domain.availability import Interval, WeeklyHours
from booking.domain.conflicts import (
    IN_BREAK,
    OUTSIDE_HOURS,
    TIME_OFF,
    Appointment,
    Conflict,
    conflicts,
)

TZ = "America/New_York"
NY = ZoneInfo(TZ)
# Monday 9-5 with a lunch break, Tuesday 9-5 without; nothing at the weekend.
HOURS = (
    WeeklyHours(0, time(9), time(17), time(12, 30), time(13, 30)),
    WeeklyHours(1, time(9), time(17)),
)


def local(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NY)


def appointment(day: str, start: str, end: str, id: int = 1) -> Appointment:
    return Appointment(id, local(day, start), local(day, end))


MONDAY, TUESDAY, SATURDAY = "2026-12-07", "2026-12-08", "2026-12-12"
MORNING_OFF = Interval(local(MONDAY, "10:00"), local(MONDAY, "11:00"))
WHOLE_TUESDAY_OFF = Interval(local(TUESDAY, "00:00"), local("2026-12-09", "00:00"))


@pytest.mark.parametrize(
    ("day", "start", "end", "time_off", "expected"),
    [
        (MONDAY, "09:00", "10:00", (), None),
        (MONDAY, "11:30", "12:30", (), None),  # ends as the break starts
        (MONDAY, "13:30", "14:30", (), None),  # starts as the break ends
        (MONDAY, "16:00", "17:00", (), None),  # ends at closing
        (MONDAY, "12:00", "13:00", (), IN_BREAK),
        (MONDAY, "12:30", "13:30", (), IN_BREAK),
        (MONDAY, "13:00", "14:00", (), IN_BREAK),
        (MONDAY, "08:30", "09:30", (), OUTSIDE_HOURS),
        (MONDAY, "16:30", "17:30", (), OUTSIDE_HOURS),
        (MONDAY, "18:00", "19:00", (), OUTSIDE_HOURS),
        (TUESDAY, "12:30", "13:30", (), None),  # no break on Tuesdays
        (SATURDAY, "10:00", "11:00", (), OUTSIDE_HOURS),  # not a working day
        (MONDAY, "09:00", "10:00", (MORNING_OFF,), None),  # ends as time off starts
        (MONDAY, "11:00", "12:00", (MORNING_OFF,), None),  # starts as time off ends
        (MONDAY, "09:30", "10:30", (MORNING_OFF,), TIME_OFF),
        (MONDAY, "10:15", "10:45", (MORNING_OFF,), TIME_OFF),
        (TUESDAY, "09:00", "10:00", (WHOLE_TUESDAY_OFF,), TIME_OFF),
        (MONDAY, "09:00", "10:00", (WHOLE_TUESDAY_OFF,), None),
    ],
)
def test_booking_fits_or_says_why_not(day, start, end, time_off, expected):
    found = conflicts([appointment(day, start, end)], HOURS, time_off, TZ)
    assert found == ([] if expected is None else [Conflict(1, expected)])


def test_time_off_is_reported_before_the_break_it_covers():
    lunch_off = Interval(local(MONDAY, "12:00"), local(MONDAY, "14:00"))
    found = conflicts([appointment(MONDAY, "12:30", "13:30")], HOURS, [lunch_off], TZ)
    assert found == [Conflict(1, TIME_OFF)]


@pytest.mark.parametrize(
    ("utc_start", "expected"),
    [
        # 14:00 UTC is 9:00 in New York in winter, 10:00 once the clocks go forward.
        (datetime(2027, 3, 8, 14, tzinfo=UTC), None),
        (datetime(2027, 3, 8, 13, tzinfo=UTC), OUTSIDE_HOURS),  # 8:00 EST
        (datetime(2027, 3, 15, 13, tzinfo=UTC), None),  # 9:00 EDT, the Monday after the change
        (datetime(2026, 11, 2, 13, tzinfo=UTC), OUTSIDE_HOURS),  # 8:00 EST after falling back
    ],
)
def test_hours_are_clinic_wall_clock_across_clock_changes(utc_start, expected):
    booking = Appointment(1, utc_start, utc_start.replace(hour=utc_start.hour + 1))
    found = conflicts([booking], HOURS, (), TZ)
    assert found == ([] if expected is None else [Conflict(1, expected)])


def test_only_the_bookings_that_do_not_fit_are_returned_in_time_order():
    bookings = [
        appointment(SATURDAY, "10:00", "11:00", id=3),
        appointment(MONDAY, "09:00", "10:00", id=1),
        appointment(MONDAY, "12:00", "13:00", id=2),
        appointment(TUESDAY, "09:00", "10:00", id=4),
    ]
    found = conflicts(bookings, HOURS, [WHOLE_TUESDAY_OFF], TZ)
    assert found == [Conflict(2, IN_BREAK), Conflict(4, TIME_OFF), Conflict(3, OUTSIDE_HOURS)]


def test_no_hours_means_every_booking_needs_rescheduling():
    found = conflicts([appointment(MONDAY, "09:00", "10:00")], (), (), TZ)
    assert found == [Conflict(1, OUTSIDE_HOURS)]


def test_no_bookings_no_conflicts():
    assert conflicts([], HOURS, [MORNING_OFF], TZ) == []
