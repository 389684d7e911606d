"""The waitlist's rules: which free time suits whom, who is first, how long a hold lasts.

Pure: callers pass the waiting entries (their wishes in clinic wall-clock terms), the
free times as aware UTC datetimes, the clinic's timezone and `now`. Wall-clock hours
are compared on the clinic's own clock, so on the days the clocks change a patient who
wants mornings is offered 9 am, whatever its UTC hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.errors import ValidationError

MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
# Where each part of the day starts and ends on the clinic's clock. An appointment
# belongs to the part its start falls in.
PARTS_OF_DAY = {
    MORNING: (time(0, 0), time(12, 0)),
    AFTERNOON: (time(12, 0), time(17, 0)),
    EVENING: (time(17, 0), time(23, 59, 59)),
}
PART_LABELS = {
    MORNING: "Mornings (before 12 pm)",
    AFTERNOON: "Afternoons (12 pm to 5 pm)",
    EVENING: "Evenings (from 5 pm)",
}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Entry statuses: still in line, or why not.
WAITING, BOOKED, LEFT, REMOVED, EXPIRED = "waiting", "booked", "left", "removed", "expired"
ENTRY_STATUSES = (WAITING, BOOKED, LEFT, REMOVED, EXPIRED)
# Offer statuses: only an OFFERED one holds the practitioner's time.
OFFERED, CLAIMED, DECLINED, LAPSED, WITHDRAWN = (
    "offered",
    "claimed",
    "declined",
    "lapsed",
    "withdrawn",
)
OFFER_STATUSES = (OFFERED, CLAIMED, DECLINED, LAPSED, WITHDRAWN)

# An offer that would lapse sooner than this after it is made is not worth making:
# nobody reads an email and books in five minutes.
SHORTEST_HOLD = timedelta(minutes=15)
# The patient is reminded this long before an unclaimed offer lapses (when the hold is
# long enough for a reminder to mean anything).
REMIND_BEFORE = timedelta(minutes=30)
# A time reception takes back from an offer stays free for the desk this long (to book
# the patient in front of them) before it goes to the next in line.
DESK_KEEPS = timedelta(minutes=15)
# After this many offers in a row lapse unanswered the entry leaves the line: its place
# is holding times nobody takes.
LAPSES_BEFORE_REMOVAL = 2
# The longest a patient may ask to wait, whatever the owner's setting.
LONGEST_WEEKS = 26


@dataclass(frozen=True, slots=True)
class Wish:
    """What a waiting patient can take, in the clinic's wall-clock terms.

    Empty `days` or `parts` mean any; `between` (start, end) is a time range the whole
    appointment must fit in, used instead of parts of the day.
    """

    service_id: int
    earliest: date
    latest: date
    days: frozenset[int] = frozenset()
    parts: frozenset[str] = frozenset()
    between: tuple[time, time] | None = None
    practitioner_id: int | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A free time for one service with one practitioner; held from start to `until`."""

    service_id: int
    practitioner_id: int
    start: datetime
    end: datetime
    until: datetime

    def overlaps(self, other: Candidate) -> bool:
        return (
            self.practitioner_id == other.practitioner_id
            and self.start < other.until
            and other.start < self.until
        )


@dataclass(frozen=True, slots=True)
class Waiting:
    """One entry in line: its place (lower is sooner), whose it is and what suits them."""

    entry_id: int
    patient_id: int
    place: int
    wish: Wish
    # (practitioner id, start) of times already offered to this entry: never again.
    refused: frozenset[tuple[int, datetime]] = frozenset()


def suits(wish: Wish, start: datetime, end: datetime, practitioner_id: int, tz: ZoneInfo) -> bool:
    """Whether an appointment from `start` to `end` with this practitioner suits the wish."""
    if wish.practitioner_id is not None and wish.practitioner_id != practitioner_id:
        return False
    local_start = start.astimezone(tz)
    day = local_start.date()
    if not wish.earliest <= day <= wish.latest:
        return False
    if wish.days and day.weekday() not in wish.days:
        return False
    clock_start = local_start.time().replace(tzinfo=None)
    if wish.between is not None:
        local_end = end.astimezone(tz)
        if local_end.date() != day:
            return False
        return wish.between[0] <= clock_start and local_end.time() <= wish.between[1]
    if wish.parts:
        return any(
            PARTS_OF_DAY[part][0] <= clock_start < PARTS_OF_DAY[part][1] for part in wish.parts
        )
    return True


def in_line(entries: Iterable[Waiting]) -> list[Waiting]:
    """First come, first served: by place, and by when they joined for equal places."""
    return sorted(entries, key=lambda w: (w.place, w.entry_id))


def assign(
    entries: Iterable[Waiting],
    free: Iterable[Candidate],
    tz: ZoneInfo,
    *,
    busy_patients: Iterable[int] = (),
) -> list[tuple[Waiting, Candidate]]:
    """Who is offered which time: each entry in line takes the earliest free time that
    suits it and that nobody ahead of it took.

    A patient holds one offer at a time (`busy_patients` already hold one), and a time
    taken by one offer takes every overlapping time with that practitioner with it.
    """
    candidates = sorted(free, key=lambda c: (c.start, c.practitioner_id, c.service_id))
    busy = set(busy_patients)
    taken: list[Candidate] = []
    made: list[tuple[Waiting, Candidate]] = []
    for entry in in_line(entries):
        if entry.patient_id in busy:
            continue
        wish = entry.wish
        for candidate in candidates:
            if (
                candidate.service_id == wish.service_id
                and (candidate.practitioner_id, candidate.start) not in entry.refused
                and suits(wish, candidate.start, candidate.end, candidate.practitioner_id, tz)
                and not any(candidate.overlaps(t) for t in taken)
            ):
                made.append((entry, candidate))
                taken.append(candidate)
                busy.add(entry.patient_id)
                break
    return made


def hold_until(
    now: datetime, start: datetime, *, hold_minutes: int, notice_minutes: int
) -> datetime | None:
    """When an offer made now for `start` lapses: after the owner's hold, but never past
    the minimum notice before the appointment. None when that leaves too little time."""
    until = min(now + timedelta(minutes=hold_minutes), start - timedelta(minutes=notice_minutes))
    return until if until - now >= SHORTEST_HOLD else None


def remind_at(offered_at: datetime, expires_at: datetime) -> datetime | None:
    """When to remind the patient of an unclaimed offer; None for a hold too short for it."""
    if expires_at - offered_at < 2 * REMIND_BEFORE:
        return None
    return expires_at - REMIND_BEFORE


def closes_on(joined: date, latest: date, weeks: int) -> date:
    """The last day an entry stays in line: its latest date, or `weeks` after joining."""
    return min(latest, joined + timedelta(weeks=weeks))


def check_wish(wish: Wish, today: date, *, weeks: int, horizon_days: int) -> None:
    """Refuse (ValidationError naming the field) a wish that could never be met."""
    weeks = min(weeks, LONGEST_WEEKS)
    if wish.earliest < today:
        raise ValidationError(
            "The earliest date has passed. Choose today or a later date.",
            {"earliest": "Choose today or a later date."},
        )
    if wish.latest < wish.earliest:
        raise ValidationError(
            "The latest date is before the earliest date.",
            {"latest": "Choose a date on or after the earliest date."},
        )
    last = today + timedelta(days=min(weeks * 7, horizon_days))
    if wish.earliest > last:
        raise ValidationError(
            f"We can only keep a place on the waitlist for times up to {last:%B} {last.day}.",
            {"earliest": f"Choose a date up to {last.isoformat()}."},
        )
    if wish.latest > last:
        raise ValidationError(
            f"We can only keep a place on the waitlist for times up to {last:%B} {last.day}: "
            "choose an earlier latest date.",
            {"latest": f"Choose a date up to {last.isoformat()}."},
        )
    if any(day not in range(7) for day in wish.days):
        raise ValidationError("Choose days of the week.", {"days": "Unknown day."})
    if any(part not in PARTS_OF_DAY for part in wish.parts):
        raise ValidationError(
            "Choose mornings, afternoons or evenings.", {"parts_of_day": "Unknown part of day."}
        )
    if wish.between is not None and wish.parts:
        raise ValidationError(
            "Choose parts of the day or a time range, not both.",
            {"between": "Choose parts of the day or a time range, not both."},
        )
    if wish.between is not None and not wish.between[0] < wish.between[1]:
        raise ValidationError(
            "The time range ends before it starts.",
            {"between": "The end of the range must be after its start."},
        )
    if wish.days and not any(
        (wish.earliest + timedelta(days=n)).weekday() in wish.days
        for n in range(min((wish.latest - wish.earliest).days + 1, 7))
    ):
        raise ValidationError(
            "None of the days chosen falls between the earliest and latest dates.",
            {"days": "Choose a day that falls between the dates."},
        )


def describe(wish: Wish) -> str:
    """The wish in a few words, for the patient's page and the staff list."""
    days = (
        "any day"
        if not wish.days or len(wish.days) == 7
        else ", ".join(WEEKDAY_NAMES[d].title()[:3] for d in sorted(wish.days))
    )
    if wish.between is not None:
        hours = f"between {_clock(wish.between[0])} and {_clock(wish.between[1])}"
    elif wish.parts and len(wish.parts) < len(PARTS_OF_DAY):
        hours = " or ".join(p + "s" for p in PARTS_OF_DAY if p in wish.parts)
    else:
        hours = "any time"
    return f"{days}, {hours}"


def _clock(moment: time) -> str:
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour} {suffix}"
