"""Course-cost estimates: one first consultation plus follow-ups, beside the market range."""

from __future__ import annotations

import pytest

from booking.domain.estimates import Package, Prices, SessionRange, course_estimate

NECK = SessionRange(5, 8, 12)
BACK = SessionRange(8, 10, 12)
DEMO = Prices(9_500, 7_500)  # the demo clinic: $95 first consultation, $75 follow-ups


@pytest.mark.parametrize(
    ("plan", "prices", "expected"),
    [
        pytest.param(
            BACK,
            DEMO,
            # 1 x $95 + 9 x $75 = $770 for the typical ten, not 10 x $95.
            {"min": (8, 62_000), "typical": (10, 77_000), "max": (12, 92_000)},
            id="back-8-10-12-at-95-then-75",
        ),
        pytest.param(
            NECK,
            DEMO,
            {"min": (5, 39_500), "typical": (8, 62_000), "max": (12, 92_000)},
            id="neck-5-8-12-at-95-then-75",
        ),
        pytest.param(
            NECK,
            Prices(9_000, 9_000),
            {"min": (5, 45_000), "typical": (8, 72_000), "max": (12, 108_000)},
            id="one-price-for-every-session",
        ),
        pytest.param(
            NECK,
            Prices(12_550, 8_025),
            {"min": (5, 44_650), "typical": (8, 68_725), "max": (12, 100_825)},
            id="cents",
        ),
        pytest.param(
            SessionRange(1, 1, 3),
            DEMO,
            {"min": (1, 9_500), "typical": (1, 9_500), "max": (3, 24_500)},
            id="a-single-session-is-the-first-consultation-alone",
        ),
        pytest.param(
            BACK,
            Prices(0, 0),
            {"min": (8, 0), "typical": (10, 0), "max": (12, 0)},
            id="free-sessions",
        ),
    ],
)
def test_a_course_is_one_first_consultation_and_follow_ups(plan, prices, expected):
    estimate = course_estimate(prices, "USD", plan)

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
    # The market range does not depend on the clinic's own prices.
    for prices in (Prices(0, 0), DEMO, Prices(20_000, 18_000)):
        estimate = course_estimate(prices, "USD", plan)
        for label, (low, high) in expected.items():
            line = estimate.line(label)
            assert (line.market_low_cents, line.market_high_cents) == (low, high), label


def test_estimate_keeps_prices_currency_and_plan():
    estimate = course_estimate(DEMO, "GBP", NECK)

    assert (estimate.first_cents, estimate.follow_up_cents) == (9_500, 7_500)
    assert estimate.currency == "GBP"
    assert estimate.plan == NECK


def test_no_requested_line_unless_sessions_given():
    assert course_estimate(DEMO, "USD", NECK).requested is None


@pytest.mark.parametrize(
    ("sessions", "total", "low", "high"),
    [
        pytest.param(1, 9_500, 5_000, 15_000, id="one-session"),
        pytest.param(6, 47_000, 30_000, 90_000, id="six-sessions"),
        pytest.param(20, 152_000, 100_000, 300_000, id="beyond-plan-max"),
        pytest.param(60, 452_000, 300_000, 900_000, id="sixty-is-the-limit"),
    ],
)
def test_requested_sessions_adds_its_own_line(sessions, total, low, high):
    estimate = course_estimate(DEMO, "USD", NECK, sessions)

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
        course_estimate(DEMO, "USD", NECK, sessions)


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
        SessionRange(low, typical, high)


@pytest.mark.parametrize(
    ("low", "typical", "high"),
    [
        pytest.param(1, 1, 1, id="single-session"),
        pytest.param(6, 6, 10, id="min-equals-typical"),
        pytest.param(4, 10, 10, id="typical-equals-max"),
    ],
)
def test_course_plan_with_equal_counts_accepted(low, typical, high):
    estimate = course_estimate(DEMO, "USD", SessionRange(low, typical, high))
    assert [line.sessions for line in estimate.lines] == [low, typical, high]


@pytest.mark.parametrize(("first", "follow_up"), [(-1, 7_500), (9_500, -1)])
def test_negative_price_rejected(first, follow_up):
    with pytest.raises(ValueError, match="negative"):
        Prices(first, follow_up)


@pytest.mark.parametrize(
    ("package", "total", "saving"),
    [
        (Package(8, price_cents=52_000), 52_000, 8 * 7_500 - 52_000),
        (Package(10, discount_percent=10), 67_500, 7_500),
        (Package(3, discount_percent=15), 19_125, 3_375),
    ],
    ids=["fixed-price", "ten-percent-off", "rounds-to-cents"],
)
def test_a_package_of_follow_ups_sits_beside_paying_for_them_one_by_one(package, total, saving):
    estimate = course_estimate(DEMO, "USD", NECK, package=package)
    assert estimate.package.total_cents == total
    assert estimate.package.pay_as_you_go_cents == 7_500 * package.sessions
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
    assert course_estimate(DEMO, "USD", NECK).package is None
