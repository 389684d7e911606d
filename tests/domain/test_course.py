"""The course-so-far arithmetic: sessions done, booked and missed against the plan."""

from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.course import Session, Visit, course_progress, course_so_far
from booking.domain.estimates import Prices, SessionRange

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PLANS = {"neck": SessionRange(5, 8, 12), "back": SessionRange(8, 10, 12)}


def visits(condition, *statuses_and_days):
    """Visits for one condition: (status, days from NOW; negative is past)."""
    return [
        Visit(condition, status, NOW + timedelta(days=days)) for status, days in statuses_and_days
    ]


@pytest.mark.parametrize(
    ("given", "done", "upcoming", "unmarked", "noshows", "remaining", "to_book"),
    [
        # A first consultation booked: nothing done, 7 more to book after it to reach 8.
        (visits("neck", ("booked", 3)), 0, 1, 0, 0, 8, 7),
        # Three done, one missed, two ahead: 5 to go, 3 still to book.
        (
            visits(
                "neck",
                ("fulfilled", -30),
                ("fulfilled", -20),
                ("noshow", -15),
                ("fulfilled", -10),
                ("booked", 4),
                ("booked", 11),
            ),
            3,
            2,
            0,
            1,
            5,
            3,
        ),
        # Cancelled visits count for nothing.
        (visits("neck", ("cancelled", -5), ("cancelled", 5)), 0, 0, 0, 0, 8, 8),
        # A past booking not yet marked is neither done nor upcoming, but is in the diary.
        (visits("neck", ("booked", -1), ("arrived", -0.01)), 0, 0, 2, 0, 8, 6),
        # Arrived early for an appointment that has not started yet is still upcoming.
        (visits("neck", ("arrived", 0.01)), 0, 1, 0, 0, 8, 7),
        # Starting exactly now counts as upcoming.
        (visits("neck", ("booked", 0)), 0, 1, 0, 0, 8, 7),
        # The typical course reached: nothing remains and nothing more to book.
        (visits("neck", *[("fulfilled", -d) for d in range(1, 9)]), 8, 0, 0, 0, 0, 0),
        # Beyond the typical course: remaining and to_book never go negative.
        (
            visits("neck", *[("fulfilled", -d) for d in range(1, 10)], ("booked", 2)),
            9,
            1,
            0,
            0,
            0,
            0,
        ),
    ],
)
def test_counts_against_the_typical_course(
    given, done, upcoming, unmarked, noshows, remaining, to_book
):
    (course,) = course_so_far(given, PLANS, NOW)
    assert (course.done, course.upcoming, course.unmarked, course.noshows) == (
        done,
        upcoming,
        unmarked,
        noshows,
    )
    # Sessions still to go to reach the typical course, as the patient page reads them.
    to_go = max(course.plan.typical_sessions - course.done, 0)
    assert (to_go, course.to_book) == (remaining, to_book)
    assert course.plan == PLANS["neck"]


@pytest.mark.parametrize(
    ("fulfilled", "beyond_max"),
    [(0, False), (11, False), (12, False), (13, True)],
)
def test_beyond_max_only_after_more_sessions_than_the_longest_course(fulfilled, beyond_max):
    given = visits("neck", *[("fulfilled", -d) for d in range(1, fulfilled + 1)], ("booked", 1))
    (course,) = course_so_far(given, PLANS, NOW)
    assert course.beyond_max is beyond_max


@pytest.mark.parametrize(
    ("given", "conditions"),
    [
        ([], ()),
        (visits("back", ("booked", 1)), ("back",)),
        # In the order of the plans, not of the visits.
        (visits("back", ("fulfilled", -3)) + visits("neck", ("booked", 2)), ("neck", "back")),
        # A condition without a plan is left out rather than guessed at.
        (visits("shoulder", ("fulfilled", -3)), ()),
    ],
)
def test_one_summary_per_condition_booked(given, conditions):
    assert tuple(c.condition for c in course_so_far(given, PLANS, NOW)) == conditions


def test_each_condition_is_counted_against_its_own_plan():
    given = visits("neck", ("fulfilled", -9), ("fulfilled", -2)) + visits(
        "back", ("fulfilled", -5), ("noshow", -1), ("booked", 6)
    )
    neck, back = course_so_far(given, PLANS, NOW)
    assert (neck.done, neck.plan.typical_sessions, neck.noshows, neck.upcoming) == (2, 8, 0, 0)
    assert (back.done, back.plan.typical_sessions, back.noshows, back.upcoming) == (1, 10, 1, 1)
    assert back.to_book == 8


# --- course_progress -------------------------------------------------------------------

PRICES = Prices(9_500, 7_500)


def sessions(*rows):
    """(status, days from NOW, price in dollars) per booking, ids in order."""
    return [
        Session(i, status, NOW + timedelta(days=days), dollars * 100)
        for i, (status, days, dollars) in enumerate(rows, 1)
    ]


@pytest.mark.parametrize(
    ("rows", "planned", "expected"),
    [
        pytest.param(
            [("fulfilled", -20, 95), ("fulfilled", -13, 75), ("fulfilled", -6, 75)],
            10,
            {"done": 3, "charged_cents": 24_500, "to_book": 7, "remaining_cents": 52_500},
            id="session-3-of-10-245-so-far-525-to-go",
        ),
        pytest.param(
            [("booked", 3, 95)],
            8,
            {"done": 0, "booked_ahead": 1, "to_book": 7, "remaining_cents": 9_500 + 7 * 7_500},
            id="first-consultation-booked",
        ),
        pytest.param(
            [],
            8,
            {"done": 0, "to_book": 8, "remaining_cents": 9_500 + 7 * 7_500},
            id="nothing-booked-yet-prices-a-first-consultation",
        ),
        pytest.param(
            [("fulfilled", -9, 95), ("cancelled", -2, 75), ("noshow", -1, 75), ("booked", 5, 80)],
            5,
            {
                "done": 1,
                "missed": 1,
                "booked_ahead": 1,
                "charged_cents": 9_500,
                "to_book": 3,
                "remaining_cents": 8_000 + 3 * 7_500,
            },
            id="cancelled-counts-for-nothing-no-show-is-missed",
        ),
        pytest.param(
            [("booked", -1, 95), ("entered-in-error", 2, 75)],
            3,
            {"unmarked": 1, "to_book": 2, "remaining_cents": 9_500 + 2 * 7_500},
            id="started-but-unmarked-and-voided",
        ),
        pytest.param(
            [("fulfilled", -30 + i, 75) for i in range(12)],
            10,
            {"done": 12, "to_book": 0, "remaining_cents": 0, "charged_cents": 90_000},
            id="beyond-the-plan",
        ),
    ],
)
def test_course_progress(rows, planned, expected):
    progress = course_progress(sessions(*rows), planned, PRICES, NOW)
    for name, value in expected.items():
        assert getattr(progress, name) == value, name


def test_session_numbers_skip_cancellations_and_no_shows():
    rows = sessions(
        ("fulfilled", -9, 95),
        ("cancelled", -8, 75),
        ("noshow", -7, 75),
        ("fulfilled", -6, 75),
        ("booked", 1, 75),
    )
    progress = course_progress(rows, 10, PRICES, NOW)
    assert [progress.number_of(i) for i in range(1, 6)] == [1, None, None, 2, 3]
    assert not progress.beyond_plan
