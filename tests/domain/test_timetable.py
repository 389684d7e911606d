"""The staff calendar grid: rows, spans, breaks, time off and DST."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from booking.domain.availability import Interval, WeeklyHours
from booking.domain.timetable import (
    BOOKING,
    BREAK,
    BUFFER,
    CLOSED,
    FREE,
    OFF,
    PAST,
    Block,
    Column,
    build_grid,
)

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 12, 7)


def at(day, hh, mm=0):
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY).astimezone(UTC)


def column(day=MONDAY, bookings=(), time_off=(), hours=None, pid=1):
    hours = hours or (WeeklyHours(day.weekday(), time(9), time(13), time(11), time(11, 30)),)
    return Column(pid, f"P{pid}", day, hours, tuple(time_off), tuple(bookings))


def kinds(grid, c=0):
    return [
        (row.time.strftime("%H:%M"), row.cells[c].kind if row.cells[c] else None)
        for row in grid.rows
    ]


def test_rows_run_from_opening_to_closing_at_the_slot_step():
    grid = build_grid([column()], timezone="America/New_York", step_minutes=30)
    assert [r.time for r in grid.rows] == [time(h, m) for h in range(9, 13) for m in (0, 30)]


@pytest.mark.parametrize(
    ("hhmm", "kind"),
    [("09:00", FREE), ("10:30", FREE), ("11:00", BREAK), ("11:30", FREE), ("12:30", FREE)],
)
def test_cells_show_free_time_and_breaks(hhmm, kind):
    grid = build_grid([column()], timezone="America/New_York", step_minutes=30)
    assert dict(kinds(grid))[hhmm] == kind


def test_a_booking_spans_the_rows_it_covers_and_hides_the_cells_below():
    block = Block(7, at(MONDAY, 9, 30), at(MONDAY, 10, 30), "booked", "Ann", "Neck")
    grid = build_grid([column(bookings=[block])], timezone="America/New_York", step_minutes=30)
    cells = dict(kinds(grid))
    assert cells["09:30"] == BOOKING
    assert cells["10:00"] is None  # covered by the booking's rowspan
    assert cells["10:30"] == FREE
    cell = grid.rows[1].cells[0]
    assert cell.rows == 2 and cell.block.title == "Ann"


def test_time_off_is_shown_as_off():
    off = Interval(at(MONDAY, 12), at(MONDAY, 13))
    grid = build_grid([column(time_off=[off])], timezone="America/New_York", step_minutes=30)
    cells = dict(kinds(grid))
    assert cells["12:00"] == OFF and cells["12:30"] == OFF and cells["09:00"] == FREE


def test_a_day_without_hours_is_closed_in_that_column_only():
    open_column = column(pid=1)
    closed = column(pid=2, hours=(WeeklyHours(2, time(9), time(17)),))  # Wednesdays only
    grid = build_grid([open_column, closed], timezone="America/New_York", step_minutes=30)
    assert {row.cells[1].kind for row in grid.rows} == {CLOSED}
    assert FREE in {row.cells[0].kind for row in grid.rows}


def test_overlapping_noshow_and_walk_in_are_both_reachable():
    noshow = Block(1, at(MONDAY, 9), at(MONDAY, 10), "noshow", "Nia", "Neck")
    walk_in = Block(2, at(MONDAY, 9, 30), at(MONDAY, 10), "booked", "Wes", "Neck")
    grid = build_grid(
        [column(bookings=[noshow, walk_in])], timezone="America/New_York", step_minutes=30
    )
    shown = {grid.rows[0].cells[0].block.id} | {b.id for b in grid.unplaced}
    assert shown == {1, 2}


@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 11, 1)], ids=["spring", "fall"])
def test_clock_change_days_keep_wall_clock_rows_and_bookings(day):
    hours = (WeeklyHours(day.weekday(), time(9), time(12)),)
    block = Block(1, at(day, 10), at(day, 11), "booked", "Ann", "Back")
    grid = build_grid(
        [column(day=day, hours=hours, bookings=[block])],
        timezone="America/New_York",
        step_minutes=60,
    )
    assert [(t, k) for t, k in kinds(grid)] == [
        ("09:00", FREE),
        ("10:00", BOOKING),
        ("11:00", FREE),
    ]


def test_bookings_outside_hours_widen_the_grid():
    early = Block(3, at(MONDAY, 7), at(MONDAY, 8), "booked", "Early", "Neck")
    grid = build_grid([column(bookings=[early])], timezone="America/New_York", step_minutes=60)
    assert grid.rows[0].time == time(7)
    assert grid.rows[0].cells[0].kind == BOOKING


def test_the_buffer_after_a_booking_is_not_offered_as_free():
    block = Block(
        7, at(MONDAY, 9), at(MONDAY, 10), "booked", "Ann", "Neck", held_until=at(MONDAY, 10, 15)
    )
    grid = build_grid([column(bookings=[block])], timezone="America/New_York", step_minutes=15)
    cells = dict(kinds(grid))
    assert cells["10:00"] == BUFFER
    assert cells["10:15"] == FREE


def test_free_time_already_gone_cannot_be_booked_from_the_calendar():
    now = at(MONDAY, 10, 40)
    grid = build_grid([column()], timezone="America/New_York", step_minutes=30, now=now)
    cells = dict(kinds(grid))
    assert cells["10:00"] == PAST
    assert cells["10:30"] == FREE  # under way: reception may still book a walk-in
    assert cells["12:00"] == FREE


def test_a_booking_caught_by_new_time_off_is_marked_for_rescheduling():
    block = Block(9, at(MONDAY, 9, 30), at(MONDAY, 10, 30), "booked", "Tina", "Neck")
    off = Interval(at(MONDAY, 9), at(MONDAY, 10))
    clear = Block(8, at(MONDAY, 12), at(MONDAY, 12, 30), "booked", "Uma", "Back")
    grid = build_grid(
        [column(bookings=[block, clear], time_off=[off])],
        timezone="America/New_York",
        step_minutes=30,
    )
    cells = {
        row.cells[0].block.id: row.cells[0]
        for row in grid.rows
        if row.cells[0] and row.cells[0].block
    }
    assert cells[9].misplaced is True
    assert cells[8].misplaced is False
