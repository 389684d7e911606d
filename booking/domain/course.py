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
    follow_up: bool = True  # a package covers follow-ups, never the first consultation


@dataclass(frozen=True, slots=True)
class PackageBought:
    """Sessions paid for in advance at the desk, drawn one by one as sessions are done."""

    paid_at: datetime  # sessions attended from this moment on draw from it
    sessions: int
    amount_cents: int


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
    package_sessions: int = 0  # bought in packages, in all
    package_left: int = 0  # of those, not yet drawn by a session done

    def number_of(self, booking_id: int) -> int | None:
        """'Session 3 of 10': where this booking falls among the sessions received or due."""
        return dict(self.numbers).get(booking_id)

    @property
    def beyond_plan(self) -> bool:
        return self.done > self.planned


def counted(sessions: Iterable[Session]) -> list[Session]:
    """The sessions a course counts, in order: cancelled and voided ones left out."""
    return sorted(
        (s for s in sessions if s.status not in COUNTED_OUT), key=lambda s: (s.start, s.booking_id)
    )


def is_done(session: Session, now: datetime) -> bool:
    """Attended: marked done, or arrived and under way."""
    return session.status == FULFILLED or (session.status == ARRIVED and session.start <= now)


@dataclass(frozen=True, slots=True)
class Tally:
    done: int
    booked_ahead: int
    numbers: dict[int, int]  # booking id -> session number


def tally(sessions: Iterable[Session], now: datetime) -> Tally:
    """Where a course stands, without the money: what `course_progress` counts, for
    reports over many courses."""
    done = ahead = 0
    numbers: dict[int, int] = {}
    for session in counted(sessions):
        if session.status == NOSHOW:
            continue
        numbers[session.booking_id] = len(numbers) + 1
        if is_done(session, now):
            done += 1
        elif session.start > now:
            ahead += 1
    return Tally(done, ahead, numbers)


def course_progress(
    sessions: Iterable[Session],
    planned: int,
    prices: Prices,
    now: datetime,
    packages: Iterable[PackageBought] = (),
) -> Progress:
    """How far a course has come against its plan, and what it costs so far and to go.

    Cancelled and voided bookings count for nothing; a no-show is counted as missed and
    takes no session number. What remains is the sessions booked ahead at their booked
    prices plus the sessions still to book at today's prices: a first consultation's if
    nothing in the course has been booked yet, then follow-ups.

    A package draws one session for each follow-up done after it was paid for, the oldest
    package first; its price counts as charged when it is paid, and the sessions it still
    covers cost nothing more.
    """
    bought = sorted(packages, key=lambda p: p.paid_at)
    credit = [p.sessions for p in bought]
    ordered = counted(sessions)
    done = booked_ahead = unmarked = missed = charged = 0
    numbers = []
    due: list[int] = []  # the booked prices of sessions not yet done, in order
    for session in ordered:
        if session.status == NOSHOW:
            missed += 1
            continue
        numbers.append((session.booking_id, len(numbers) + 1))
        if is_done(session, now):
            done += 1
            paid = next(
                (
                    i
                    for i, p in enumerate(bought)
                    if session.follow_up and p.paid_at <= session.start and credit[i]
                ),
                None,
            )
            if paid is None:
                charged += session.price_cents
            else:
                credit[paid] -= 1
        elif session.start > now:
            booked_ahead += 1
            due.append(session.price_cents)
        else:
            unmarked += 1
            due.append(session.price_cents)
    in_diary = done + booked_ahead + unmarked
    to_book = max(planned - in_diary, 0)
    if to_book and in_diary == 0:
        unbooked = prices.course_cents(to_book)
    else:
        unbooked = to_book * prices.follow_up_cents
    # What the packages still cover is already paid: those sessions cost nothing more.
    left = sum(credit)
    covered_booked = min(left, len(due))
    booked_cents = sum(due[covered_booked:])
    covered_unbooked = min(left - covered_booked, to_book)
    unbooked = max(unbooked - covered_unbooked * prices.follow_up_cents, 0)
    return Progress(
        planned=planned,
        done=done,
        booked_ahead=booked_ahead,
        unmarked=unmarked,
        missed=missed,
        charged_cents=charged + sum(p.amount_cents for p in bought),
        to_book=to_book,
        remaining_cents=booked_cents + unbooked,
        numbers=tuple(numbers),
        package_sessions=sum(p.sessions for p in bought),
        package_left=left,
    )
