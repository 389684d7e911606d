"""A course's trend as pages show it: a small SVG line chart and a sentence, one worded for
staff and one, kindly, for the patient."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from booking.domain.outcomes import Change, Trend, number, percent_text

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 12, 12, 30


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class TrendChart:
    width: int
    height: int
    pain: str  # polyline points, "" when there are none
    peg: str
    pain_dots: tuple[Dot, ...]
    peg_dots: tuple[Dot, ...]
    x_labels: tuple[tuple[float, str], ...]
    y_labels: tuple[tuple[float, str], ...]
    left: int
    right: int
    description: str


def _x(session: int, last: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span / 2 if last <= 1 else span * (session - 1) / (last - 1))


def _y(value: Fraction | int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - float(value) / 10)


def _dots(points: list[tuple[int, Fraction | int]], last: int, name: str) -> tuple[Dot, ...]:
    return tuple(
        Dot(round(_x(s, last), 1), round(_y(v), 1), f"Session {s}: {name} {number(v)}")
        for s, v in points
    )


def trend_chart(trend: Trend) -> TrendChart | None:
    """The pain (solid) and PEG (dashed) scores by session, 0 at the bottom; None
    without a score."""
    pain = [(s.session, s.pain) for s in trend.scores if s.pain is not None]
    peg = [(s.session, s.peg) for s in trend.scores if s.peg is not None]
    if not pain and not peg:
        return None
    last = max(s.session for s in trend.scores)
    pain_dots, peg_dots = _dots(pain, last, "pain"), _dots(peg, last, "PEG")
    step = 1 if last <= 12 else 2
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        pain=" ".join(f"{d.x},{d.y}" for d in pain_dots),
        peg=" ".join(f"{d.x},{d.y}" for d in peg_dots),
        pain_dots=pain_dots,
        peg_dots=peg_dots,
        x_labels=tuple(
            (round(_x(s, last), 1), str(s)) for s in range(1, last + 1) if (s - 1) % step == 0
        ),
        y_labels=tuple((round(_y(v), 1), str(v)) for v in (0, 5, 10)),
        left=LEFT,
        right=WIDTH - RIGHT,
        description=staff_summary(trend),
    )


def _change_text(change: Change, name: str) -> str:
    return f"{name} {number(change.first)} → {number(change.latest)} ({percent_text(change)})"


def staff_summary(trend: Trend) -> str:
    """'Pain 7 → 4 (down 43 %): a meaningful improvement.'"""
    change = trend.main
    if change is None:
        if not trend.scores:
            return "No scores recorded yet."
        return "One score so far: the change shows from the next one."
    name = "Pain" if trend.measured == "pain" else "PEG"
    text = _change_text(change, name)
    if change.meaningful:
        verdict = "a meaningful improvement"
    elif change.worse:
        verdict = "worse than at the start"
    else:
        verdict = "no meaningful improvement yet"
    extra = ""
    if trend.measured == "pain" and trend.peg is not None:
        extra = f"; {_change_text(trend.peg, 'PEG')}"
    return f"{text}: {verdict}{extra}."


def patient_summary(trend: Trend) -> str:
    """The same news for the patient, in plain and kind words."""
    change = trend.main
    if change is None:
        if not trend.scores:
            return (
                "Your answers before each visit will show here, so you can see how you "
                "are getting on."
            )
        return (
            "Thank you for your first score. After your next one you will see how things "
            "are changing."
        )
    first, latest = number(change.first), number(change.latest)
    name = "pain score" if trend.measured == "pain" else "score for how pain affects your days"
    if change.meaningful:
        return (
            f"Your {name} has come down from {first} to {latest} since you started. "
            "That is a real improvement: well done for keeping up with your course."
        )
    if change.worse:
        return (
            f"Your {name} is {latest} now, against {first} when you started. Please tell your "
            "practitioner how you are: they will look at your plan with you, and if "
            "something else may help more, they will say so."
        )
    return (
        f"Your {name} was {first} when you started and is {latest} now. Progress is not always "
        "steady; your practitioner reviews it with you as the course goes on."
    )
