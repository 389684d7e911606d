"""How the clinic is doing: bookings, utilisation, attendance, revenue and patients.

Pure: takes bookings, hours and time off as small values, the clinic's timezone and
`now`, and returns figures to show. Dates are clinic-local and both included; weeks
run Monday to Sunday in clinic time. Open time is built day by day from wall-clock
hours with `zoneinfo`, so a day the clocks change has its real length.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from booking.domain import clock
from booking.domain.availability import Interval, WeeklyHours
from booking.domain.clock import range_bounds
from booking.domain.outcomes import OutcomeFigures
from booking.domain.statuses import ACTIVE_STATUSES, ARRIVED, BOOKED, CANCELLED, FULFILLED, NOSHOW
from booking.errors import ValidationError

# The booking status words (the models use the same words).
# Bookings that held the practitioner's time: what utilisation counts as booked.
# Statuses that hold a practitioner's time: the same set the overlap guard uses.
HELD_TIME = frozenset(ACTIVE_STATUSES)
# Bookings the clinic expected to be paid for: cancellations are the only ones left out.
BOOKED_REVENUE = frozenset({BOOKED, ARRIVED, FULFILLED, NOSHOW})
# Money actually earned: sessions marked done.
REALISED_REVENUE = frozenset({FULFILLED})

MAX_REPORT_DAYS = 400
# The default report: the weeks just gone, this week, and what is booked ahead.
WEEKS_BEFORE = 4
WEEKS_AHEAD = 4
MINUTE = timedelta(minutes=1)


class ReportRangeError(ValidationError):
    """Dates a report cannot cover, with a message for the owner."""

    status = 400


def check_range(first_day: date, last_day: date) -> None:
    """Refuse dates out of order, too far apart or outside the calendar's years."""
    for day in (first_day, last_day):
        if problem := clock.outside_calendar(day):
            raise ReportRangeError(problem)
    if last_day < first_day:
        raise ReportRangeError(
            f"The end date ({last_day.isoformat()}) is before the start date "
            f"({first_day.isoformat()})."
        )
    days = (last_day - first_day).days + 1
    if days > MAX_REPORT_DAYS:
        raise ReportRangeError(
            f"Choose at most {MAX_REPORT_DAYS} days at a time; "
            f"{first_day.isoformat()} to {last_day.isoformat()} is {days} days."
        )


def default_range(today: date) -> tuple[date, date]:
    """Whole weeks, Monday to Sunday: the WEEKS_BEFORE before this one, this week, and
    the WEEKS_AHEAD after it, so a new clinic sees its first bookings, not zeros."""
    monday = clock.week_start(today)
    return monday - timedelta(weeks=WEEKS_BEFORE), monday + timedelta(
        weeks=WEEKS_AHEAD + 1, days=-1
    )


@dataclass(frozen=True, slots=True)
class BookingFact:
    """One booking as the reports count it."""

    start: datetime
    end: datetime
    status: str
    condition: str
    practitioner_id: int
    patient_id: int
    price_cents: int
    currency: str


@dataclass(frozen=True, slots=True)
class PractitionerHours:
    """A practitioner's weekly hours (clinic wall-clock) and time off (UTC)."""

    id: int
    name: str
    hours: tuple[WeeklyHours, ...]
    time_off: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Rate:
    """`part` out of `whole`; no percentage when there is nothing to divide by."""

    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        """Rounded half up to one decimal place: the one place reports round."""
        if not self.whole:
            return None
        value = Decimal(self.part) * 100 / Decimal(self.whole)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class WeekBookings:
    """Bookings not cancelled that start in one week, by condition."""

    week: date  # the Monday
    days: int  # how many of its days are inside the chosen dates (7 but at the edges)
    by_condition: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_condition.values())


@dataclass(frozen=True, slots=True)
class Utilisation:
    practitioner_id: int
    name: str
    booked_minutes: int
    open_minutes: int

    @property
    def rate(self) -> Rate:
        return Rate(self.booked_minutes, self.open_minutes)


@dataclass(frozen=True, slots=True)
class Attendance:
    bookings: int  # every booking starting in the dates, cancelled ones too
    cancelled: int
    started: int  # not cancelled and already started: the ones a patient could miss
    noshows: int

    @property
    def noshow_rate(self) -> Rate:
        return Rate(self.noshows, self.started)

    @property
    def cancellation_rate(self) -> Rate:
        return Rate(self.cancelled, self.bookings)


@dataclass(frozen=True, slots=True)
class WeekRevenue:
    week: date
    days: int
    booked_cents: int
    realised_cents: int


@dataclass(frozen=True, slots=True)
class Revenue:
    currency: str
    weeks: tuple[WeekRevenue, ...]
    # Bookings priced in another currency (from before a change of currency): left out.
    other_currency: int = 0

    @property
    def booked_cents(self) -> int:
        return sum(w.booked_cents for w in self.weeks)

    @property
    def realised_cents(self) -> int:
        return sum(w.realised_cents for w in self.weeks)


@dataclass(frozen=True, slots=True)
class PatientMix:
    """Patients with a booking (not cancelled) in the dates: first time, or back again."""

    new: int
    returning: int

    @property
    def total(self) -> int:
        return self.new + self.returning


@dataclass(frozen=True, slots=True)
class Report:
    first_day: date
    last_day: date
    conditions: tuple[str, ...]
    weeks: tuple[WeekBookings, ...]
    utilisation: tuple[Utilisation, ...]
    attendance: Attendance
    revenue: Revenue
    patients: PatientMix
    # Course outcomes: every condition first, then one per condition (filled by the
    # service, which loads the courses).
    outcomes: tuple[OutcomeFigures, ...] = ()

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _utc(interval: Interval) -> Interval:
    # Python subtracts two datetimes sharing a tzinfo by wall clock, so a span across a
    # clock change would be an hour out; in UTC it is the time that really passed.
    return Interval(interval.start.astimezone(UTC), interval.end.astimezone(UTC))


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for interval in sorted(map(_utc, intervals), key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def open_minutes(
    hours: Iterable[WeeklyHours],
    time_off: Iterable[Interval],
    first_day: date,
    last_day: date,
    timezone: str,
) -> int:
    """Minutes open between two clinic-local dates: weekly hours less breaks and time off.

    Each day's wall-clock windows become instants on that date, so an opening that
    spans a clock change counts the time that really passes (an hour less in spring).
    """
    tz = ZoneInfo(timezone)
    by_weekday: dict[int, list[WeeklyHours]] = {}
    for day_hours in hours:
        by_weekday.setdefault(day_hours.weekday, []).append(day_hours)
    off = _merged(time_off)
    total = timedelta(0)
    for day in clock.days_between(first_day, last_day):
        for day_hours in by_weekday.get(day.weekday(), ()):
            for start, end in day_hours.local_windows():
                opening, closing = clock.span(day, start, end, tz)
                if closing <= opening:
                    continue
                total += closing - opening
                for cut in off:
                    if cut.start >= closing:
                        break
                    if cut.end > opening:
                        total -= min(cut.end, closing) - max(cut.start, opening)
    return total // MINUTE


# A booking not cancelled, with its start in UTC and the index of its week in the report.
Counted = tuple[BookingFact, datetime, int]


def build_report(
    bookings: Iterable[BookingFact],
    practitioners: Iterable[PractitionerHours],
    first_seen: Mapping[int, datetime],
    *,
    first_day: date,
    last_day: date,
    timezone: str,
    currency: str,
    conditions: tuple[str, ...],
    now: datetime,
) -> Report:
    """Every report for bookings starting between two clinic-local dates, both included.

    `first_seen` holds, per patient, the start of their first-ever booking that was not
    cancelled; a patient whose first one falls in the dates is new, else returning.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = ZoneInfo(timezone)
    range_start, range_end = range_bounds(first_day, last_day, timezone)
    weeks = report_weeks(first_day, last_day)
    # Where each week starts, as an instant: a booking's week is found by bisection,
    # without turning each of a year's bookings into local time.
    week_starts = [clock.at(monday, time(0), tz) for monday, _ in weeks]
    every, counted = counted_bookings(bookings, range_start, range_end, week_starts)
    return Report(
        first_day=first_day,
        last_day=last_day,
        conditions=conditions,
        weeks=weeks_by_condition(counted, weeks, conditions),
        utilisation=utilisation(counted, practitioners, first_day, last_day, timezone),
        attendance=attendance(every, counted, now),
        revenue=revenue(counted, weeks, currency),
        patients=patient_mix(counted, first_seen, range_start),
    )


def report_weeks(first_day: date, last_day: date) -> list[tuple[date, int]]:
    """The Monday of each week the dates touch, and how many of its days are in them."""
    mondays = [
        clock.week_start(first_day) + timedelta(weeks=n) for n in _week_count(first_day, last_day)
    ]
    return [(monday, _days_inside(monday, first_day, last_day)) for monday in mondays]


def counted_bookings(
    bookings: Iterable[BookingFact],
    range_start: datetime,
    range_end: datetime,
    week_starts: list[datetime],
) -> tuple[int, list[Counted]]:
    """How many bookings start in [range_start, range_end), and those not cancelled.

    `week_starts` are the instants the report's weeks start, in order.
    """
    every = 0
    counted: list[Counted] = []
    for fact in bookings:
        start = fact.start.astimezone(UTC)
        if not range_start <= start < range_end:
            continue
        every += 1
        if fact.status != CANCELLED:
            counted.append((fact, start, bisect_right(week_starts, start) - 1))
    return every, counted


def weeks_by_condition(
    counted: list[Counted], weeks: list[tuple[date, int]], conditions: tuple[str, ...]
) -> tuple[WeekBookings, ...]:
    """Bookings counted per week by condition; every condition is listed, even at 0."""
    counts = [dict.fromkeys(conditions, 0) for _ in weeks]
    for fact, _, week in counted:
        by_condition = counts[week]
        by_condition[fact.condition] = by_condition.get(fact.condition, 0) + 1
    return tuple(WeekBookings(monday, days, counts[i]) for i, (monday, days) in enumerate(weeks))


def utilisation(
    counted: list[Counted],
    practitioners: Iterable[PractitionerHours],
    first_day: date,
    last_day: date,
    timezone: str,
) -> tuple[Utilisation, ...]:
    """Per practitioner, the minutes bookings held against the minutes open."""
    held: dict[int, int] = {}
    for fact, start, _ in counted:
        if fact.status in HELD_TIME:
            # In UTC, so a booking across a clock change counts the time really taken.
            minutes = (fact.end.astimezone(UTC) - start) // MINUTE
            held[fact.practitioner_id] = held.get(fact.practitioner_id, 0) + minutes
    return tuple(
        Utilisation(
            p.id,
            p.name,
            held.get(p.id, 0),
            open_minutes(p.hours, p.time_off, first_day, last_day, timezone),
        )
        for p in practitioners
    )


def attendance(every: int, counted: list[Counted], now: datetime) -> Attendance:
    """Cancellations out of every booking; no-shows out of those already started."""
    started = [fact for fact, start, _ in counted if start < now]
    noshows = sum(1 for fact in started if fact.status == NOSHOW)
    return Attendance(every, every - len(counted), len(started), noshows)


def revenue(counted: list[Counted], weeks: list[tuple[date, int]], currency: str) -> Revenue:
    """Booked and realised money per week; bookings priced in another currency are counted."""
    booked, realised = [0] * len(weeks), [0] * len(weeks)
    other_currency = 0
    for fact, _, week in counted:
        if fact.currency != currency:
            other_currency += 1
            continue
        if fact.status in BOOKED_REVENUE:
            booked[week] += fact.price_cents
        if fact.status in REALISED_REVENUE:
            realised[week] += fact.price_cents
    return Revenue(
        currency,
        tuple(
            WeekRevenue(monday, days, booked[i], realised[i])
            for i, (monday, days) in enumerate(weeks)
        ),
        other_currency,
    )


def patient_mix(
    counted: list[Counted], first_seen: Mapping[int, datetime], range_start: datetime
) -> PatientMix:
    """Patients with a booking counted: new unless first seen before `range_start`."""
    # A patient with no earlier booking on record is new.
    patients = {fact.patient_id for fact, _, _ in counted}
    returning = sum(1 for p in patients if first_seen.get(p, range_start) < range_start)
    return PatientMix(len(patients) - returning, returning)


def _week_count(first_day: date, last_day: date) -> range:
    return range((clock.week_start(last_day) - clock.week_start(first_day)).days // 7 + 1)


def _days_inside(monday: date, first_day: date, last_day: date) -> int:
    return (min(monday + timedelta(days=6), last_day) - max(monday, first_day)).days + 1
