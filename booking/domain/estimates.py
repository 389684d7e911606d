"""Course-cost estimates: a first consultation and follow-ups, beside the market range.

A course of n sessions is one first consultation and n - 1 follow-ups, so it costs
first + (n - 1) x follow-up, for the plan's fewest, typical and most sessions; the
market range ($50-150 a session) is shown for the same count. A package is a number of
follow-up sessions paid for in advance.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.domain.money import format_money, percent_off

# A session typically costs $50 to $150 depending mostly on where the clinic is.
MARKET_LOW_CENTS = 5_000
MARKET_HIGH_CENTS = 15_000
MAX_SESSIONS = 60


@dataclass(frozen=True, slots=True)
class SessionRange:
    min_sessions: int
    typical_sessions: int
    max_sessions: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_sessions <= self.typical_sessions <= self.max_sessions:
            raise ValueError("course plan needs 1 <= min <= typical <= max sessions")


@dataclass(frozen=True, slots=True)
class Prices:
    """What a course's sessions cost: the first consultation, then each follow-up."""

    first_cents: int
    follow_up_cents: int

    def __post_init__(self) -> None:
        if self.first_cents < 0 or self.follow_up_cents < 0:
            raise ValueError("price cannot be negative")

    def course_cents(self, sessions: int) -> int:
        """One first consultation and `sessions` - 1 follow-ups."""
        return self.first_cents + (sessions - 1) * self.follow_up_cents


@dataclass(frozen=True, slots=True)
class Package:
    """Follow-up sessions paid in advance: N for a fixed price, or at a percentage off."""

    sessions: int
    price_cents: int | None = None
    discount_percent: int | None = None

    def __post_init__(self) -> None:
        if self.sessions < 2:
            raise ValueError("a package needs at least 2 sessions")
        if (self.price_cents is None) == (self.discount_percent is None):
            raise ValueError("a package has either a price or a percentage off, not both")
        if self.price_cents is not None and self.price_cents <= 0:
            raise ValueError("a package price must be positive")
        if self.discount_percent is not None and not 1 <= self.discount_percent <= 90:
            raise ValueError("a package discount is between 1% and 90%")

    def total_cents(self, price_cents: int) -> int:
        if self.price_cents is not None:
            return self.price_cents
        return percent_off(price_cents * self.sessions, self.discount_percent or 0)


@dataclass(frozen=True, slots=True)
class PackageLine:
    """The package beside paying session by session for the same number of sessions."""

    sessions: int
    total_cents: int
    pay_as_you_go_cents: int

    @property
    def saving_cents(self) -> int:
        return self.pay_as_you_go_cents - self.total_cents

    @property
    def per_session_cents(self) -> int:
        return self.total_cents // self.sessions


@dataclass(frozen=True, slots=True)
class Line:
    """One row of an estimate: a session count and what it costs."""

    label: str
    sessions: int
    total_cents: int
    market_low_cents: int
    market_high_cents: int


@dataclass(frozen=True, slots=True)
class Estimate:
    prices: Prices
    currency: str
    plan: SessionRange
    lines: tuple[Line, ...]
    requested: Line | None = None
    package: PackageLine | None = None

    @property
    def first_cents(self) -> int:
        return self.prices.first_cents

    @property
    def follow_up_cents(self) -> int:
        return self.prices.follow_up_cents

    def line(self, label: str) -> Line:
        return next(line for line in self.lines if line.label == label)


def _line(label: str, sessions: int, prices: Prices) -> Line:
    return Line(
        label,
        sessions,
        prices.course_cents(sessions),
        MARKET_LOW_CENTS * sessions,
        MARKET_HIGH_CENTS * sessions,
    )


def course_estimate(
    prices: Prices,
    currency: str,
    plan: SessionRange,
    sessions: int | None = None,
    package: Package | None = None,
) -> Estimate:
    """A course's cost for the plan's fewest, typical and most sessions, beside the market's.

    `sessions`, when given, adds a line for that exact count; a `package` adds the
    prepaid follow-ups beside paying for them one by one. An estimate is a range to plan
    with, never a promise: the practitioner reviews progress as the course goes.
    """
    if sessions is not None and not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS}")
    lines = (
        _line("min", plan.min_sessions, prices),
        _line("typical", plan.typical_sessions, prices),
        _line("max", plan.max_sessions, prices),
    )
    requested = _line("requested", sessions, prices) if sessions is not None else None
    package_line = None
    if package is not None:
        follow_up = prices.follow_up_cents
        package_line = PackageLine(
            package.sessions, package.total_cents(follow_up), follow_up * package.sessions
        )
    return Estimate(prices, currency, plan, lines, requested, package_line)


def package_text(offer, currency: str) -> str | None:
    """'5 follow-up sessions for $400.00', '... at 10% off', or None: a plan's package."""
    if not offer.package_sessions:
        return None
    if offer.package_price_cents is not None:
        price = format_money(offer.package_price_cents, currency)
        return f"{offer.package_sessions} follow-up sessions for {price}"
    return f"{offer.package_sessions} follow-up sessions at {offer.package_discount_percent}% off"
