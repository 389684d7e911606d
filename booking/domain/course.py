"""A patient's course so far: sessions done against the plan, per condition.

Pure: takes visits and course plans as values and `now`, returns counts to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from booking.domain.estimates import SessionRange
from booking.domain.statuses import ARRIVED, BOOKED, FULFILLED, NOSHOW

# The booking status words this module counts (the models use the same words).


@dataclass(frozen=True, slots=True)
class Visit:
    """One booking as the course counts it."""

    condition: str
    status: str
    start: datetime


@dataclass(frozen=True, slots=True)
class CourseSoFar:
    condition: str
    plan: SessionRange
    done: int  # fulfilled sessions
    upcoming: int  # booked (or arrived early) and not started yet
    unmarked: int  # started already but still booked or arrived: not yet marked done
    noshows: int

    @property
    def to_book(self) -> int:
        """Sessions to book beyond those already in the diary to reach the typical course."""
        return max(self.plan.typical_sessions - self.done - self.upcoming - self.unmarked, 0)

    @property
    def beyond_max(self) -> bool:
        """More sessions done than the plan's longest course: time for a review."""
        return self.done > self.plan.max_sessions


def course_so_far(
    visits: Iterable[Visit], plans: Mapping[str, SessionRange], now: datetime
) -> tuple[CourseSoFar, ...]:
    """One summary per condition the patient has booked for, in the order of `plans`.

    Cancelled visits count for nothing. A visit for a condition with no plan is
    ignored rather than guessed at.
    """
    counts: dict[str, dict[str, int]] = {}
    for visit in visits:
        if visit.condition not in plans:
            continue
        tally = counts.setdefault(
            visit.condition, {"done": 0, "upcoming": 0, "unmarked": 0, "noshows": 0}
        )
        if visit.status == FULFILLED:
            tally["done"] += 1
        elif visit.status == NOSHOW:
            tally["noshows"] += 1
        elif visit.status in (BOOKED, ARRIVED):
            tally["upcoming" if visit.start >= now else "unmarked"] += 1
    return tuple(
        CourseSoFar(condition, plan, **counts[condition])
        for condition, plan in plans.items()
        if condition in counts
    )
