"""The staff calendar as a grid: rows at the slot step, a column per practitioner-day.

Pure: takes hours, time off and bookings as values, returns cells to render. Rows
are clinic wall-clock times; each column turns them into instants for its own date,
so a week that crosses a clock change still lines up by local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.domain import clock
from booking.domain.availability import Interval, WeeklyHours

FREE, BOOKING, BUFFER, BREAK, OFF, CLOSED, PAST = (
    "free",
    "booking",
    "buffer",
    "break",
    "off",
    "closed",
    "past",
)


@dataclass(frozen=True, slots=True)
class Block:
    """A booking as the calendar shows it."""

    id: int
    start: datetime
    end: datetime
    status: str
    title: str
    detail: str = ""
    # End of the buffer after the appointment: the practitioner is not free before it.
    held_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Column:
    practitioner_id: int
    practitioner_name: str
    day: date
    hours: tuple[WeeklyHours, ...]
    time_off: tuple[Interval, ...] = ()
    bookings: tuple[Block, ...] = ()


@dataclass(slots=True)
class Cell:
    kind: str
    start: datetime
    rows: int = 1
    block: Block | None = None
    others: list[Block] = field(default_factory=list)
    # A booking that now falls in time off, a break or outside hours: move it.
    misplaced: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    time: time
    cells: tuple[Cell | None, ...]  # None where a booking above spans this row


@dataclass(frozen=True, slots=True)
class Grid:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    unplaced: tuple[Block, ...]  # bookings that could not get a cell of their own


def _bounds(columns: tuple[Column, ...], default: tuple[time, time]) -> tuple[time, time]:
    starts, ends = [], []
    for column in columns:
        for hours in column.hours:
            if hours.weekday == column.day.weekday():
                starts.append(hours.start)
                ends.append(hours.end)
    if not starts:
        return default
    return min(starts), max(ends)


def _row_times(first: time, last: time, step: int) -> list[time]:
    times, minutes = [], first.hour * 60 + first.minute
    end = last.hour * 60 + last.minute
    while minutes < end:
        times.append(time(minutes // 60, minutes % 60))
        minutes += step
    return times


def _state(column: Column, start: datetime, end: datetime, tz: ZoneInfo) -> str:
    for off in column.time_off:
        if off.start < end and start < off.end:
            return OFF
    local = start.astimezone(tz).time()
    for hours in column.hours:
        if hours.weekday != column.day.weekday():
            continue
        if hours.start <= local < hours.end:
            if (
                hours.break_start
                and hours.break_end
                and hours.break_start <= local < hours.break_end
            ):
                return BREAK
            return FREE
    return CLOSED


def build_grid(
    columns: list[Column],
    *,
    timezone: str,
    step_minutes: int,
    default_hours: tuple[time, time] = (time(8), time(18)),
    now: datetime | None = None,
) -> Grid:
    """Cells for every column and row; a booking's cell spans the rows it covers."""
    tz = ZoneInfo(timezone)
    cols = tuple(columns)
    times = grid_times(cols, tz, step_minutes, default_hours)
    placed = [column_cells(column, times, tz, step_minutes, now) for column in cols]
    rows = tuple(Row(t, tuple(cells[r] for cells, _ in placed)) for r, t in enumerate(times))
    return Grid(cols, rows, tuple(block for _, unplaced in placed for block in unplaced))


def grid_times(
    columns: tuple[Column, ...], tz: ZoneInfo, step_minutes: int, default_hours: tuple[time, time]
) -> list[time]:
    """The wall-clock rows: the widest hours of the days shown, widened to bookings outside them.

    A booking moves the first row back to its start hour, and the last row on to its end
    when it ends the same day.
    """
    first, last = _bounds(columns, default_hours)
    for column in columns:
        for block in column.bookings:
            local_start = block.start.astimezone(tz)
            local_end = block.end.astimezone(tz)
            if local_start.date() == column.day:
                first = min(first, local_start.time().replace(minute=0))
                if local_end.date() == column.day:
                    last = max(last, local_end.time())
    return _row_times(first, last, step_minutes)


def column_cells(
    column: Column, times: list[time], tz: ZoneInfo, step_minutes: int, now: datetime | None
) -> tuple[list[Cell | None], list[Block]]:
    """One column's cell per row (None under a booking's span), and bookings left without one.

    A booking gets the row it starts in, or the first row if it began before the grid.
    One sharing that row rides along in the cell's `others`; one starting under another's
    span is unplaced. Either way reception can still reach it.
    """
    step = timedelta(minutes=step_minutes)
    instants = [clock.at(column.day, t, tz) for t in times]
    cells: list[Cell | None] = [None] * len(instants)
    unplaced: list[Block] = []
    covered_until = -1
    blocks = sorted(column.bookings, key=lambda b: b.start)
    b = 0
    for r, start in enumerate(instants):
        end = start + step
        starting = []
        while b < len(blocks) and blocks[b].start < end:
            if blocks[b].end > start or r == 0:
                starting.append(blocks[b])
            b += 1
        if r <= covered_until:
            unplaced.extend(starting)
        elif starting:
            cell = booking_cell(column, starting, instants, r, step, tz)
            cells[r] = cell
            covered_until = r + cell.rows - 1
        else:
            cells[r] = Cell(free_kind(column, start, end, tz, now), start)
    return cells, unplaced


def booking_cell(
    column: Column,
    starting: list[Block],
    instants: list[datetime],
    r: int,
    step: timedelta,
    tz: ZoneInfo,
) -> Cell:
    """The cell of the first booking starting in row `r`, spanning the rows it covers."""
    block, others = starting[0], starting[1:]
    span = 1
    while r + span < len(instants) and instants[r + span] < block.end:
        span += 1
    misplaced = any(
        _state(column, moment, moment + step, tz) != FREE for moment in instants[r : r + span]
    )
    return Cell(BOOKING, instants[r], span, block, others, misplaced)


def free_kind(
    column: Column, start: datetime, end: datetime, tz: ZoneInfo, now: datetime | None
) -> str:
    """What a cell no booking starts in shows: buffer, time off, break, closed, past or free."""
    if any(block.end <= start < (block.held_until or block.end) for block in column.bookings):
        return BUFFER
    kind = _state(column, start, end, tz)
    if kind == FREE and now is not None and end <= now:
        return PAST  # free time already gone: nothing left to book there
    return kind
