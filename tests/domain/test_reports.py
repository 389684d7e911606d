"""Report arithmetic: weeks, utilisation, attendance, revenue and new patients.

One hand-built fortnight in New York time that contains the spring clock change
(Sunday 8 March 2026, 02:00 -> 03:00), with time off; every figure is worked out by
hand in the comments. `now` is passed in; nothing patches the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from booking.domain import clock as wall
from booking.domain import reports as steps
from booking.domain.availability import Interval, WeeklyHours
from booking.domain.reports import (
    BookingFact,
    PractitionerHours,
    Rate,
    ReportRangeError,
    build_report,
    check_range,
    default_range,
    open_minutes,
)

TZ = "America/New_York"
NY = ZoneInfo(TZ)
CONDITIONS = ("neck", "back")
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)  # Monday to Sunday, two weeks
NOW = datetime(2026, 3, 12, 12, 0, tzinfo=NY)


def local(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NY)


def fact(practitioner, day, start, end, status, condition, patient, cents, currency="USD"):
    return BookingFact(
        start=local(day, start),
        end=local(day, end),
        status=status,
        condition=condition,
        practitioner_id=practitioner,
        patient_id=patient,
        price_cents=cents,
        currency=currency,
    )


ANA, BEN = 1, 2
WEEKDAYS_WITH_LUNCH = tuple(
    WeeklyHours(day, time(9), time(17), time(12, 30), time(13, 30)) for day in range(5)
)
# Ana: 7 open hours a weekday = 420 min x 10 weekdays = 4200, less Wednesday 11 March
# 09:00-12:30 off (two overlapping entries, counted once) = 3990.
ANA_HOURS = PractitionerHours(
    ANA,
    "Ana",
    WEEKDAYS_WITH_LUNCH,
    (
        Interval(local("2026-03-11", "09:00"), local("2026-03-11", "12:30")),
        Interval(local("2026-03-11", "10:00"), local("2026-03-11", "11:00")),
    ),
)
# Ben: Sundays 00:00-06:00. On 8 March the clocks skip 02:00-03:00, so that night is
# 5 real hours (300 min); 15 March is 6 (360). Open: 660.
BEN_HOURS = PractitionerHours(BEN, "Ben", (WeeklyHours(6, time(0), time(6)),))

BOOKINGS = [
    fact(ANA, "2026-03-02", "09:00", "10:00", "fulfilled", "neck", 10, 9500),
    fact(ANA, "2026-03-03", "09:00", "09:45", "noshow", "back", 11, 7500),
    fact(ANA, "2026-03-04", "10:00", "11:00", "cancelled", "neck", 12, 9500),
    # Across the clock change: 01:30 EST to 03:30 EDT is one real hour.
    fact(BEN, "2026-03-08", "01:30", "03:30", "arrived", "neck", 13, 9500),
    fact(BEN, "2026-03-08", "04:00", "05:00", "fulfilled", "back", 11, 7500),
    fact(ANA, "2026-03-09", "09:00", "10:00", "fulfilled", "neck", 10, 9500),
    fact(ANA, "2026-03-12", "14:00", "15:00", "booked", "back", 14, 7500),  # after NOW
    fact(ANA, "2026-03-13", "09:00", "10:00", "cancelled", "back", 15, 7500),
    # Sunday night in New York is already Monday in UTC: still the week of 9 March.
    fact(BEN, "2026-03-15", "23:00", "23:45", "booked", "neck", 16, 9500),
    # Outside the dates, though on the range's first and last UTC dates.
    fact(ANA, "2026-03-01", "23:30", "23:59", "fulfilled", "neck", 17, 9500),
    fact(ANA, "2026-03-16", "00:30", "01:00", "fulfilled", "neck", 17, 9500),
]
FIRST_SEEN = {
    10: local("2026-02-20", "09:00"),  # booked before: returning
    11: local("2026-03-03", "09:00"),  # a no-show still makes a first booking
    13: local("2026-03-08", "01:30"),
    14: local("2026-03-12", "14:00"),
    16: local("2026-03-15", "23:00"),
    17: local("2026-01-05", "09:00"),
}


def report(bookings=BOOKINGS, first_seen=FIRST_SEEN, first=FIRST, last=LAST, now=NOW):
    return build_report(
        bookings,
        [ANA_HOURS, BEN_HOURS],
        first_seen,
        first_day=first,
        last_day=last,
        timezone=TZ,
        currency="USD",
        conditions=CONDITIONS,
        now=now,
    )


def test_bookings_by_week_count_everything_but_cancellations_by_local_start():
    weeks = report().weeks
    assert [(w.week, w.days, dict(w.by_condition), w.total) for w in weeks] == [
        (date(2026, 3, 2), 7, {"neck": 2, "back": 2}, 4),
        (date(2026, 3, 9), 7, {"neck": 2, "back": 1}, 3),
    ]


def test_weeks_cut_by_the_dates_say_how_many_days_they_count():
    weeks = report(first=date(2026, 3, 4), last=date(2026, 3, 10)).weeks
    assert [(w.week, w.days, w.total) for w in weeks] == [
        (date(2026, 3, 2), 5, 2),  # Wed-Sun: the two Sunday bookings with Ben
        (date(2026, 3, 9), 2, 1),  # Mon-Tue: Monday's fulfilled booking
    ]


def test_every_week_is_listed_even_without_bookings():
    weeks = report(bookings=[]).weeks
    assert [(w.week, w.total) for w in weeks] == [(date(2026, 3, 2), 0), (date(2026, 3, 9), 0)]


def test_utilisation_is_held_time_over_open_time_with_time_off_and_the_clock_change():
    ana, ben = report().utilisation
    # Ana held: 60 (2 Mar) + 60 (9 Mar) + 60 (12 Mar, still booked); no-show and
    # cancellations do not hold time.
    assert (ana.name, ana.booked_minutes, ana.open_minutes) == ("Ana", 180, 3990)
    assert ana.rate.percent == Decimal("4.5")
    # Ben held: 60 real minutes across the change + 60 + 45 = 165 of 660.
    assert (ben.name, ben.booked_minutes, ben.open_minutes) == ("Ben", 165, 660)
    assert ben.rate.percent == Decimal("25.0")


def test_no_show_rate_counts_only_bookings_already_started():
    attendance = report().attendance
    # 9 bookings in the dates; 2 cancelled. Started by NOW and not cancelled: 2, 3, 8
    # and 9 March twice = 5; one of them a no-show.
    assert (attendance.bookings, attendance.cancelled) == (9, 2)
    assert (attendance.started, attendance.noshows) == (5, 1)
    assert attendance.noshow_rate.percent == Decimal("20.0")
    assert attendance.cancellation_rate.percent == Decimal("22.2")


def test_revenue_booked_includes_no_shows_and_realised_only_done_sessions():
    revenue = report().revenue
    assert [(w.week, w.booked_cents, w.realised_cents) for w in revenue.weeks] == [
        (date(2026, 3, 2), 9500 + 7500 + 9500 + 7500, 9500 + 7500),
        (date(2026, 3, 9), 9500 + 7500 + 9500, 9500),
    ]
    assert (revenue.booked_cents, revenue.realised_cents) == (60500, 26500)
    assert revenue.other_currency == 0


def test_revenue_leaves_out_bookings_priced_in_another_currency():
    bookings = [
        fact(ANA, "2026-03-02", "09:00", "10:00", "fulfilled", "neck", 10, 9500),
        fact(ANA, "2026-03-03", "09:00", "10:00", "fulfilled", "neck", 10, 12000, "CAD"),
    ]
    revenue = report(bookings=bookings).revenue
    assert (revenue.booked_cents, revenue.realised_cents, revenue.other_currency) == (
        9500,
        9500,
        1,
    )
    # It is still a booking: counted by week and as held time.
    assert report(bookings=bookings).weeks[0].total == 2


def test_new_patients_first_booked_in_the_dates_the_rest_returning():
    patients = report().patients
    # With bookings kept: 10 (returning), 11, 13, 14, 16 (new). 12 and 15 only cancelled.
    assert (patients.new, patients.returning, patients.total) == (4, 1, 5)


def test_a_patient_missing_from_first_seen_counts_as_new():
    patients = report(first_seen={}).patients
    assert (patients.new, patients.returning) == (5, 0)


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        report(now=datetime(2026, 3, 12, 12, 0))  # noqa: DTZ001


# The steps build_report is made of, each on its own.


@pytest.mark.parametrize(
    ("first", "last", "weeks"),
    [
        (FIRST, LAST, [(date(2026, 3, 2), 7), (date(2026, 3, 9), 7)]),
        (date(2026, 3, 4), date(2026, 3, 10), [(date(2026, 3, 2), 5), (date(2026, 3, 9), 2)]),
        (date(2026, 3, 8), date(2026, 3, 8), [(date(2026, 3, 2), 1)]),  # one Sunday
        # Across the new year: ISO weeks, not calendar years.
        (
            date(2026, 12, 30),
            date(2027, 1, 4),
            [(date(2026, 12, 28), 5), (date(2027, 1, 4), 1)],
        ),
    ],
)
def test_report_weeks_run_monday_to_sunday_and_count_the_days_inside(first, last, weeks):
    assert steps.report_weeks(first, last) == weeks


def counted_in_fortnight(*facts):
    start, end = wall.range_bounds(FIRST, LAST, TZ)
    week_starts = [wall.at(monday, time(0), NY) for monday, _ in steps.report_weeks(FIRST, LAST)]
    return steps.counted_bookings(facts, start, end, week_starts)


@pytest.mark.parametrize(
    ("day", "start", "status", "every", "weeks"),
    [
        ("2026-03-02", "09:00", "booked", 1, [0]),
        ("2026-03-08", "01:30", "fulfilled", 1, [0]),  # before the clocks change
        ("2026-03-08", "23:30", "noshow", 1, [0]),  # Monday in UTC, Sunday at the clinic
        ("2026-03-09", "00:00", "arrived", 1, [1]),
        ("2026-03-15", "23:00", "booked", 1, [1]),
        ("2026-03-04", "10:00", "cancelled", 1, []),  # in the dates, not counted by week
        ("2026-03-01", "23:30", "fulfilled", 0, []),  # the evening before the dates
        ("2026-03-16", "00:30", "fulfilled", 0, []),  # just after them
    ],
)
def test_bookings_are_counted_by_their_clinic_start_and_cancellations_kept_apart(
    day, start, status, every, weeks
):
    booking = fact(ANA, day, start, "23:59", status, "neck", 10, 9500)
    counted_every, counted = counted_in_fortnight(booking)
    assert counted_every == every
    assert [week for _, _, week in counted] == weeks
    assert all(moment.tzinfo is UTC for _, moment, _ in counted)


def counted(*facts):
    """Facts as build_report counts them, all in the first week."""
    return [(f, f.start.astimezone(UTC), 0) for f in facts]


@pytest.mark.parametrize(
    ("status", "start", "expected"),
    [
        # (bookings, cancelled, started, no-shows); NOW is 12 March 12:00.
        ("fulfilled", "2026-03-02", (2, 1, 1, 0)),
        ("noshow", "2026-03-02", (2, 1, 1, 1)),
        ("noshow", "2026-03-13", (2, 1, 0, 0)),  # not started yet: cannot be missed
        ("booked", "2026-03-13", (2, 1, 0, 0)),
    ],
)
def test_attendance_counts_no_shows_only_among_bookings_already_started(status, start, expected):
    # Two bookings in the dates, one of them cancelled and so not counted.
    kept = counted(fact(ANA, start, "09:00", "10:00", status, "neck", 10, 9500))
    a = steps.attendance(2, kept, NOW)
    assert (a.bookings, a.cancelled, a.started, a.noshows) == expected


@pytest.mark.parametrize(
    ("status", "currency", "expected"),
    [
        # (booked, realised, other currency)
        ("booked", "USD", (9500, 0, 0)),
        ("arrived", "USD", (9500, 0, 0)),
        ("noshow", "USD", (9500, 0, 0)),
        ("fulfilled", "USD", (9500, 9500, 0)),
        ("fulfilled", "CAD", (0, 0, 1)),
    ],
)
def test_revenue_by_status_in_the_clinic_currency_only(status, currency, expected):
    kept = counted(fact(ANA, "2026-03-02", "09:00", "10:00", status, "neck", 10, 9500, currency))
    r = steps.revenue(kept, steps.report_weeks(FIRST, LAST), "USD")
    assert (r.booked_cents, r.realised_cents, r.other_currency) == expected
    assert [w.booked_cents for w in r.weeks][1:] == [0]


@pytest.mark.parametrize(
    ("first_seen", "new", "returning"),
    [
        ({}, 1, 0),  # no earlier booking on record
        ({10: local("2026-03-02", "09:00")}, 1, 0),  # first seen in the dates
        ({10: local("2026-03-01", "23:59")}, 0, 1),  # the minute before them
    ],
)
def test_a_patient_is_new_unless_first_seen_before_the_dates(first_seen, new, returning):
    kept = counted(
        fact(ANA, "2026-03-02", "09:00", "10:00", "fulfilled", "neck", 10, 9500),
        fact(ANA, "2026-03-03", "09:00", "10:00", "noshow", "neck", 10, 9500),  # same patient
    )
    start, _ = wall.range_bounds(FIRST, LAST, TZ)
    mix = steps.patient_mix(kept, first_seen, start)
    assert (mix.new, mix.returning, mix.total) == (new, returning, new + returning)


MONDAY = date(2026, 1, 5)
LUNCH = (WeeklyHours(0, time(9), time(17), time(12, 30), time(13, 30)),)
NINE_TO_FIVE = tuple(WeeklyHours(day, time(9), time(17)) for day in range(7))
NIGHT = (WeeklyHours(6, time(0), time(6)),)


def off(start: str, end: str) -> Interval:
    return Interval(
        datetime.fromisoformat(start).replace(tzinfo=NY),
        datetime.fromisoformat(end).replace(tzinfo=NY),
    )


@pytest.mark.parametrize(
    ("hours", "time_off", "first", "last", "expected"),
    [
        (LUNCH, (), MONDAY, MONDAY, 420),  # 8 hours less the lunch hour
        (LUNCH, (), date(2026, 1, 6), date(2026, 1, 11), 0),  # Monday hours only
        (LUNCH, (), MONDAY, date(2026, 1, 18), 840),  # two Mondays
        (LUNCH, (off("2026-01-05T10:00", "2026-01-05T11:00"),), MONDAY, MONDAY, 360),
        # Time off over the lunch break takes nothing: it was not open.
        (LUNCH, (off("2026-01-05T12:30", "2026-01-05T13:30"),), MONDAY, MONDAY, 420),
        (LUNCH, (off("2026-01-05T12:00", "2026-01-05T14:00"),), MONDAY, MONDAY, 360),
        (LUNCH, (off("2026-01-05T00:00", "2026-01-06T00:00"),), MONDAY, MONDAY, 0),
        # Overlapping entries count once: 10:00-11:30 off.
        (
            LUNCH,
            (
                off("2026-01-05T10:00", "2026-01-05T11:00"),
                off("2026-01-05T10:30", "2026-01-05T11:30"),
            ),
            MONDAY,
            MONDAY,
            330,
        ),
        # Time off from Monday 16:00 to Tuesday 10:00: an hour off each day.
        (
            NINE_TO_FIVE,
            (off("2026-01-05T16:00", "2026-01-06T10:00"),),
            MONDAY,
            date(2026, 1, 6),
            840,
        ),
        # Time off outside the dates changes nothing.
        (LUNCH, (off("2026-01-12T09:00", "2026-01-12T17:00"),), MONDAY, MONDAY, 420),
        # The clocks change at 02:00: a 00:00-06:00 opening is 5 hours in spring, 7 in autumn.
        (NIGHT, (), date(2026, 3, 8), date(2026, 3, 8), 300),
        (NIGHT, (), date(2026, 11, 1), date(2026, 11, 1), 420),
        (NIGHT, (), date(2026, 3, 15), date(2026, 3, 15), 360),
        # 01:00 EST to 04:00 EDT off is 2 real hours: 3 of the 5 remain.
        (
            NIGHT,
            (off("2026-03-08T01:00", "2026-03-08T04:00"),),
            date(2026, 3, 8),
            date(2026, 3, 8),
            180,
        ),
        # A 9-5 day on the day of a change is still 8 hours.
        (NINE_TO_FIVE, (), date(2026, 3, 8), date(2026, 3, 8), 480),
        (NINE_TO_FIVE, (), date(2026, 11, 1), date(2026, 11, 1), 480),
    ],
)
def test_open_minutes(hours, time_off, first, last, expected):
    assert open_minutes(hours, time_off, first, last, TZ) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 8, Decimal("12.5")),
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        (1, 400, Decimal("0.3")),  # 0.25 rounds half up
        (0, 7, Decimal("0.0")),
        (7, 7, Decimal("100.0")),
        (9, 7, Decimal("128.6")),
        (0, 0, None),  # nothing to divide by: no rate, not 0%
    ],
)
def test_rate_percent_rounds_half_up_to_one_decimal(part, whole, expected):
    assert Rate(part, whole).percent == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 21), (date(2026, 10, 19), date(2026, 12, 20))),  # a Saturday
        (date(2026, 11, 16), (date(2026, 10, 19), date(2026, 12, 20))),  # a Monday
        (date(2026, 11, 15), (date(2026, 10, 12), date(2026, 12, 13))),  # a Sunday
    ],
)
def test_default_range_holds_this_week_the_four_before_and_the_four_ahead(today, expected):
    first, last = default_range(today)
    assert (first, last) == expected
    assert first.weekday() == 0 and last.weekday() == 6
    assert (last - first).days + 1 == 63
    assert first <= today <= last


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 3, 2), date(2026, 3, 2)),  # one day
        (date(2025, 1, 1), date(2026, 2, 4)),  # 400 days exactly
    ],
)
def test_check_range_accepts(first, last):
    check_range(first, last)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (
            date(2026, 3, 2),
            date(2026, 3, 1),
            "The end date (2026-03-01) is before the start date (2026-03-02).",
        ),
        (
            date(2025, 1, 1),
            date(2026, 2, 5),
            "Choose at most 400 days at a time; 2025-01-01 to 2026-02-05 is 401 days.",
        ),
        (
            date(9999, 12, 30),
            date(9999, 12, 31),
            "Choose dates from 2000 to 2099; 9999-12-30 is outside them.",
        ),
        (
            date(1999, 12, 31),
            date(2000, 1, 1),
            "Choose dates from 2000 to 2099; 1999-12-31 is outside them.",
        ),
    ],
)
def test_check_range_refuses_with_a_message(first, last, message):
    with pytest.raises(ReportRangeError) as caught:
        check_range(first, last)
    assert caught.value.message == message
