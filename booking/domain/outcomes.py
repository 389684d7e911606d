"""Is the course working? Scores across a course, the improvement rule, and when staff
are prompted to review it or to consider referring the patient out.

Pain is the 0-10 numeric rating scale, "average pain over the last 24 hours", asked
before every visit. Function is the PEG scale (Krebs et al. 2009, public domain): three
0-10 items whose mean is the score, asked at the first consultation and every fourth
session. A clinically meaningful improvement (IMMPACT) is a fall of at least 30 %, or of
at least 2 points, from the first score to the latest.

Pure: scores and decisions come in as values; nothing here reads the clock.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

SCALE = (0, 10)
MEANINGFUL_POINTS = 2
MEANINGFUL_FRACTION = Fraction(3, 10)
PEG_EVERY = 4  # the PEG is asked at session 1 and at sessions 4, 8, 12, ...
WORSE_AFTER = 3  # visits done before "worse than at the start" prompts a referral
DISABILITY_RANGE = (0, 100)  # a licensed Neck Disability Index or Oswestry, in percent

PAIN_QUESTION = "What was your pain on average over the last 24 hours?"
PAIN_ENDS = ("No pain", "Pain as bad as you can imagine")

# The PEG's own wording: it is validated as written.
PEG_ITEMS: tuple[tuple[str, str, tuple[str, str]], ...] = (
    (
        "peg_pain",
        "What number best describes your pain on average in the past week?",
        ("No pain", "Pain as bad as you can imagine"),
    ),
    (
        "peg_enjoyment",
        "What number best describes how, during the past week, pain has interfered with "
        "your enjoyment of life?",
        ("Does not interfere", "Completely interferes"),
    ),
    (
        "peg_activity",
        "What number best describes how, during the past week, pain has interfered with "
        "your general activity?",
        ("Does not interfere", "Completely interferes"),
    ),
)
PEG_KEYS = tuple(key for key, _, _ in PEG_ITEMS)

# The licensed measures an owner may switch on, by the condition they suit.
DISABILITY_MEASURES = {
    "ndi": ("Neck Disability Index", "neck"),
    "odi": ("Oswestry Disability Index", "back"),
}

REVIEW, REFER = "review", "refer"
CONTINUE, REFERRED, DISCHARGED = "continue", "refer", "discharge"
DECISIONS = {
    CONTINUE: "Continue the course",
    REFERRED: "Refer out",
    DISCHARGED: "Discharge as improved",
}
REFERRALS = {
    "physiotherapy": "Physiotherapy",
    "chiropractic": "Chiropractic",
    "massage": "Massage therapy",
    "gp": "GP or doctor",
    "orthopaedic": "Orthopaedic specialist",
}
# How the referral letter names whom it is for, and what for.
LETTER_TO = {
    "physiotherapy": ("the physiotherapist", "physiotherapy"),
    "chiropractic": ("the chiropractor", "chiropractic care"),
    "massage": ("the massage therapist", "massage therapy"),
    "gp": ("the patient's GP or doctor", "a medical review"),
    "orthopaedic": ("the orthopaedic specialist", "an orthopaedic assessment"),
}


def scale_problem(value: object, name: str = "The score") -> str | None:
    """Why a 0-10 answer cannot be stored, or None. Booleans are not numbers here."""
    low, high = SCALE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{name} must be a whole number from {low} to {high}."
    return None


def peg_due(session: int | None) -> bool:
    """Whether the PEG is asked at this session (the first consultation is session 1)."""
    return session is not None and (session == 1 or session % PEG_EVERY == 0)


@dataclass(frozen=True, slots=True)
class Score:
    """What was recorded for one session of a course."""

    session: int  # its number in the course, the first consultation being 1
    at: datetime  # when the session is (or was)
    pain: int | None = None
    peg_total: int | None = None  # the three PEG items added up, 0-30
    disability: int | None = None  # a licensed NDI or ODI, in percent

    @property
    def peg(self) -> Fraction | None:
        return None if self.peg_total is None else Fraction(self.peg_total, 3)


@dataclass(frozen=True, slots=True)
class Change:
    """From the first score of one measure to its latest."""

    first: Fraction | int
    latest: Fraction | int
    first_session: int
    latest_session: int

    @property
    def points(self) -> Fraction | int:
        """Negative is better: the pain fell."""
        return self.latest - self.first

    @property
    def percent(self) -> Fraction | None:
        return None if self.first == 0 else Fraction(self.points) * 100 / self.first

    @property
    def meaningful(self) -> bool:
        return meaningful_fall(self.first, self.latest)

    @property
    def worse(self) -> bool:
        return self.latest > self.first


def meaningful_fall(first: Fraction | int, latest: Fraction | int) -> bool:
    """A fall of at least 2 points, or of at least 30 % of the first score (exact:
    whole numbers or fractions, never floats)."""
    fall = first - latest
    if fall <= 0:
        return False
    share = MEANINGFUL_FRACTION
    return fall >= MEANINGFUL_POINTS or fall * share.denominator >= first * share.numerator


def _change(values: Sequence[tuple[int, Fraction | int]]) -> Change | None:
    if len(values) < 2:
        return None
    (first_session, first), (latest_session, latest) = values[0], values[-1]
    return Change(first, latest, first_session, latest_session)


@dataclass(frozen=True, slots=True)
class Trend:
    scores: tuple[Score, ...]  # by session
    pain: Change | None
    peg: Change | None

    @property
    def main(self) -> Change | None:
        """The change the course is judged on: pain, or the PEG where pain is missing."""
        return self.pain or self.peg

    @property
    def measured(self) -> str | None:
        return "pain" if self.pain else "peg" if self.peg else None

    @property
    def improved(self) -> bool:
        return bool(self.main and self.main.meaningful)

    @property
    def worse(self) -> bool:
        return bool(self.main and self.main.worse)

    @property
    def first_improved_session(self) -> int | None:
        """The first session whose score shows a meaningful fall from the first one, when
        the latest still does."""
        if not self.improved:
            return None
        values = _series(self.scores, self.measured)
        first = values[0][1]
        return next(session for session, value in values[1:] if meaningful_fall(first, value))

    @property
    def sessions_to_improvement(self) -> int | None:
        """Visits done before the score that first showed it (scores are taken before a
        visit, so session n's score follows n - 1 visits)."""
        session = self.first_improved_session
        return None if session is None else max(session - 1, 1)


def _series(scores: Iterable[Score], measure: str | None) -> list[tuple[int, Fraction | int]]:
    if measure == "pain":
        return [(s.session, s.pain) for s in scores if s.pain is not None]
    if measure == "peg":
        return [(s.session, s.peg) for s in scores if s.peg is not None]
    return []


def trend(scores: Iterable[Score]) -> Trend:
    ordered = tuple(sorted(scores, key=lambda s: (s.session, s.at)))
    return Trend(ordered, _change(_series(ordered, "pain")), _change(_series(ordered, "peg")))


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str  # CONTINUE, REFERRED or DISCHARGED
    at_session: int  # sessions done when it was recorded
    decided_at: datetime
    refer_to: str | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    level: str  # REVIEW or REFER
    reason: str  # "half", "planned" or "worse"
    due_at: int  # the sessions done that brought it
    message: str

    @property
    def heading(self) -> str:
        return "Review progress" if self.level == REVIEW else "Consider referring out"


def _scores_text(t: Trend) -> str:
    change = t.main
    if change is None:
        if not t.scores:
            return "no scores have been recorded to compare"
        return "only one score has been recorded, so there is nothing to compare yet"
    name = "pain" if t.measured == "pain" else "the PEG score"
    return f"{name} is {number(change.latest)} now against {number(change.first)} at first"


def prompt(t: Trend, done: int, planned: int, decisions: Sequence[Decision]) -> Prompt | None:
    """What staff should be prompted to do now, if anything.

    - Half the planned sessions done (rounded up) without a meaningful improvement:
      review progress.
    - All the planned sessions done without one, or scores worse than at the start after
      three visits (three more after a decision): consider referring out.

    A decision answers every prompt due at or before the sessions done when it was made:
    after "continue" with a new plan the prompts come again at half and all of that
    plan. A referral or a discharge ends the prompts until a later "continue".
    """
    latest = max(decisions, key=lambda d: (d.decided_at, d.at_session), default=None)
    if latest is not None and latest.kind != CONTINUE:
        return None
    answered = max((d.at_session for d in decisions), default=0)
    half = math.ceil(planned / 2)
    # Worse than at the start: after three visits, and three more after each decision.
    worse_due = answered + WORSE_AFTER
    due: list[Prompt] = []
    if done >= worse_due and t.worse:
        due.append(
            Prompt(
                REFER,
                "worse",
                worse_due,
                f"After {done} visits the scores are worse than at the start: {_scores_text(t)}.",
            )
        )
    if not t.improved and done >= planned:
        due.append(
            Prompt(
                REFER,
                "planned",
                planned,
                f"All {planned} planned sessions are done without a meaningful improvement: "
                f"{_scores_text(t)}.",
            )
        )
    if not t.improved and done >= half:
        due.append(
            Prompt(
                REVIEW,
                "half",
                half,
                f"{done} of {planned} planned sessions are done without a meaningful "
                f"improvement: {_scores_text(t)}.",
            )
        )
    return next((p for p in due if p.due_at > answered), None)


def number(value: Fraction | int | None) -> str:
    """A score as pages show it: 6, or 5.3 for a PEG mean."""
    if value is None:
        return "–"
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.1f}"


def percent_text(change: Change) -> str:
    """'down 40 %', 'up 25 %', 'no change'."""
    if change.percent is None:
        return "up from 0" if change.points > 0 else "no change"
    rounded = round(abs(change.percent))
    if change.points < 0:
        return f"down {rounded} %"
    if change.points > 0:
        return f"up {rounded} %"
    return "no change"


# --- the owner's outcome figures --------------------------------------------------------

STOPPED_AFTER_DAYS = 28  # a course with nothing booked and no visit for this long ended


@dataclass(frozen=True, slots=True)
class CourseOutcome:
    """One course, as the outcome report counts it."""

    condition: str
    planned: int
    done: int
    booked_ahead: int
    last_visit: datetime | None
    trend: Trend
    decision: Decision | None  # the latest one


@dataclass(frozen=True, slots=True)
class OutcomeFigures:
    condition: str | None  # None: every condition
    courses: int
    measured: int  # with two scores or more to compare
    improved: int
    referred: int
    referred_to: tuple[tuple[str, int], ...]
    discharged: int
    stopped_early: int
    median_sessions_to_improvement: Fraction | None


def stopped_early(c: CourseOutcome, now: datetime) -> bool:
    """Ended before its plan: visits made, fewer than planned, nothing booked, none for
    four weeks, and no referral or discharge recorded."""
    if c.decision is not None and c.decision.kind != CONTINUE:
        return False
    if c.done == 0 or c.done >= c.planned or c.booked_ahead or c.last_visit is None:
        return False
    return (now - c.last_visit).days >= STOPPED_AFTER_DAYS


@dataclass(frozen=True, slots=True)
class _Counted:
    """What the figures need of one course, worked out once."""

    condition: str
    measured: bool
    improved: bool
    sessions_to_improvement: int | None
    stopped_early: bool
    decision: Decision | None


def _counted(c: CourseOutcome, now: datetime) -> _Counted:
    t = c.trend
    return _Counted(
        c.condition,
        t.main is not None,
        t.improved,
        t.sessions_to_improvement,
        stopped_early(c, now),
        c.decision,
    )


def _figures(counted: Sequence[_Counted], condition: str | None) -> OutcomeFigures:
    chosen = [c for c in counted if condition is None or c.condition == condition]
    to = dict.fromkeys(REFERRALS, 0)
    referred = 0
    for c in chosen:
        if c.decision and c.decision.kind == REFERRED:
            referred += 1
            if c.decision.refer_to in to:
                to[c.decision.refer_to] += 1
    sessions = [c.sessions_to_improvement for c in chosen if c.sessions_to_improvement]
    return OutcomeFigures(
        condition=condition,
        courses=len(chosen),
        measured=sum(c.measured for c in chosen),
        improved=sum(c.improved for c in chosen),
        referred=referred,
        referred_to=tuple(to.items()),
        discharged=sum(1 for c in chosen if c.decision and c.decision.kind == DISCHARGED),
        stopped_early=sum(c.stopped_early for c in chosen),
        median_sessions_to_improvement=(
            Fraction(statistics.median(sessions)) if sessions else None
        ),
    )


def outcome_figures(
    outcomes: Sequence[CourseOutcome], now: datetime, condition: str | None = None
) -> OutcomeFigures:
    """The owner's figures for one condition, or every course (None)."""
    return _figures([_counted(c, now) for c in outcomes], condition)


def outcome_table(
    outcomes: Sequence[CourseOutcome], now: datetime, conditions: Iterable[str]
) -> tuple[OutcomeFigures, ...]:
    """Every course's figures first, then each condition's: each course read once."""
    counted = [_counted(c, now) for c in outcomes]
    return tuple(_figures(counted, condition) for condition in (None, *conditions))
