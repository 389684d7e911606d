"""The waitlist's rules: which time suits whom, who is first, how long a hold lasts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain import clock
from booking.domain import waitlist as rules
from booking.domain.waitlist import Candidate, Waiting, Wish
from booking.errors import ValidationError

TZ = ZoneInfo("America/New_York")
MONDAY = date(2026, 12, 7)
NECK, BACK = 1, 2
MEI, JAMES = 10, 11


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.at(day, time(hour, minute), TZ)


def slot(day: date, hour: int, minute: int = 0, *, who: int = MEI, service: int = NECK, mins=60):
    start = at(day, hour, minute)
    return Candidate(
        service, who, start, start + timedelta(minutes=mins), start + timedelta(minutes=mins + 15)
    )


def wish(**changes) -> Wish:
    values = {"service_id": NECK, "earliest": MONDAY, "latest": MONDAY + timedelta(days=13)}
    values.update(changes)
    return Wish(**values)


def waiting(entry_id: int, place: int | None = None, patient: int | None = None, **changes):
    return Waiting(entry_id, patient or entry_id, place or entry_id, wish(**changes))


def suits(w: Wish, c: Candidate) -> bool:
    return rules.suits(w, c.start, c.end, c.practitioner_id, TZ)


@pytest.mark.parametrize(
    ("hour", "parts", "expected"),
    [
        (9, {"morning"}, True),
        (11, {"morning"}, True),
        (12, {"morning"}, False),
        (12, {"afternoon"}, True),
        (16, {"afternoon"}, True),
        (17, {"afternoon"}, False),
        (17, {"evening"}, True),
        (19, {"morning", "evening"}, True),
        (14, {"morning", "evening"}, False),
        (14, set(), True),
    ],
)
def test_a_time_suits_the_parts_of_the_day_its_start_falls_in(hour, parts, expected):
    assert suits(wish(parts=frozenset(parts)), slot(MONDAY, hour)) is expected


def test_a_time_range_takes_only_appointments_that_fit_inside_it_whole():
    range_ = wish(between=(time(10, 0), time(13, 0)))
    assert suits(range_, slot(MONDAY, 10))
    assert suits(range_, slot(MONDAY, 12))  # 12:00 to 13:00 fits exactly
    assert not suits(range_, slot(MONDAY, 12, 15))  # would end at 13:15
    assert not suits(range_, slot(MONDAY, 9, 45))


def test_only_the_days_of_the_week_asked_for_and_only_between_the_dates():
    tuesdays_and_thursdays = wish(days=frozenset({1, 3}))
    assert not suits(tuesdays_and_thursdays, slot(MONDAY, 10))
    assert suits(tuesdays_and_thursdays, slot(MONDAY + timedelta(days=1), 10))
    assert suits(tuesdays_and_thursdays, slot(MONDAY + timedelta(days=3), 10))
    assert not suits(wish(), slot(MONDAY - timedelta(days=1), 10))
    assert suits(wish(), slot(MONDAY + timedelta(days=13), 10))
    assert not suits(wish(), slot(MONDAY + timedelta(days=14), 10))


def test_a_chosen_practitioner_is_the_only_one_that_suits():
    assert suits(wish(practitioner_id=MEI), slot(MONDAY, 10, who=MEI))
    assert not suits(wish(practitioner_id=MEI), slot(MONDAY, 10, who=JAMES))
    assert suits(wish(), slot(MONDAY, 10, who=JAMES))


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(date(2026, 3, 8), 13), (date(2026, 11, 1), 14), (date(2026, 3, 7), 14)],
)
def test_on_the_days_the_clocks_change_mornings_are_still_the_clinics_mornings(day, utc_hour):
    """9 am in New York is 13:00 UTC after the spring change and 14:00 before it and
    after the autumn one; a morning wish takes 9 am and refuses 1 pm either way."""
    nine = at(day, 9)
    assert nine.astimezone(UTC).hour == utc_hour
    mornings = wish(earliest=day, latest=day, parts=frozenset({"morning"}))
    assert suits(mornings, slot(day, 9))
    assert suits(mornings, slot(day, 11, 45))
    assert not suits(mornings, slot(day, 12))
    assert not suits(mornings, slot(day, 13))


def test_the_first_in_line_takes_the_earliest_time_that_suits_them():
    line = [waiting(2, place=2048), waiting(1, place=1024), waiting(3, place=3072)]
    made = rules.assign(line, [slot(MONDAY, 14), slot(MONDAY, 10)], TZ)
    assert [(w.entry_id, c.start) for w, c in made] == [
        (1, at(MONDAY, 10)),
        (2, at(MONDAY, 14)),
    ]


def test_an_entry_moved_up_goes_before_those_who_joined_earlier():
    line = [waiting(1, place=1024), waiting(2, place=2048), waiting(3, place=512)]
    made = rules.assign(line, [slot(MONDAY, 10)], TZ)
    assert [w.entry_id for w, _c in made] == [3]


def test_a_time_that_suits_nobody_ahead_goes_to_the_first_it_suits():
    line = [
        waiting(1, parts=frozenset({"evening"})),
        waiting(2, practitioner_id=JAMES),
        waiting(3, days=frozenset({0})),
    ]
    made = rules.assign(line, [slot(MONDAY, 10, who=MEI)], TZ)
    assert [w.entry_id for w, _c in made] == [3]


def test_one_freed_time_is_offered_once_and_overlapping_times_go_with_it():
    line = [waiting(1), waiting(2)]
    made = rules.assign(line, [slot(MONDAY, 10), slot(MONDAY, 10, 15), slot(MONDAY, 10, 30)], TZ)
    assert [(w.entry_id, c.start) for w, c in made] == [(1, at(MONDAY, 10))]


def test_another_practitioners_time_at_the_same_moment_is_a_different_time():
    made = rules.assign(
        [waiting(1), waiting(2)], [slot(MONDAY, 10, who=MEI), slot(MONDAY, 10, who=JAMES)], TZ
    )
    assert sorted(c.practitioner_id for _w, c in made) == [MEI, JAMES]


def test_a_patient_holds_one_offer_at_a_time():
    line = [
        waiting(1, patient=7),
        Waiting(2, 7, 2, wish(service_id=BACK)),
        waiting(3, patient=8),
    ]
    made = rules.assign(
        line, [slot(MONDAY, 10), slot(MONDAY, 14, service=BACK), slot(MONDAY, 16)], TZ
    )
    assert [w.entry_id for w, _c in made] == [1, 3]
    assert rules.assign([waiting(1, patient=7)], [slot(MONDAY, 10)], TZ, busy_patients=[7]) == []


def test_a_time_is_offered_only_for_the_service_waited_for():
    made = rules.assign([waiting(1)], [slot(MONDAY, 10, service=BACK)], TZ)
    assert made == []


def test_a_time_already_offered_to_an_entry_is_not_offered_to_it_again():
    refused = Waiting(1, 1, 1, wish(), frozenset({(MEI, at(MONDAY, 10))}))
    made = rules.assign([refused, waiting(2)], [slot(MONDAY, 10)], TZ)
    assert [w.entry_id for w, _c in made] == [2]


def test_the_hold_lasts_the_owners_period_but_never_past_the_minimum_notice():
    now = at(MONDAY, 8)
    kwargs = {"hold_minutes": 120, "notice_minutes": 120}
    assert rules.hold_until(now, at(MONDAY + timedelta(days=1), 10), **kwargs) == at(MONDAY, 10)
    assert rules.hold_until(now, at(MONDAY, 11), **kwargs) == at(MONDAY, 9)
    # Less than a quarter of an hour left to answer: not worth offering.
    assert rules.hold_until(now, at(MONDAY, 10, 10), **kwargs) is None
    assert rules.hold_until(now, at(MONDAY, 10, 15), **kwargs) == at(MONDAY, 8, 15)


def test_the_reminder_comes_half_an_hour_before_a_hold_lapses_when_there_is_time():
    offered = at(MONDAY, 8)
    assert rules.remind_at(offered, at(MONDAY, 10)) == at(MONDAY, 9, 30)
    assert rules.remind_at(offered, at(MONDAY, 8, 59)) is None


def test_an_entry_closes_at_its_latest_date_or_after_the_owners_weeks():
    assert rules.closes_on(MONDAY, MONDAY + timedelta(days=10), 8) == MONDAY + timedelta(days=10)
    assert rules.closes_on(MONDAY, MONDAY + timedelta(weeks=20), 8) == MONDAY + timedelta(weeks=8)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"earliest": MONDAY - timedelta(days=1)}, "earliest"),
        ({"latest": MONDAY - timedelta(days=1), "earliest": MONDAY}, "latest"),
        ({"latest": MONDAY + timedelta(weeks=9)}, "latest"),
        (
            {"earliest": MONDAY + timedelta(weeks=9), "latest": MONDAY + timedelta(weeks=9)},
            "earliest",
        ),
        ({"parts": frozenset({"night"})}, "parts_of_day"),
        ({"between": (time(13), time(10))}, "between"),
        ({"between": (time(9), time(12)), "parts": frozenset({"morning"})}, "between"),
        ({"days": frozenset({5}), "latest": MONDAY + timedelta(days=2)}, "days"),
    ],
)
def test_a_wish_that_could_never_be_met_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        rules.check_wish(wish(**changes), MONDAY, weeks=8, horizon_days=60)
    assert field in refused.value.fields


def test_a_wish_that_can_be_met_passes():
    rules.check_wish(
        wish(days=frozenset({0, 2}), parts=frozenset({"morning"})), MONDAY, weeks=8, horizon_days=60
    )


def test_the_wish_in_words():
    assert rules.describe(wish()) == "any day, any time"
    assert rules.describe(wish(days=frozenset({0, 3}), parts=frozenset({"morning"}))) == (
        "Mon, Thu, mornings"
    )
    assert (
        rules.describe(wish(between=(time(9, 30), time(13)))) == "any day, between 9:30 am and 1 pm"
    )
