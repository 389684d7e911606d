"""The rest of a course as a series: wanted times, free or taken, alternatives, the horizon.

Free slots come from the real availability engine, so breaks, time off and bookings are
cut out as the booking pages cut them. Times read as clinic wall-clock strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain import clock
from booking.domain.availability import (
    Interval,
    PractitionerSchedule,
    Rules,
    WeeklyHours,
    free_slots,
)
from booking.domain.series import every_days_problem, propose, wanted_times

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RULES = Rules("America/New_York", step_minutes=15, min_notice_minutes=0, horizon_days=400)
ANNA, BEN = 1, 2
MONDAY = date(2026, 1, 5)


def weekdays(start=time(9), end=time(17), **breaks) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(day, start, end, **breaks) for day in range(5))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.at(day, time(hour, minute), NY)


def text(moment: datetime) -> str:
    """'Tue 13 Jan 10:00' in clinic time."""
    return f"{moment.astimezone(NY):%a %d %b %H:%M}"


def series(
    anchor_day: date,
    moment: time,
    *,
    every: int = 7,
    count: int = 4,
    schedules=None,
    practitioner: int | None = ANNA,
    latest: datetime | None = None,
):
    schedules = schedules or [PractitionerSchedule(ANNA, "Anna", weekdays())]
    wanted = wanted_times(anchor_day, moment, every, count, NY)
    first = clock.local_date(wanted[0], NY)
    last = clock.local_date(wanted[-1], NY) + timedelta(days=1)
    free = free_slots(
        schedules,
        duration_minutes=45,
        buffer_minutes=0,
        first_day=first,
        last_day=last,
        now=NOW,
        rules=RULES,
    )
    return propose(
        wanted,
        free,
        practitioner_id=practitioner,
        latest=latest or NOW + timedelta(days=400),
        tz=NY,
    )


def test_a_weekly_series_keeps_the_day_and_time_with_the_same_practitioner():
    result = series(MONDAY, time(10), count=3)
    assert [text(p.wanted) for p in result.proposals] == [
        "Mon 12 Jan 10:00",
        "Mon 19 Jan 10:00",
        "Mon 26 Jan 10:00",
    ]
    assert all(p.free and p.slot.practitioner_id == ANNA for p in result.proposals)
    assert [p.number for p in result.proposals] == [1, 2, 3]
    assert result.beyond_horizon == ()


@pytest.mark.parametrize(
    ("anchor", "expected_utc_hours"),
    [
        # US clocks go back on Sunday 1 November 2026: 10 am is 14:00 UTC, then 15:00.
        pytest.param(date(2026, 10, 19), [14, 15, 15], id="autumn-back"),
        # ... and forward on Sunday 8 March 2026: 10 am is 15:00 UTC, then 14:00.
        pytest.param(date(2026, 2, 23), [15, 14, 14], id="spring-forward"),
    ],
)
def test_the_week_the_clocks_change_the_session_stays_at_ten_in_the_morning(
    anchor, expected_utc_hours
):
    result = series(anchor, time(10), count=3)
    assert [p.wanted.astimezone(NY).time() for p in result.proposals] == [time(10)] * 3
    assert all(p.free for p in result.proposals)
    assert [p.slot.start.astimezone(UTC).hour for p in result.proposals] == expected_utc_hours


def test_time_off_inside_the_series_offers_the_next_day_nearest_the_time():
    # Anna is away all of Monday 19 January.
    away = Interval(*clock.day_bounds(date(2026, 1, 19), NY))
    schedules = [PractitionerSchedule(ANNA, "Anna", weekdays(), time_off=(away,))]
    result = series(MONDAY, time(10), count=3, schedules=schedules)
    taken = result.proposals[1]
    assert not taken.free
    assert [text(s.start) for s in taken.alternatives] == [
        "Tue 20 Jan 09:45",
        "Tue 20 Jan 10:00",
        "Tue 20 Jan 10:15",
    ]
    assert result.proposals[0].free and result.proposals[2].free
    assert [p.number for p in result.taken] == [2]


def test_a_break_at_the_series_time_offers_the_times_around_it():
    # Every three days from Monday 12:15: Thursday has a break from 12 to 1.
    hours = (
        WeeklyHours(0, time(9), time(17)),
        WeeklyHours(3, time(9), time(17), time(12), time(13)),
    )
    schedules = [PractitionerSchedule(ANNA, "Anna", hours)]
    result = series(MONDAY, time(12, 15), every=3, count=1, schedules=schedules)
    (thursday,) = result.proposals
    assert text(thursday.wanted) == "Thu 08 Jan 12:15"
    assert not thursday.free
    # 45 minutes: 11:15 is the last that ends by the break, 13:00 the first after it.
    assert [text(s.start) for s in thursday.alternatives] == [
        "Thu 08 Jan 11:15",
        "Thu 08 Jan 13:00",
        "Thu 08 Jan 13:15",
    ]


def test_a_taken_time_offers_the_same_practitioner_that_day_and_the_next():
    busy = (Interval(local(date(2026, 1, 12), 10), local(date(2026, 1, 12), 11)),)
    schedules = [
        PractitionerSchedule(ANNA, "Anna", weekdays(), busy=busy),
        PractitionerSchedule(BEN, "Ben", weekdays()),
    ]
    result = series(MONDAY, time(10), count=1, schedules=schedules)
    (first,) = result.proposals
    assert not first.free
    assert {s.practitioner_id for s in first.alternatives} == {ANNA}
    assert [text(s.start) for s in first.alternatives] == [
        "Mon 12 Jan 09:00",
        "Mon 12 Jan 09:15",
        "Tue 13 Jan 10:00",
    ]


def test_another_practitioner_is_offered_when_the_same_one_has_nothing_near():
    away = Interval(local(date(2026, 1, 12), 0), local(date(2026, 1, 14), 0))
    schedules = [
        PractitionerSchedule(ANNA, "Anna", weekdays(), time_off=(away,)),
        PractitionerSchedule(BEN, "Ben", weekdays()),
    ]
    result = series(MONDAY, time(10), count=1, schedules=schedules)
    (first,) = result.proposals
    assert not first.free
    assert [(text(s.start), s.practitioner_id) for s in first.alternatives] == [
        ("Mon 12 Jan 09:45", BEN),
        ("Mon 12 Jan 10:00", BEN),
        ("Tue 13 Jan 10:00", BEN),
    ]


def test_any_practitioner_takes_whoever_is_free_at_the_time():
    busy = (Interval(local(date(2026, 1, 12), 10), local(date(2026, 1, 12), 11)),)
    schedules = [
        PractitionerSchedule(ANNA, "Anna", weekdays(), busy=busy),
        PractitionerSchedule(BEN, "Ben", weekdays()),
    ]
    result = series(MONDAY, time(10), count=1, schedules=schedules, practitioner=None)
    assert result.proposals[0].free
    assert result.proposals[0].slot.practitioner_id == BEN


def test_alternatives_never_fall_on_another_sessions_day():
    # Sessions on following days (the domain allows it; the pages ask for 2 or more):
    # Monday 12 January is full, and Tuesday is the next session's day.
    full = (Interval(local(date(2026, 1, 12), 9), local(date(2026, 1, 12), 17)),)
    schedules = [PractitionerSchedule(ANNA, "Anna", weekdays(), busy=full)]
    sunday = date(2026, 1, 11)
    monday, tuesday = series(sunday, time(10), every=1, count=2, schedules=schedules).proposals
    assert not monday.free and monday.alternatives == ()
    assert tuesday.free
    # With Monday the only session, Tuesday is offered.
    (monday,) = series(sunday, time(10), every=1, count=1, schedules=schedules).proposals
    assert [text(s.start) for s in monday.alternatives] == [
        "Tue 13 Jan 09:45",
        "Tue 13 Jan 10:00",
        "Tue 13 Jan 10:15",
    ]


def test_the_horizon_cuts_the_series_short():
    latest = local(date(2026, 1, 27), 0)  # bookings open to the start of 27 January
    result = series(MONDAY, time(10), count=5, latest=latest)
    assert [text(p.wanted) for p in result.proposals] == [
        "Mon 12 Jan 10:00",
        "Mon 19 Jan 10:00",
        "Mon 26 Jan 10:00",
    ]
    assert [text(moment) for moment in result.beyond_horizon] == [
        "Mon 02 Feb 10:00",
        "Mon 09 Feb 10:00",
    ]


def test_a_series_after_a_past_session_keeps_its_weekday_and_starts_after_now():
    # The last session was Monday 5 January; it is now Wednesday 28 January, 3 pm.
    now = local(date(2026, 1, 28), 15)
    wanted = wanted_times(MONDAY, time(10), 7, 2, NY, after=now)
    assert [text(moment) for moment in wanted] == ["Mon 02 Feb 10:00", "Mon 09 Feb 10:00"]
    # Later the same day as a session: that day's time is past, so the next one.
    wanted = wanted_times(MONDAY, time(10), 7, 1, NY, after=local(date(2026, 1, 12), 11))
    assert [text(moment) for moment in wanted] == ["Mon 19 Jan 10:00"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [(7, True), (2, True), (28, True), (1, False), (29, False), (True, False), ("7", False)],
)
def test_the_spacing_is_two_to_twenty_eight_days(value, ok):
    assert (every_days_problem(value) is None) is ok


def test_a_day_the_patient_already_has_an_appointment_is_not_proposed():
    # The patient sees someone else on Monday 19 January (another condition, say).
    wanted = wanted_times(MONDAY, time(10), 7, 3, NY)
    schedules = [PractitionerSchedule(ANNA, "Anna", weekdays())]
    free = free_slots(
        schedules,
        duration_minutes=45,
        buffer_minutes=0,
        first_day=date(2026, 1, 12),
        last_day=date(2026, 1, 27),
        now=NOW,
        rules=RULES,
    )
    result = propose(
        wanted,
        free,
        practitioner_id=ANNA,
        latest=NOW + timedelta(days=400),
        tz=NY,
        avoid_days=frozenset({date(2026, 1, 19)}),
    )
    first, second, third = result.proposals
    assert first.free and third.free
    assert not second.free
    # Tuesday is offered instead; Monday itself never is.
    assert {clock.local_date(s.start, NY) for s in second.alternatives} == {date(2026, 1, 20)}
