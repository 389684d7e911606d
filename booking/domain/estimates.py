"""Course-cost estimates: the clinic's price and the market range times planned sessions."""

from __future__ import annotations

from dataclasses import dataclass

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
    price_cents: int, currency: str, plan: CoursePlan, sessions: int | None = None
) -> Estimate:
    """Price x planned sessions (min, typical, max), beside the market range x the same.

    `sessions`, when given, adds a line for that exact count. An estimate is a range
    to plan with, never a promise: the practitioner reviews progress as the course goes.
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
    return Estimate(price_cents, currency, plan, lines, requested)
