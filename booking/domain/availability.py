"""Free appointment slots from weekly hours, time off and existing bookings.

Pure and fast: callers pass in frozen values (hours in clinic wall-clock time,
busy intervals as aware UTC datetimes) and `now`; nothing here touches a clock,
a database or the web framework.

Wall-clock hours are turned into absolute instants per calendar day with
`zoneinfo`, and slots are stepped in absolute time from the start of each open
window. So on the days the clocks change a 09:00 opening is still 09:00 local,
no slot is duplicated, and none that exists on the clock is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

MAX_RANGE_DAYS = 31


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening hours for one weekday (0 = Monday), with an optional break."""

    weekday: int
    start: time
    end: time
    break_start: time | None = None
    break_end: time | None = None

    def local_windows(self) -> list[tuple[time, time]]:
        """The open stretches of the day, the break cut out."""
        if (
            self.break_start
            and self.break_end
            and self.start < self.break_start < self.break_end < self.end
        ):
            return [(self.start, self.break_start), (self.break_end, self.end)]
        return [(self.start, self.end)]


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class PractitionerSchedule:
    """What the engine needs to know about one practitioner.

    `busy` are existing bookings, each already widened by its buffer after.
    Only the ones near the requested window need be passed.
    """

    id: int
    name: str
    hours: tuple[WeeklyHours, ...]
    time_off: tuple[Interval, ...] = ()
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    """Clinic-wide booking rules."""

    timezone: str
    step_minutes: int = 15
    min_notice_minutes: int = 120
    horizon_days: int = 60


class Slot(NamedTuple):
    """A free appointment time for one practitioner (a tuple: cheap to make by the thousand)."""

    start: datetime
    end: datetime
    practitioner_id: int
    practitioner_name: str = ""


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a clinic-local calendar day starts and ends."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def range_bounds(first_day: date, last_day: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC bounds of the clinic-local dates first_day..last_day, both included."""
    tz = ZoneInfo(timezone)
    return local_day_bounds(first_day, tz)[0], local_day_bounds(last_day, tz)[1]


def _open_windows(
    schedule: PractitionerSchedule, day: date, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    windows = []
    for hours in schedule.hours:
        if hours.weekday != day.weekday():
            continue
        for start, end in hours.local_windows():
            if start >= end:
                continue
            windows.append(
                (
                    datetime.combine(day, start, tzinfo=tz).astimezone(UTC),
                    datetime.combine(day, end, tzinfo=tz).astimezone(UTC),
                )
            )
    windows.sort()
    return windows


def _subtract(
    windows: list[tuple[datetime, datetime]], cuts: Sequence[Interval]
) -> list[tuple[datetime, datetime]]:
    for cut in cuts:
        pieces = []
        for start, end in windows:
            if cut.end <= start or cut.start >= end:
                pieces.append((start, end))
                continue
            if start < cut.start:
                pieces.append((start, cut.start))
            if cut.end < end:
                pieces.append((cut.end, end))
        windows = pieces
    return windows


def _sorted_busy(busy: Iterable[Interval]) -> tuple[list[datetime], list[Interval]]:
    ordered = sorted(busy, key=lambda i: i.start)
    return [i.start for i in ordered], ordered


def free_slots(
    schedules: Iterable[PractitionerSchedule],
    *,
    duration_minutes: int,
    buffer_minutes: int,
    first_day: date,
    last_day: date,
    now: datetime,
    rules: Rules,
) -> list[Slot]:
    """Every free slot for a service between two clinic-local dates, both included.

    A slot is free when the appointment itself fits inside the practitioner's open
    hours (breaks and time off cut out), and the appointment plus its buffer after
    overlaps no existing booking plus that booking's buffer. Slots start no sooner
    than the minimum notice and before the horizon. Sorted by start, then practitioner.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = ZoneInfo(rules.timezone)
    # The inner loop runs on whole seconds since the epoch: integer arithmetic is
    # several times cheaper than aware datetimes, and the results are identical.
    duration = duration_minutes * 60
    held = (duration_minutes + buffer_minutes) * 60
    step = rules.step_minutes * 60
    earliest = _seconds(now) + rules.min_notice_minutes * 60
    latest = _seconds(now) + rules.horizon_days * 86_400
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]

    found: list[tuple[int, int, str]] = []
    for schedule in schedules:
        busy_starts, busy_ends = _merged(schedule.busy)
        count = len(busy_starts)
        time_off = sorted(schedule.time_off, key=lambda i: i.start)
        pid, name = schedule.id, schedule.name
        j = 0  # candidates only move forward, so one pointer sweeps the busy list
        for day in days:
            for opening, closing in _open_windows(schedule, day, tz):
                origin = _seconds(opening)
                for window_start, window_end in _subtract([(opening, closing)], time_off):
                    # Stay on the grid that starts at opening time, after time off too.
                    candidate = origin - ((origin - _seconds(window_start)) // step) * step
                    if candidate < earliest:
                        candidate -= ((candidate - earliest) // step) * step
                    stop = min(_seconds(window_end) - duration, latest - 1)
                    while candidate <= stop:
                        while j < count and busy_ends[j] <= candidate:
                            j += 1
                        if j < count and busy_starts[j] < candidate + held:
                            # Taken: jump straight to the first grid time after it.
                            candidate -= ((candidate - busy_ends[j]) // step) * step
                            continue
                        found.append((candidate, pid, name))
                        candidate += step
    found.sort(key=lambda item: (item[0], item[1]))
    span = timedelta(seconds=duration)
    slots = []
    for seconds, pid, name in found:
        start = _EPOCH + timedelta(seconds=seconds)
        slots.append(Slot(start, start + span, pid, name))
    return slots


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seconds(moment: datetime) -> int:
    """Whole seconds since the epoch (slot times are always whole minutes)."""
    return int(moment.timestamp())


def _merged(busy: Iterable[Interval]) -> tuple[list[int], list[int]]:
    """Busy intervals as sorted, disjoint [start, end) second ranges."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted([(int(b.start.timestamp()), int(b.end.timestamp())) for b in busy]):
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def slot_is_free(
    schedule: PractitionerSchedule,
    start: datetime,
    *,
    duration_minutes: int,
    buffer_minutes: int,
    now: datetime,
    rules: Rules,
) -> bool:
    """Whether `start` is one of the free slots offered for this practitioner."""
    day = start.astimezone(ZoneInfo(rules.timezone)).date()
    start = start.astimezone(UTC)
    return any(
        slot.start == start
        for slot in free_slots(
            [schedule],
            duration_minutes=duration_minutes,
            buffer_minutes=buffer_minutes,
            first_day=day,
            last_day=day,
            now=now,
            rules=rules,
        )
    )
