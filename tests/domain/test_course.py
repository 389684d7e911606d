"""A course's progress: sessions done, booked and missed against the plan, cost so far and to go."""

from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.course import PackageBought, Session, course_progress
from booking.domain.estimates import Prices

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


# --- course_progress -------------------------------------------------------------------

PRICES = Prices(9_500, 7_500)


def sessions(*rows):
    """(status, days from NOW, price in dollars) per booking, ids in order; $95 is a first
    consultation, any other price a follow-up."""
    return [
        Session(i, status, NOW + timedelta(days=days), dollars * 100, follow_up=dollars != 95)
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


def package(days, sessions, dollars):
    return PackageBought(NOW + timedelta(days=days), sessions, dollars * 100)


@pytest.mark.parametrize(
    ("rows", "packages", "expected"),
    [
        pytest.param(
            [("fulfilled", -20, 95), ("fulfilled", -13, 75), ("fulfilled", -6, 75)],
            [package(-21 + 8, 6, 400)],  # bought after the first visit
            # $95 for the first visit, then the package: two drawn, four left.
            {"charged_cents": 9_500 + 40_000, "package_left": 4, "package_sessions": 6},
            id="two-drawn-four-left",
        ),
        pytest.param(
            [("fulfilled", -20, 95), ("booked", 2, 75), ("booked", 9, 75)],
            [package(-15, 6, 400)],
            # Two booked ahead and four of the seven still to book are covered: three at $75.
            {"package_left": 6, "to_book": 7, "remaining_cents": 3 * 7_500},
            id="booked-sessions-are-covered-first",
        ),
        pytest.param(
            [("fulfilled", -20, 95)],
            [package(-15, 2, 140)],
            # Nine to book: two covered, seven at $75.
            {"package_left": 2, "to_book": 9, "remaining_cents": 7 * 7_500},
            id="credit-runs-out",
        ),
        pytest.param(
            [("fulfilled", -20, 95), ("fulfilled", -13, 75), ("noshow", -6, 75)],
            [package(-30, 2, 140), package(-14, 3, 210)],
            # Not the first consultation; the follow-up draws from the older package, the
            # no-show from none: one left in the older, three in the newer.
            {"package_left": 4, "charged_cents": 9_500 + 14_000 + 21_000, "missed": 1},
            id="oldest-package-first-no-show-draws-nothing",
        ),
    ],
)
def test_packages_are_drawn_as_sessions_are_done(rows, packages, expected):
    progress = course_progress(sessions(*rows), 10, PRICES, NOW, packages)
    for name, value in expected.items():
        assert getattr(progress, name) == value, name
