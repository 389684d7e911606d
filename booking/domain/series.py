"""The rest of a course as a series: the same time of day every N days, and what to offer
where that time is taken.

Pure: takes the anchor (the last session in the diary), the free slots the availability
engine found and the booking horizon, and says for each session of the series whether its
time is free, and if not the nearest free times that day or the next.

Dates step in the clinic's wall-clock time, so a 10:00 session stays at 10:00 in the week
the clocks change; the UTC instant moves by the hour instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.domain import clock
from booking.domain.availability import Slot

EVERY_DAYS = 7  # once a week unless the patient or reception chooses otherwise
EVERY_DAYS_RANGE = (2, 28)  # two sessions a week at most, one every four weeks at least
ALTERNATIVES = 3  # the nearest free times offered for a session whose time is taken
# The day after the wanted one is searched too: a taken Tuesday 10 am may be free on
# Wednesday.
ALTERNATIVE_DAYS = 2


@dataclass(frozen=True, slots=True)
class Proposal:
    """One session of the series: its wanted time, free or not, and what else is near."""

    number: int  # 1, 2, ... within the series
    wanted: datetime  # UTC: the series' wall-clock time on its day
    slot: Slot | None  # the wanted time, free (with the chosen practitioner when there is one)
    alternatives: tuple[Slot, ...] = ()  # nearest free times that day or the next, if not

    @property
    def free(self) -> bool:
        return self.slot is not None


@dataclass(frozen=True, slots=True)
class Series:
    proposals: tuple[Proposal, ...]
    # Wanted times past the booking horizon: they cannot be booked yet.
    beyond_horizon: tuple[datetime, ...] = ()

    @property
    def free(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if p.free)

    @property
    def taken(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if not p.free)


def every_days_problem(every_days: object) -> str | None:
    """Why a spacing cannot be used, or None."""
    low, high = EVERY_DAYS_RANGE
    if (
        isinstance(every_days, bool)
        or not isinstance(every_days, int)
        or not (low <= every_days <= high)
    ):
        return f"Choose a session every {low} to {high} days (7 is once a week)."
    return None


def wanted_times(
    anchor_day: date,
    moment: time,
    every_days: int,
    count: int,
    tz: ZoneInfo,
    after: datetime | None = None,
) -> list[datetime]:
    """`count` UTC instants at wall-clock `moment`, every `every_days` after `anchor_day`.

    The wall-clock time is kept across a change of the clocks; a time the change skips
    (2:30 am on the spring-forward night) comes out as the instant `zoneinfo` gives it.
    With `after`, the series keeps its rhythm but starts with the first time later than
    it (an anchor weeks in the past does not propose past dates).
    """
    step = 1
    if after is not None:
        behind = (clock.local_date(after, tz) - anchor_day).days
        step = max(1, behind // every_days)
        while clock.at(anchor_day + timedelta(days=every_days * step), moment, tz) <= after:
            step += 1
    return [
        clock.at(anchor_day + timedelta(days=every_days * n), moment, tz)
        for n in range(step, step + count)
    ]


def propose(
    wanted: Sequence[datetime],
    free: Iterable[Slot],
    *,
    practitioner_id: int | None,
    latest: datetime,
    tz: ZoneInfo,
    alternatives: int = ALTERNATIVES,
    avoid_days: frozenset[date] = frozenset(),
) -> Series:
    """Each wanted time as a proposal; those at or past `latest` (the horizon) are left out.

    A wanted time is free when `free` holds a slot starting then with the practitioner
    (any practitioner when None) and its day is not in `avoid_days` (the patient's other
    appointments). Otherwise the alternatives are the free times nearest to it on its day
    and the next, the same practitioner's first; a day another session of the series or
    an avoided day falls on is skipped, so no one is booked twice in a day.
    """
    by_start: dict[datetime, list[Slot]] = {}
    by_day: dict = {}
    for slot in free:
        by_start.setdefault(slot.start, []).append(slot)
        by_day.setdefault(clock.local_date(slot.start, tz), []).append(slot)
    within = [moment for moment in wanted if moment < latest]
    beyond = tuple(moment for moment in wanted if moment >= latest)
    series_days = {clock.local_date(moment, tz) for moment in within}
    proposals = []
    for number, moment in enumerate(within, 1):
        day = clock.local_date(moment, tz)
        at_time = [] if day in avoid_days else by_start.get(moment, [])
        slot = _preferred(at_time, practitioner_id)
        if slot is not None:
            proposals.append(Proposal(number, moment, slot))
            continue
        days = [day + timedelta(days=n) for n in range(ALTERNATIVE_DAYS)]
        near = [
            s
            for d in days
            if d not in avoid_days and (d == day or d not in series_days)
            for s in by_day.get(d, [])
        ]
        proposals.append(
            Proposal(
                number, moment, None, _nearest(near, moment, practitioner_id, alternatives, tz)
            )
        )
    return Series(tuple(proposals), beyond)


def _preferred(slots: Sequence[Slot], practitioner_id: int | None) -> Slot | None:
    if practitioner_id is None:
        return slots[0] if slots else None
    return next((s for s in slots if s.practitioner_id == practitioner_id), None)


def _nearest(
    slots: Sequence[Slot],
    moment: datetime,
    practitioner_id: int | None,
    limit: int,
    tz: ZoneInfo,
) -> tuple[Slot, ...]:
    """Up to `limit` slots nearest `moment`'s time of day, one per start time, taken from
    each day in turn (its own day first): "9:15 or 11:00 on Monday, or 10:00 on Tuesday".
    With a practitioner, theirs when they have any, else the others'."""
    if practitioner_id is not None:
        own = [s for s in slots if s.practitioner_id == practitioner_id]
        slots = own or slots
    wanted = _minutes(moment, tz)
    days: dict = {}
    for slot in slots:
        days.setdefault(clock.local_date(slot.start, tz), {}).setdefault(slot.start, slot)
    queues = [
        sorted(found.values(), key=lambda s: (abs(_minutes(s.start, tz) - wanted), s.start))
        for _, found in sorted(days.items())
    ]
    chosen: list[Slot] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return tuple(sorted(chosen, key=lambda s: s.start))


def _minutes(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.hour * 60 + local.minute
