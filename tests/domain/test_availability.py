"""Free slots from weekly hours, breaks, time off, bookings, notice and horizon.

Every test passes `now` in explicitly; nothing patches the clock. Expected times are
written as clinic wall-clock strings so a failure reads like what a patient would see.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.availability import (
    Interval,
    PractitionerSchedule,
    Rules,
    WeeklyHours,
    add_free_starts,
    free_slots,
)
from booking.domain.clock import day_bounds, range_bounds

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
NY = ZoneInfo(NEW_YORK)
LON = ZoneInfo(LONDON)

# Far enough before every date used below; the long horizon keeps it out of the way.
EARLY_NOW = datetime(2026, 1, 1, tzinfo=UTC)

# A week in January (no DST anywhere near): Monday 5th .. Sunday 11th.
MON = date(2026, 1, 5)
TUE = date(2026, 1, 6)
WED = date(2026, 1, 7)
THU = date(2026, 1, 8)
FRI = date(2026, 1, 9)
SAT = date(2026, 1, 10)
SUN = date(2026, 1, 11)


def booking_rules(
    timezone: str = NEW_YORK,
    *,
    step: int = 30,
    notice: int = 0,
    horizon_days: int = 400,
) -> Rules:
    return Rules(
        timezone=timezone,
        step_minutes=step,
        min_notice_minutes=notice,
        horizon_days=horizon_days,
    )


def every_day(start: time, end: time, **break_times: time) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(weekday, start, end, **break_times) for weekday in range(7))


def schedule(
    hours: tuple[WeeklyHours, ...] | None = None,
    *,
    pid: int = 1,
    name: str = "Ana",
    time_off: tuple[Interval, ...] = (),
    busy: tuple[Interval, ...] = (),
) -> PractitionerSchedule:
    if hours is None:
        hours = every_day(time(9), time(17))
    return PractitionerSchedule(pid, name, hours, time_off=time_off, busy=busy)


def slots(
    schedules: list[PractitionerSchedule] | PractitionerSchedule,
    first_day: date,
    last_day: date | None = None,
    *,
    duration: int = 30,
    buffer: int = 0,
    now: datetime = EARLY_NOW,
    rules: Rules | None = None,
):
    if isinstance(schedules, PractitionerSchedule):
        schedules = [schedules]
    return free_slots(
        schedules,
        duration_minutes=duration,
        buffer_minutes=buffer,
        first_day=first_day,
        last_day=last_day or first_day,
        now=now,
        rules=rules or booking_rules(),
    )


def slot_is_free(
    one: PractitionerSchedule,
    start: datetime,
    *,
    duration_minutes: int,
    buffer_minutes: int,
    now: datetime,
    rules: Rules,
) -> bool:
    """Whether `start` is one of the free slots offered for this practitioner that day."""
    day = start.astimezone(ZoneInfo(rules.timezone)).date()
    found = slots(one, day, duration=duration_minutes, buffer=buffer_minutes, now=now, rules=rules)
    return start.astimezone(UTC) in {s.start for s in found}


def local(day: date, hhmm: str, tz: ZoneInfo = NY) -> datetime:
    """A clinic wall-clock time as an aware UTC instant (unambiguous times only)."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def hhmm(instant: datetime, tz: ZoneInfo = NY) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def wall_times(found, tz: ZoneInfo = NY) -> list[str]:
    return [hhmm(slot.start, tz) for slot in found]


def times_from(first: str, last: str, step: int) -> list[str]:
    """Wall-clock strings first..last inclusive, every `step` minutes (same day)."""
    start = datetime.combine(MON, time.fromisoformat(first))
    end = datetime.combine(MON, time.fromisoformat(last))
    out = []
    while start <= end:
        out.append(start.strftime("%H:%M"))
        start += timedelta(minutes=step)
    return out


# --------------------------------------------------------------------------- weekdays

WEEK_HOURS = (
    WeeklyHours(0, time(9), time(17)),  # Monday
    WeeklyHours(1, time(10), time(18)),  # Tuesday
    # Wednesday closed
    WeeklyHours(3, time(8), time(12)),  # Thursday
    WeeklyHours(4, time(13), time(19, 30)),  # Friday
    WeeklyHours(5, time(9, 30), time(12)),  # Saturday
    # Sunday closed
)


@pytest.mark.parametrize(
    ("day", "first", "last", "count"),
    [
        pytest.param(MON, "09:00", "16:15", 30, id="monday-09-17"),
        pytest.param(TUE, "10:00", "17:15", 30, id="tuesday-10-18"),
        pytest.param(WED, None, None, 0, id="wednesday-closed"),
        pytest.param(THU, "08:00", "11:15", 14, id="thursday-08-12"),
        pytest.param(FRI, "13:00", "18:45", 24, id="friday-13-1930"),
        pytest.param(SAT, "09:30", "11:15", 8, id="saturday-0930-12"),
        pytest.param(SUN, None, None, 0, id="sunday-closed"),
    ],
)
def test_each_weekday_offers_slots_only_within_its_own_hours(day, first, last, count):
    # 45-minute appointments on a 15-minute grid: the last one must end by closing.
    week = slots(schedule(WEEK_HOURS), MON, SUN, duration=45, rules=booking_rules(step=15))
    on_day = [s for s in week if s.start.astimezone(NY).date() == day]

    assert len(on_day) == count
    if count:
        assert hhmm(on_day[0].start) == first
        assert hhmm(on_day[-1].start) == last
        assert wall_times(on_day) == times_from(first, last, 15)


def test_week_has_no_slots_on_closed_days():
    week = slots(schedule(WEEK_HOURS), MON, SUN, duration=45, rules=booking_rules(step=15))

    days_with_slots = {s.start.astimezone(NY).date() for s in week}
    assert days_with_slots == {MON, TUE, THU, FRI, SAT}


@pytest.mark.parametrize(
    ("start", "offered"),
    [
        pytest.param("16:15", True, id="ends-exactly-at-closing"),
        pytest.param("16:30", False, id="would-end-after-closing"),
        pytest.param("08:45", False, id="before-opening"),
    ],
)
def test_appointment_must_end_by_closing_time(start, offered):
    free = slot_is_free(
        schedule(WEEK_HOURS),
        local(MON, start),
        duration_minutes=45,
        buffer_minutes=0,
        now=EARLY_NOW,
        rules=booking_rules(step=15),
    )
    assert free is offered


def test_each_slot_lasts_exactly_the_service_duration():
    found = slots(schedule(), MON, duration=50, rules=booking_rules(step=15))

    assert found
    assert all(s.end - s.start == timedelta(minutes=50) for s in found)
    assert hhmm(found[-1].end) <= "17:00"


# --------------------------------------------------------------------------- breaks

LUNCH_HOURS = (WeeklyHours(0, time(9), time(13), time(11), time(12)),)


def test_lunch_break_is_cut_out_of_the_day():
    found = slots(schedule(LUNCH_HOURS), MON, rules=booking_rules(step=15))
    lunch = Interval(local(MON, "11:00"), local(MON, "12:00"))

    assert wall_times(found) == times_from("09:00", "10:30", 15) + times_from("12:00", "12:30", 15)
    assert not any(lunch.overlaps(Interval(s.start, s.end)) for s in found)


@pytest.mark.parametrize(
    ("start", "offered"),
    [
        pytest.param("10:30", True, id="ends-exactly-at-break-start"),
        pytest.param("10:45", False, id="runs-into-break"),
        pytest.param("11:00", False, id="starts-at-break-start"),
        pytest.param("11:30", False, id="inside-break"),
        pytest.param("11:45", False, id="straddles-break-end"),
        pytest.param("12:00", True, id="starts-at-break-end"),
    ],
)
def test_slot_around_the_break(start, offered):
    free = slot_is_free(
        schedule(LUNCH_HOURS),
        local(MON, start),
        duration_minutes=30,
        buffer_minutes=0,
        now=EARLY_NOW,
        rules=booking_rules(step=15),
    )
    assert free is offered


# --------------------------------------------------------------------------- DST

DST_DAYS = [
    # (timezone, the day the clocks change, the same weekday one week earlier)
    pytest.param(NEW_YORK, date(2026, 3, 8), date(2026, 3, 1), id="new-york-spring-forward"),
    pytest.param(NEW_YORK, date(2026, 11, 1), date(2026, 10, 25), id="new-york-fall-back"),
    pytest.param(LONDON, date(2026, 3, 29), date(2026, 3, 22), id="london-spring-forward"),
    pytest.param(LONDON, date(2026, 10, 25), date(2026, 10, 18), id="london-fall-back"),
]


@pytest.mark.parametrize(("timezone", "dst_day", "normal_day"), DST_DAYS)
def test_dst_day_keeps_wall_clock_slots(timezone, dst_day, normal_day):
    tz = ZoneInfo(timezone)
    practitioner = schedule(every_day(time(9), time(17)))
    on_dst_day = slots(practitioner, dst_day, duration=60, rules=booking_rules(timezone))
    on_normal_day = slots(practitioner, normal_day, duration=60, rules=booking_rules(timezone))

    # Same wall-clock times: none shifted by an hour, none lost, none doubled.
    assert wall_times(on_dst_day, tz) == times_from("09:00", "16:00", 30)
    assert wall_times(on_dst_day, tz) == wall_times(on_normal_day, tz)
    assert len(on_dst_day) == len(on_normal_day) == 15
    assert len({s.start for s in on_dst_day}) == len(on_dst_day)
    # And the offset really did change between the two days, so the UTC instants differ.
    assert on_dst_day[0].start.astimezone(tz).utcoffset() != (
        on_normal_day[0].start.astimezone(tz).utcoffset()
    )
    # Every appointment still lasts an hour of real time.
    assert all(s.end - s.start == timedelta(hours=1) for s in on_dst_day)


NIGHT_FALL_BACK = [
    pytest.param(
        NEW_YORK,
        date(2026, 11, 1),
        [
            ("00:00", -4), ("00:30", -4), ("01:00", -4), ("01:30", -4),
            ("01:00", -5), ("01:30", -5), ("02:00", -5), ("02:30", -5),
            ("03:00", -5), ("03:30", -5),
        ],
        id="new-york",
    ),
    pytest.param(
        LONDON,
        date(2026, 10, 25),
        [
            ("00:00", 1), ("00:30", 1), ("01:00", 1), ("01:30", 1),
            ("01:00", 0), ("01:30", 0), ("02:00", 0), ("02:30", 0),
            ("03:00", 0), ("03:30", 0),
        ],
        id="london",
    ),
]  # fmt: skip


def _wall_and_offset(found, tz: ZoneInfo) -> list[tuple[str, int]]:
    out = []
    for s in found:
        wall = s.start.astimezone(tz)
        out.append((wall.strftime("%H:%M"), int(wall.utcoffset() / timedelta(hours=1))))
    return out


def _assert_stepped(found, step_minutes: int) -> None:
    starts = [s.start for s in found]
    gaps = {b - a for a, b in zip(starts, starts[1:], strict=False)}
    assert gaps == {timedelta(minutes=step_minutes)}


@pytest.mark.parametrize(("timezone", "day", "expected"), NIGHT_FALL_BACK)
def test_fall_back_night_offers_repeated_hour_twice_as_distinct_instants(timezone, day, expected):
    tz = ZoneInfo(timezone)
    found = slots(schedule(every_day(time(0), time(4))), day, rules=booking_rules(timezone))

    assert _wall_and_offset(found, tz) == expected
    # 01:00 and 01:30 each appear twice on the wall clock but are different moments.
    assert wall_times(found, tz).count("01:00") == 2
    assert wall_times(found, tz).count("01:30") == 2
    assert len({s.start for s in found}) == len(found) == 10
    _assert_stepped(found, 30)


NIGHT_SPRING_FORWARD = [
    pytest.param(
        NEW_YORK,
        date(2026, 3, 8),
        [("00:00", -5), ("00:30", -5), ("01:00", -5), ("01:30", -5), ("03:00", -4), ("03:30", -4)],
        "02:",
        id="new-york",
    ),
    pytest.param(
        LONDON,
        date(2026, 3, 29),
        [("00:00", 0), ("00:30", 0), ("02:00", 1), ("02:30", 1), ("03:00", 1), ("03:30", 1)],
        "01:",
        id="london",
    ),
]


@pytest.mark.parametrize(("timezone", "day", "expected", "skipped_hour"), NIGHT_SPRING_FORWARD)
def test_spring_forward_night_skips_the_missing_hour(timezone, day, expected, skipped_hour):
    tz = ZoneInfo(timezone)
    found = slots(schedule(every_day(time(0), time(4))), day, rules=booking_rules(timezone))

    assert _wall_and_offset(found, tz) == expected
    assert not any(t.startswith(skipped_hour) for t in wall_times(found, tz))
    # The night is only three real hours long: six 30-minute slots, strictly increasing.
    assert all(a.start < b.start for a, b in zip(found, found[1:], strict=False))
    _assert_stepped(found, 30)


@pytest.mark.parametrize(
    ("timezone", "day", "hours"),
    [
        pytest.param(NEW_YORK, date(2026, 3, 8), 23, id="new-york-spring-forward"),
        pytest.param(NEW_YORK, date(2026, 11, 1), 25, id="new-york-fall-back"),
        pytest.param(NEW_YORK, date(2026, 3, 1), 24, id="new-york-normal"),
        pytest.param(LONDON, date(2026, 3, 29), 23, id="london-spring-forward"),
        pytest.param(LONDON, date(2026, 10, 25), 25, id="london-fall-back"),
        pytest.param(LONDON, date(2026, 3, 22), 24, id="london-normal"),
    ],
)
def test_local_day_length_on_dst_days(timezone, day, hours):
    start, end = day_bounds(day, ZoneInfo(timezone))
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(ZoneInfo(timezone)).time() == time(0)
    assert end.astimezone(ZoneInfo(timezone)).date() == day + timedelta(days=1)

    single_start, single_end = range_bounds(day, day, timezone)
    assert (single_start, single_end) == (start, end)


@pytest.mark.parametrize(
    ("timezone", "first_day", "last_day", "expected_start", "hours"),
    [
        pytest.param(
            NEW_YORK,
            date(2026, 3, 7),
            date(2026, 3, 9),
            datetime(2026, 3, 7, 5, tzinfo=UTC),
            71,
            id="new-york-across-spring-forward",
        ),
        pytest.param(
            LONDON,
            date(2026, 10, 24),
            date(2026, 10, 26),
            datetime(2026, 10, 23, 23, tzinfo=UTC),
            73,
            id="london-across-fall-back",
        ),
    ],
)
def test_range_bounds_cover_both_end_days_in_local_time(
    timezone, first_day, last_day, expected_start, hours
):
    start, end = range_bounds(first_day, last_day, timezone)
    assert start == expected_start
    assert end - start == timedelta(hours=hours)
    assert start.utcoffset() == timedelta(0)


# --------------------------------------------------------------------------- buffers

# An existing 11:00-12:00 booking whose 15-minute clean-up buffer runs to 12:15.
BOOKED = Interval(local(MON, "11:00"), local(MON, "12:15"))


@pytest.mark.parametrize(
    ("start", "buffer", "offered"),
    [
        pytest.param("09:45", 15, True, id="own-buffer-ends-exactly-at-next-booking"),
        pytest.param("10:00", 15, False, id="own-buffer-runs-into-next-booking"),
        pytest.param("10:00", 0, True, id="no-buffer-ends-exactly-at-next-booking"),
        pytest.param("10:30", 15, False, id="overlaps-booking"),
        pytest.param("11:00", 15, False, id="same-time-as-booking"),
        pytest.param("12:00", 0, False, id="inside-existing-bookings-buffer"),
        pytest.param("12:15", 15, True, id="starts-exactly-when-existing-buffer-ends"),
        pytest.param("16:00", 15, True, id="own-buffer-may-run-past-closing"),
    ],
)
def test_buffers_between_appointments(start, buffer, offered):
    free = slot_is_free(
        schedule(busy=(BOOKED,)),
        local(MON, start),
        duration_minutes=60,
        buffer_minutes=buffer,
        now=EARLY_NOW,
        rules=booking_rules(step=15),
    )
    assert free is offered


def test_busy_interval_blocks_every_overlapping_candidate():
    found = slots(
        schedule(busy=(BOOKED,)), MON, duration=60, buffer=15, rules=booking_rules(step=15)
    )

    assert "09:45" in wall_times(found)
    assert not {"10:00", "10:15", "10:30", "10:45", "11:00", "11:30", "12:00"} & set(
        wall_times(found)
    )
    assert "12:15" in wall_times(found)
    assert all(not BOOKED.overlaps(Interval(s.start, s.end + timedelta(minutes=15))) for s in found)


def test_long_booking_blocks_slots_even_when_shorter_ones_start_later():
    # Passed out of order; a three-hour block must still block its own tail end.
    long_block = Interval(local(MON, "09:00"), local(MON, "12:00"))
    short = Interval(local(MON, "09:30"), local(MON, "09:45"))
    afternoon = Interval(local(MON, "14:00"), local(MON, "14:30"))
    found = slots(schedule(busy=(afternoon, long_block, short)), MON, rules=booking_rules(step=30))

    assert wall_times(found) == ["12:00", "12:30", "13:00", "13:30"] + times_from(
        "14:30", "16:30", 30
    )


# --------------------------------------------------------------------------- notice


@pytest.mark.parametrize(
    ("now_local", "notice", "first"),
    [
        pytest.param("07:00", 120, "09:00", id="notice-ends-at-opening"),
        pytest.param("09:00", 120, "11:00", id="first-slot-exactly-at-notice"),
        pytest.param("09:01", 120, "11:30", id="one-minute-late-skips-to-next-slot"),
        pytest.param("09:10", 60, "10:30", id="one-hour-notice"),
        pytest.param("10:00", 0, "10:00", id="no-notice-now-is-bookable"),
    ],
)
def test_minimum_notice_hides_slots_that_start_too_soon(now_local, notice, first):
    now = local(MON, now_local)
    found = slots(schedule(), MON, now=now, rules=booking_rules(notice=notice))

    assert wall_times(found)[0] == first
    assert all(s.start >= now + timedelta(minutes=notice) for s in found)
    assert wall_times(found) == times_from(first, "16:30", 30)


def test_slot_inside_notice_period_is_not_free():
    now = local(MON, "09:00")
    check = dict(duration_minutes=30, buffer_minutes=0, now=now, rules=booking_rules(notice=120))

    assert slot_is_free(schedule(), local(MON, "10:30"), **check) is False
    assert slot_is_free(schedule(), local(MON, "11:00"), **check) is True


def test_now_may_be_given_in_clinic_local_time():
    now_utc = local(MON, "09:00")
    now_local = now_utc.astimezone(NY)

    assert slots(schedule(), MON, now=now_local, rules=booking_rules(notice=120)) == slots(
        schedule(), MON, now=now_utc, rules=booking_rules(notice=120)
    )


# --------------------------------------------------------------------------- horizon


def test_nothing_offered_at_or_after_the_booking_horizon():
    now = local(MON, "10:00")
    found = slots(schedule(), MON, FRI, now=now, rules=booking_rules(horizon_days=2))
    horizon = now + timedelta(days=2)  # Wednesday 10:00

    assert all(s.start < horizon for s in found)
    assert hhmm(found[-1].start) == "09:30"
    assert found[-1].start.astimezone(NY).date() == WED
    assert {s.start.astimezone(NY).date() for s in found} == {MON, TUE, WED}
    # Monday from now, all of Tuesday, Wednesday morning up to the horizon.
    assert len(found) == 14 + 16 + 2


def test_slot_beyond_horizon_is_not_free():
    now = local(MON, "10:00")
    check = dict(
        duration_minutes=30, buffer_minutes=0, now=now, rules=booking_rules(horizon_days=2)
    )

    assert slot_is_free(schedule(), local(WED, "09:30"), **check) is True
    assert slot_is_free(schedule(), local(WED, "10:00"), **check) is False
    assert slot_is_free(schedule(), local(THU, "09:00"), **check) is False


# --------------------------------------------------------------------------- time off

FULL_DAY = ("09:00", "16:30", 16)

TIME_OFF_CASES = [
    pytest.param(
        (Interval(local(TUE, "00:00"), local(WED, "00:00")),),
        {MON: FULL_DAY, TUE: None, WED: FULL_DAY, THU: FULL_DAY},
        id="whole-day",
    ),
    pytest.param(
        (Interval(local(TUE, "12:00"), local(TUE, "14:00")),),
        {MON: FULL_DAY, TUE: ("09:00", "16:30", 12), WED: FULL_DAY, THU: FULL_DAY},
        id="partial-day",
    ),
    pytest.param(
        (Interval(local(TUE, "13:00"), local(TUE, "23:00")),),
        {MON: FULL_DAY, TUE: ("09:00", "12:30", 8), WED: FULL_DAY, THU: FULL_DAY},
        id="afternoon-off",
    ),
    pytest.param(
        (Interval(local(TUE, "00:00"), local(THU, "12:00")),),
        {MON: FULL_DAY, TUE: None, WED: None, THU: ("12:00", "16:30", 10)},
        id="several-days",
    ),
    pytest.param(
        (
            Interval(local(MON, "09:00"), local(MON, "10:00")),
            Interval(local(WED, "00:00"), local(THU, "00:00")),
        ),
        {MON: ("10:00", "16:30", 14), TUE: FULL_DAY, WED: None, THU: FULL_DAY},
        id="two-separate-spans",
    ),
]


@pytest.mark.parametrize(("time_off", "expected"), TIME_OFF_CASES)
def test_time_off_removes_slots(time_off, expected):
    found = slots(schedule(time_off=time_off), MON, THU)

    for day, summary in expected.items():
        on_day = [s for s in found if s.start.astimezone(NY).date() == day]
        if summary is None:
            assert on_day == [], day
            continue
        assert (hhmm(on_day[0].start), hhmm(on_day[-1].start), len(on_day)) == summary, day
    for off in time_off:
        assert not any(off.overlaps(Interval(s.start, s.end)) for s in found)


@pytest.mark.parametrize(
    ("start", "offered"),
    [
        pytest.param("11:30", True, id="ends-exactly-when-time-off-starts"),
        pytest.param("11:45", False, id="runs-into-time-off"),
        pytest.param("13:30", False, id="during-time-off"),
        pytest.param("14:00", True, id="starts-when-time-off-ends"),
    ],
)
def test_slot_around_partial_time_off(start, offered):
    practitioner = schedule(time_off=(Interval(local(TUE, "12:00"), local(TUE, "14:00")),))
    free = slot_is_free(
        practitioner,
        local(TUE, start),
        duration_minutes=30,
        buffer_minutes=0,
        now=EARLY_NOW,
        rules=booking_rules(step=15),
    )
    assert free is offered


# --------------------------------------------------------------------------- practitioners


def test_several_practitioners_sorted_by_start_then_practitioner():
    ben = schedule(every_day(time(9), time(12)), pid=2, name="Ben")
    ana = schedule(every_day(time(10), time(13)), pid=1, name="Ana")
    found = slots([ben, ana], MON, TUE, duration=60, rules=booking_rules(step=60))

    got = [
        (s.start.astimezone(NY).strftime("%a %H:%M"), s.practitioner_id, s.practitioner_name)
        for s in found
    ]
    day = [
        ("09:00", 2, "Ben"),
        ("10:00", 1, "Ana"),
        ("10:00", 2, "Ben"),
        ("11:00", 1, "Ana"),
        ("11:00", 2, "Ben"),
        ("12:00", 1, "Ana"),
    ]
    assert got == [(f"Mon {t}", pid, name) for t, pid, name in day] + [
        (f"Tue {t}", pid, name) for t, pid, name in day
    ]


def test_one_practitioners_booking_does_not_block_another():
    booked = Interval(local(MON, "10:00"), local(MON, "11:00"))
    ana = schedule(pid=1, name="Ana", busy=(booked,))
    ben = schedule(pid=2, name="Ben")
    found = slots([ana, ben], MON, duration=60, rules=booking_rules(step=60))

    at_ten = [(s.practitioner_id, s.practitioner_name) for s in found if hhmm(s.start) == "10:00"]
    assert at_ten == [(2, "Ben")]
    assert len([s for s in found if s.practitioner_id == 1]) == 7
    assert len([s for s in found if s.practitioner_id == 2]) == 8


# --------------------------------------------------------------------------- step


@pytest.mark.parametrize(
    ("hours", "step", "expected"),
    [
        pytest.param(
            (WeeklyHours(0, time(9, 10), time(10, 40)),),
            15,
            ["09:10", "09:25", "09:40", "09:55", "10:10"],
            id="15-min-from-odd-opening",
        ),
        pytest.param(
            (WeeklyHours(0, time(9, 10), time(10, 40)),),
            30,
            ["09:10", "09:40", "10:10"],
            id="30-min-from-odd-opening",
        ),
        pytest.param(
            (WeeklyHours(0, time(9), time(11)),),
            15,
            times_from("09:00", "10:30", 15),
            id="15-min-on-the-hour",
        ),
        pytest.param(
            (WeeklyHours(0, time(9), time(11)),),
            30,
            ["09:00", "09:30", "10:00", "10:30"],
            id="30-min-on-the-hour",
        ),
        pytest.param(
            (WeeklyHours(0, time(9), time(13), time(10), time(10, 50)),),
            30,
            ["09:00", "09:30", "10:50", "11:20", "11:50", "12:20"],
            id="30-min-restarts-at-break-end",
        ),
    ],
)
def test_slots_step_from_the_start_of_each_open_window(hours, step, expected):
    found = slots(schedule(hours), MON, rules=booking_rules(step=step))
    assert wall_times(found) == expected


# --------------------------------------------------------------------------- one open piece

# In whole seconds from an opening at 0, on a 10-second grid: a 20-second appointment
# holds 30 with its buffer. The piece is [0, 60) unless a case says otherwise.


@pytest.mark.parametrize(
    ("piece", "earliest", "latest", "busy", "expected"),
    [
        pytest.param((0, 60), 0, 1000, [], [0, 10, 20, 30, 40], id="empty-piece"),
        pytest.param((0, 59), 0, 1000, [], [0, 10, 20, 30], id="must-end-in-the-piece"),
        pytest.param((25, 60), 0, 1000, [], [30, 40], id="grid-kept-after-time-off"),
        pytest.param((0, 60), 15, 1000, [], [20, 30, 40], id="notice-rounds-up-to-the-grid"),
        pytest.param((0, 60), 0, 31, [], [0, 10, 20, 30], id="horizon"),
        pytest.param((0, 60), 0, 30, [], [0, 10, 20], id="nothing-at-the-horizon"),
        pytest.param((0, 15), 0, 1000, [], [], id="piece-too-short"),
        pytest.param((0, 60), 0, 1000, [(30, 40)], [0, 40], id="buffer-must-clear-a-booking"),
        pytest.param((0, 60), 0, 1000, [(33, 37)], [0, 40], id="jump-to-grid-after-booking"),
        pytest.param((0, 60), 0, 1000, [(-50, 5), (50, 90)], [10, 20], id="two-bookings"),
        pytest.param((0, 60), 0, 1000, [(-50, 0)], [0, 10, 20, 30, 40], id="ended-at-opening"),
    ],
)
def test_one_open_piece_offers_grid_times_clear_of_bookings(
    piece, earliest, latest, busy, expected
):
    found: list[tuple[int, int, str]] = []
    add_free_starts(
        found,
        7,
        "Ana",
        0,
        *piece,
        earliest=earliest,
        latest=latest,
        step=10,
        duration=20,
        held=30,
        busy_starts=[start for start, _ in busy],
        busy_ends=[end for _, end in busy],
    )
    assert found == [(start, 7, "Ana") for start in expected]


# --------------------------------------------------------------------------- misc


def test_naive_now_is_rejected():
    naive = datetime(2026, 1, 5, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        slots(schedule(), MON, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        slot_is_free(
            schedule(),
            local(MON, "10:00"),
            duration_minutes=30,
            buffer_minutes=0,
            now=naive,
            rules=booking_rules(),
        )


@pytest.mark.parametrize(
    ("start", "offered"),
    [
        pytest.param(local(MON, "10:00"), True, id="utc-on-grid"),
        pytest.param(local(MON, "10:00").astimezone(NY), True, id="clinic-local-on-grid"),
        pytest.param(
            local(MON, "10:00").astimezone(ZoneInfo("Asia/Tokyo")), True, id="other-zone-on-grid"
        ),
        pytest.param(local(MON, "10:10"), False, id="off-grid"),
        pytest.param(local(MON, "18:00"), False, id="after-hours"),
        pytest.param(local(WED, "10:00"), False, id="closed-day"),
    ],
)
def test_slot_is_free_matches_offered_slots(start, offered):
    hours = (WeeklyHours(0, time(9), time(17)), WeeklyHours(1, time(9), time(17)))
    free = slot_is_free(
        schedule(hours),
        start,
        duration_minutes=30,
        buffer_minutes=0,
        now=EARLY_NOW,
        rules=booking_rules(),
    )
    assert free is offered


def test_slot_is_free_uses_the_clinic_local_day_not_the_utc_day():
    # 19:30 New York on Monday is already Tuesday 00:30 in UTC.
    late = (WeeklyHours(0, time(18), time(21)),)
    start = local(MON, "19:30")
    assert start.date() == TUE

    free = slot_is_free(
        schedule(late),
        start,
        duration_minutes=30,
        buffer_minutes=0,
        now=EARLY_NOW,
        rules=booking_rules(),
    )
    assert free is True


def test_slot_is_free_for_each_repeated_fall_back_instant():
    day = date(2026, 11, 1)
    night = schedule(every_day(time(0), time(4)))
    first_0130 = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second_0130 = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert hhmm(first_0130) == hhmm(second_0130) == "01:30"
    assert first_0130.astimezone(NY).date() == day

    for start in (first_0130, second_0130):
        assert slot_is_free(
            night,
            start,
            duration_minutes=30,
            buffer_minutes=0,
            now=EARLY_NOW,
            rules=booking_rules(),
        )


def test_overlapping_hours_rows_never_offer_a_booked_time():
    """Two rows for one weekday that overlap must still respect every booking."""
    ny = ZoneInfo("America/New_York")
    day = date(2026, 12, 7)
    booked_start = datetime(2026, 12, 7, 10, 30, tzinfo=ny)
    schedule = PractitionerSchedule(
        1,
        "Ana",
        (WeeklyHours(0, time(9), time(12)), WeeklyHours(0, time(10), time(13))),
        busy=(Interval(booked_start, booked_start + timedelta(minutes=60)),),
    )
    found = free_slots(
        [schedule],
        duration_minutes=30,
        buffer_minutes=0,
        first_day=day,
        last_day=day,
        now=datetime(2026, 12, 1, tzinfo=UTC),
        rules=Rules("America/New_York", step_minutes=30, min_notice_minutes=0, horizon_days=60),
    )
    starts = {slot.start.astimezone(ny).strftime("%H:%M") for slot in found}
    assert not starts & {"10:30", "11:00"}
    assert {"10:00", "11:30", "12:30"} <= starts
