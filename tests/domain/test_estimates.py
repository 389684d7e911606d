"""Course-cost estimates: the clinic price and the market range times planned sessions."""

from __future__ import annotations

import pytest

from booking.domain.estimates import CoursePlan, Package, course_estimate

NECK = CoursePlan(5, 8, 12)
BACK = CoursePlan(8, 10, 12)


@pytest.mark.parametrize(
    ("plan", "price", "expected"),
    [
        pytest.param(
            NECK,
            9000,
            {"min": (5, 45_000), "typical": (8, 72_000), "max": (12, 108_000)},
            id="neck-5-8-12-at-90",
        ),
        pytest.param(
            BACK,
            9000,
            {"min": (8, 72_000), "typical": (10, 90_000), "max": (12, 108_000)},
            id="back-8-10-12-at-90",
        ),
        pytest.param(
            NECK,
            12_550,
            {"min": (5, 62_750), "typical": (8, 100_400), "max": (12, 150_600)},
            id="neck-at-125.50",
        ),
        pytest.param(
            BACK,
            0,
            {"min": (8, 0), "typical": (10, 0), "max": (12, 0)},
            id="free-sessions",
        ),
    ],
)
def test_course_totals_are_price_times_planned_sessions(plan, price, expected):
    estimate = course_estimate(price, "USD", plan)

    assert [line.label for line in estimate.lines] == ["min", "typical", "max"]
    for label, (sessions, total) in expected.items():
        line = estimate.line(label)
        assert (line.sessions, line.total_cents) == (sessions, total), label


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        pytest.param(
            NECK,
            {"min": (25_000, 75_000), "typical": (40_000, 120_000), "max": (60_000, 180_000)},
            id="neck",
        ),
        pytest.param(
            BACK,
            {"min": (40_000, 120_000), "typical": (50_000, 150_000), "max": (60_000, 180_000)},
            id="back",
        ),
    ],
)
def test_market_range_is_50_to_150_dollars_per_session(plan, expected):
    # The market range does not depend on the clinic's own price.
    for price in (0, 9000, 20_000):
        estimate = course_estimate(price, "USD", plan)
        for label, (low, high) in expected.items():
            line = estimate.line(label)
            assert (line.market_low_cents, line.market_high_cents) == (low, high), label


def test_estimate_keeps_price_currency_and_plan():
    estimate = course_estimate(9000, "GBP", NECK)

    assert estimate.price_cents == 9000
    assert estimate.currency == "GBP"
    assert estimate.plan == NECK


def test_no_requested_line_unless_sessions_given():
    assert course_estimate(9000, "USD", NECK).requested is None


@pytest.mark.parametrize(
    ("sessions", "total", "low", "high"),
    [
        pytest.param(1, 9000, 5000, 15_000, id="one-session"),
        pytest.param(6, 54_000, 30_000, 90_000, id="six-sessions"),
        pytest.param(20, 180_000, 100_000, 300_000, id="beyond-plan-max"),
        pytest.param(60, 540_000, 300_000, 900_000, id="sixty-is-the-limit"),
    ],
)
def test_requested_sessions_adds_its_own_line(sessions, total, low, high):
    estimate = course_estimate(9000, "USD", NECK, sessions)

    requested = estimate.requested
    assert requested is not None
    assert requested.label == "requested"
    assert (requested.sessions, requested.total_cents) == (sessions, total)
    assert (requested.market_low_cents, requested.market_high_cents) == (low, high)
    # The planned lines are unchanged by the request.
    assert [line.sessions for line in estimate.lines] == [5, 8, 12]


@pytest.mark.parametrize(
    "sessions",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(61, id="over-sixty"),
        pytest.param(1000, id="far-over"),
    ],
)
def test_requested_sessions_outside_1_to_60_rejected(sessions):
    with pytest.raises(ValueError, match="between 1 and 60"):
        course_estimate(9000, "USD", NECK, sessions)


@pytest.mark.parametrize(
    ("low", "typical", "high"),
    [
        pytest.param(0, 5, 8, id="min-zero"),
        pytest.param(-1, 5, 8, id="min-negative"),
        pytest.param(6, 5, 8, id="min-above-typical"),
        pytest.param(5, 9, 8, id="typical-above-max"),
        pytest.param(12, 8, 5, id="reversed"),
    ],
)
def test_course_plan_out_of_order_rejected(low, typical, high):
    with pytest.raises(ValueError, match="min <= typical <= max"):
        CoursePlan(low, typical, high)


@pytest.mark.parametrize(
    ("low", "typical", "high"),
    [
        pytest.param(1, 1, 1, id="single-session"),
        pytest.param(6, 6, 10, id="min-equals-typical"),
        pytest.param(4, 10, 10, id="typical-equals-max"),
    ],
)
def test_course_plan_with_equal_counts_accepted(low, typical, high):
    estimate = course_estimate(9000, "USD", CoursePlan(low, typical, high))
    assert [line.sessions for line in estimate.lines] == [low, typical, high]


@pytest.mark.parametrize("price", [-1, -9000])
def test_negative_price_rejected(price):
    with pytest.raises(ValueError, match="negative"):
        course_estimate(price, "USD", NECK)


@pytest.mark.parametrize(
    ("package", "total", "saving"),
    [
        (Package(8, price_cents=68_000), 68_000, 8 * 9_500 - 68_000),
        (Package(10, discount_percent=10), 85_500, 9_500),
        (Package(3, discount_percent=15), 24_225, 4_275),
    ],
    ids=["fixed-price", "ten-percent-off", "rounds-to-cents"],
)
def test_package_sits_beside_pay_as_you_go(package, total, saving):
    estimate = course_estimate(9_500, "USD", CoursePlan(5, 8, 12), package=package)
    assert estimate.package.total_cents == total
    assert estimate.package.pay_as_you_go_cents == 9_500 * package.sessions
    assert estimate.package.saving_cents == saving


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sessions": 1, "price_cents": 100},
        {"sessions": 5},
        {"sessions": 5, "price_cents": 100, "discount_percent": 5},
        {"sessions": 5, "discount_percent": 95},
        {"sessions": 5, "price_cents": 0},
    ],
    ids=["one-session", "neither", "both", "too-much-off", "free"],
)
def test_impossible_packages_are_refused(kwargs):
    with pytest.raises(ValueError):
        Package(**kwargs)


def test_no_package_means_none_in_the_estimate():
    assert course_estimate(9_500, "USD", CoursePlan(5, 8, 12)).package is None
