"""Course-cost estimates: the clinic's price and the market range times planned sessions."""

from __future__ import annotations

from dataclasses import dataclass

from booking.domain.money import format_money, percent_off

# A session typically costs $50 to $150 depending mostly on where the clinic is.
MARKET_LOW_CENTS = 5_000
MARKET_HIGH_CENTS = 15_000
MAX_SESSIONS = 60


@dataclass(frozen=True, slots=True)
class CoursePlan:
    min_sessions: int
    typical_sessions: int
    max_sessions: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_sessions <= self.typical_sessions <= self.max_sessions:
            raise ValueError("course plan needs 1 <= min <= typical <= max sessions")


@dataclass(frozen=True, slots=True)
class Package:
    """A prepaid course: N sessions for a fixed price, or at a percentage off."""

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
    price_cents: int
    currency: str
    plan: CoursePlan
    lines: tuple[Line, ...]
    requested: Line | None = None
    package: PackageLine | None = None

    def line(self, label: str) -> Line:
        return next(line for line in self.lines if line.label == label)


def _line(label: str, sessions: int, price_cents: int) -> Line:
    return Line(
        label,
        sessions,
        price_cents * sessions,
        MARKET_LOW_CENTS * sessions,
        MARKET_HIGH_CENTS * sessions,
    )


def course_estimate(
    price_cents: int,
    currency: str,
    plan: CoursePlan,
    sessions: int | None = None,
    package: Package | None = None,
) -> Estimate:
    """Price x planned sessions (min, typical, max), beside the market range x the same.

    `sessions`, when given, adds a line for that exact count; a `package` adds the
    prepaid course beside paying as you go. An estimate is a range to plan with, never
    a promise: the practitioner reviews progress as the course goes.
    """
    if price_cents < 0:
        raise ValueError("price cannot be negative")
    if sessions is not None and not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS}")
    lines = (
        _line("min", plan.min_sessions, price_cents),
        _line("typical", plan.typical_sessions, price_cents),
        _line("max", plan.max_sessions, price_cents),
    )
    requested = _line("requested", sessions, price_cents) if sessions is not None else None
    package_line = None
    if package is not None:
        package_line = PackageLine(
            package.sessions, package.total_cents(price_cents), price_cents * package.sessions
        )
    return Estimate(price_cents, currency, plan, lines, requested, package_line)


def package_text(offer, currency: str) -> str | None:
    """'5 sessions for $400.00', '5 sessions at 10% off', or None: a service's package."""
    if not offer.package_sessions:
        return None
    if offer.package_price_cents is not None:
        price = format_money(offer.package_price_cents, currency)
        return f"{offer.package_sessions} sessions for {price}"
    return f"{offer.package_sessions} sessions at {offer.package_discount_percent}% off"
