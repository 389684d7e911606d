"""The staff calendar grid: rows, spans, breaks, time off and DST."""

from datetime import UTC, date, datetime, time, timedelta
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
    booking_cell,
    build_grid,
    column_cells,
    free_kind,
    grid_times,
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


# The steps build_grid is made of, each on its own.

HALF_HOUR_ROWS = [time(h, m) for h in range(9, 13) for m in (0, 30)]  # 09:00 to 12:30


def block(id_, start, end, held_until=None, day=MONDAY):
    """A booking from wall-clock (hh, mm) pairs on `day`."""
    return Block(id_, at(day, *start), at(day, *end), "booked", f"B{id_}", held_until=held_until)


@pytest.mark.parametrize(
    ("columns", "first", "last"),
    [
        ([column()], time(9), time(12, 30)),
        # No hours on the day shown: the default hours.
        ([column(hours=(WeeklyHours(2, time(9), time(17)),))], time(8), time(17, 30)),
        # Hours on another weekday do not count, even in the same column.
        (
            [column(hours=(WeeklyHours(0, time(10), time(12)), WeeklyHours(1, time(6), time(20))))],
            time(10),
            time(11, 30),
        ),
        # Two practitioners: from the earliest opening to the latest closing.
        (
            [column(pid=1), column(pid=2, hours=(WeeklyHours(0, time(10), time(15)),))],
            time(9),
            time(14, 30),
        ),
        # A booking before opening starts the grid on its hour.
        ([column(bookings=[block(1, (7, 45), (8, 30))])], time(7), time(12, 30)),
        # One after closing stretches it to the booking's end.
        ([column(bookings=[block(1, (12, 30), (14, 10))])], time(9), time(14)),
        # A booking on another day than the column's changes nothing.
        (
            [column(bookings=[block(1, (6, 0), (7, 0), day=date(2026, 12, 8))])],
            time(9),
            time(12, 30),
        ),
    ],
    ids=[
        "opening-hours",
        "closed-day",
        "other-weekday",
        "widest-hours",
        "early-booking",
        "late-booking",
        "other-day",
    ],
)
def test_the_rows_cover_opening_hours_and_every_booking_that_day(columns, first, last):
    times = grid_times(tuple(columns), NY, 30, (time(8), time(18)))
    assert (times[0], times[-1]) == (first, last)
    assert all(
        (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute) == 30
        for a, b in zip(times, times[1:], strict=False)
    )


@pytest.mark.parametrize(
    ("bookings", "cells", "unplaced"),
    [
        # 09:00 ... 12:30; the break is 11:00-11:30.
        ([], ["free", "free", "free", "free", "break", "free", "free", "free"], []),
        (
            [block(1, (9, 30), (10, 30))],
            ["free", "booking:1x2", None, "free", "break", "free", "free", "free"],
            [],
        ),
        # Ends part way through a row: the cell still spans that row.
        (
            [block(1, (12, 0), (12, 40))],
            ["free", "free", "free", "free", "break", "free", "booking:1x2", None],
            [],
        ),
        # Two starting in one row: the first has the cell, the second rides along in it.
        (
            [block(2, (9, 0), (9, 30)), block(1, (9, 0), (10, 0))],
            ["booking:2x1+1", "free", "free", "free", "break", "free", "free", "free"],
            [],
        ),
        # One starting under another's span cannot have a cell of its own.
        (
            [block(1, (9, 0), (10, 0)), block(2, (9, 30), (10, 30))],
            ["booking:1x2", None, "free", "free", "break", "free", "free", "free"],
            [2],
        ),
        # Started before the first row: shown in it, so it can still be reached.
        (
            [block(1, (8, 0), (8, 30))],
            ["booking:1x1", "free", "free", "free", "break", "free", "free", "free"],
            [],
        ),
        # Its buffer after keeps the next row from being offered.
        (
            [block(1, (9, 0), (10, 0), held_until=at(MONDAY, 10, 15))],
            ["booking:1x2", None, "buffer", "free", "break", "free", "free", "free"],
            [],
        ),
    ],
    ids=["empty", "spans", "rounds-up", "same-row", "under-a-span", "before-grid", "buffer"],
)
def test_a_column_gives_each_booking_its_rows_and_the_rest_their_kind(bookings, cells, unplaced):
    def shown(cell):
        if cell is None or cell.block is None:
            return cell and cell.kind
        riders = "".join(f"+{o.id}" for o in cell.others)
        return f"{cell.kind}:{cell.block.id}x{cell.rows}{riders}"

    placed, left = column_cells(column(bookings=bookings), HALF_HOUR_ROWS, NY, 30, None)
    assert [shown(cell) for cell in placed] == cells
    assert [b.id for b in left] == unplaced


@pytest.mark.parametrize(
    ("start", "end", "row", "rows", "misplaced"),
    [
        ((9, 0), (9, 30), 0, 1, False),
        ((9, 0), (9, 31), 0, 2, False),
        ((10, 0), (11, 0), 2, 2, False),
        ((10, 30), (11, 30), 3, 2, True),  # runs into the break
        ((12, 0), (15, 0), 6, 2, False),  # the last rows are all the grid has
    ],
    ids=["one-row", "a-minute-over", "up-to-the-break", "into-the-break", "past-the-grid"],
)
def test_a_booking_cell_spans_every_row_the_booking_touches(start, end, row, rows, misplaced):
    booking = block(1, start, end)
    instants = [at(MONDAY, t.hour, t.minute) for t in HALF_HOUR_ROWS]
    cell = booking_cell(column(), [booking], instants, row, timedelta(minutes=30), NY)
    assert (cell.kind, cell.start, cell.block, cell.others) == (
        BOOKING,
        instants[row],
        booking,
        [],
    )
    assert (cell.rows, cell.misplaced) == (rows, misplaced)


OFF_AT_NOON = Interval(at(MONDAY, 12), at(MONDAY, 12, 30))
HELD = block(1, (9, 0), (10, 0), held_until=at(MONDAY, 10, 15))


@pytest.mark.parametrize(
    ("hhmm", "now", "kind"),
    [
        ((9, 0), None, FREE),
        ((11, 0), None, BREAK),
        ((12, 0), None, OFF),
        ((12, 15), None, OFF),  # time off anywhere in the row takes it
        ((13, 0), None, CLOSED),
        ((8, 30), None, CLOSED),
        ((10, 0), None, BUFFER),
        ((10, 15), None, FREE),  # the buffer is over
        ((9, 30), at(MONDAY, 10), PAST),  # over by the time it would end
        ((9, 30), at(MONDAY, 9, 45), FREE),  # under way: a walk-in can still come
        ((11, 0), at(MONDAY, 12), BREAK),  # only free time goes past
        ((10, 0), at(MONDAY, 12), BUFFER),
    ],
)
def test_a_cell_without_a_booking_shows_why_it_can_or_cannot_be_booked(hhmm, now, kind):
    subject = column(time_off=[OFF_AT_NOON], bookings=[HELD])
    start = at(MONDAY, *hhmm)
    assert free_kind(subject, start, start + timedelta(minutes=30), NY, now) == kind
