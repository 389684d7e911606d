"""A patient's course so far: sessions done, booked and missed against the plan, what it
has cost and about what remains.

Pure: takes the course's bookings, the planned sessions and prices as values and `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from booking.domain.estimates import Prices
from booking.domain.statuses import ARRIVED, FULFILLED, NOSHOW

# The booking status words this module counts (the models use the same words).


# --- one course: its sessions so far, the plan, what it has cost and what remains -------

COUNTED_OUT = frozenset({"cancelled", "entered-in-error"})


@dataclass(frozen=True, slots=True)
class Session:
    """One booking of a course, as the progress counts it."""

    booking_id: int
    status: str
    start: datetime
    price_cents: int


@dataclass(frozen=True, slots=True)
class Progress:
    planned: int  # sessions the practitioner plans, the first consultation included
    done: int  # attended (done, or arrived and under way)
    booked_ahead: int  # booked and still to come
    unmarked: int  # started already but not yet marked done or missed
    missed: int  # no-shows
    charged_cents: int  # what the sessions attended cost, at the prices they were booked at
    to_book: int  # sessions of the plan not booked yet
    remaining_cents: int  # booked sessions at their prices, the rest at today's
    numbers: tuple[tuple[int, int], ...]  # (booking id, session number), in order

    def number_of(self, booking_id: int) -> int | None:
        """'Session 3 of 10': where this booking falls among the sessions received or due."""
        return dict(self.numbers).get(booking_id)

    @property
    def beyond_plan(self) -> bool:
        return self.done > self.planned


def course_progress(
    sessions: Iterable[Session], planned: int, prices: Prices, now: datetime
) -> Progress:
    """How far a course has come against its plan, and what it costs so far and to go.

    Cancelled and voided bookings count for nothing; a no-show is counted as missed and
    takes no session number. What remains is the sessions booked ahead at their booked
    prices plus the sessions still to book at today's prices: a first consultation's if
    nothing in the course has been booked yet, then follow-ups.
    """
    ordered = sorted(
        (s for s in sessions if s.status not in COUNTED_OUT), key=lambda s: (s.start, s.booking_id)
    )
    done = booked_ahead = unmarked = missed = charged = booked_cents = 0
    numbers = []
    for session in ordered:
        if session.status == NOSHOW:
            missed += 1
            continue
        numbers.append((session.booking_id, len(numbers) + 1))
        if session.status == FULFILLED or (session.status == ARRIVED and session.start <= now):
            done += 1
            charged += session.price_cents
        elif session.start > now:
            booked_ahead += 1
            booked_cents += session.price_cents
        else:
            unmarked += 1
            booked_cents += session.price_cents
    in_diary = done + booked_ahead + unmarked
    to_book = max(planned - in_diary, 0)
    if to_book and in_diary == 0:
        unbooked = prices.course_cents(to_book)
    else:
        unbooked = to_book * prices.follow_up_cents
    return Progress(
        planned=planned,
        done=done,
        booked_ahead=booked_ahead,
        unmarked=unmarked,
        missed=missed,
        charged_cents=charged,
        to_book=to_book,
        remaining_cents=booked_cents + unbooked,
        numbers=tuple(numbers),
    )
