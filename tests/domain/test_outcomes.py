"""Is the course working: the improvement rule, the prompt's timing, the owner's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from booking.domain.outcomes import (
    CONTINUE,
    DISCHARGED,
    REFER,
    REFERRED,
    REVIEW,
    CourseOutcome,
    Decision,
    Score,
    meaningful_fall,
    outcome_figures,
    peg_due,
    prompt,
    scale_problem,
    stopped_early,
    trend,
)

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def scores(*pains, pegs=None) -> list[Score]:
    """Pain scores for sessions 1, 2, ... (None: nothing recorded at that session)."""
    pegs = pegs or {}
    return [
        Score(n, START + timedelta(weeks=n - 1), pain, pegs.get(n))
        for n, pain in enumerate(pains, 1)
        if pain is not None or n in pegs
    ]


@pytest.mark.parametrize(
    ("first", "latest", "meaningful"),
    [
        pytest.param(8, 6, True, id="two-points"),
        pytest.param(8, 7, False, id="one-point-of-eight"),
        pytest.param(3, 2, True, id="one-point-is-a-third"),
        pytest.param(10, 7, True, id="thirty-percent-exactly"),
        pytest.param(7, 5, True, id="two-points-is-29-percent"),
        pytest.param(5, 4, False, id="20-percent-one-point"),
        pytest.param(6, 6, False, id="no-change"),
        pytest.param(4, 6, False, id="worse"),
        pytest.param(0, 0, False, id="nothing-to-improve"),
        pytest.param(1, 0, True, id="one-to-none"),
    ],
)
def test_meaningful_improvement_is_a_fall_of_30_percent_or_2_points(first, latest, meaningful):
    assert meaningful_fall(first, latest) is meaningful


def test_the_peg_is_judged_on_its_mean_of_three():
    # PEG 8, 8, 8 (mean 8) to 7, 6, 6 (mean 6.33): a fall of 1.67 points, 21 %: not enough.
    t = trend(scores(None, None, None, None, pegs={1: 24, 4: 19}))
    assert t.measured == "peg"
    assert t.peg.first == 8 and t.peg.latest == Fraction(19, 3)
    assert t.improved is False
    assert trend(scores(None, None, None, None, pegs={1: 24, 4: 18})).improved is True


@pytest.mark.parametrize(
    ("pains", "improved", "worse"),
    [
        pytest.param((7, 6, 4), True, False, id="improves"),
        pytest.param((7, 4, 3, 6), False, False, id="improves-then-slips-back"),
        pytest.param((5, 6, 7), False, True, id="worse"),
        pytest.param((7,), False, False, id="one-score"),
        pytest.param((), False, False, id="no-scores"),
        pytest.param((7, None, None, 4), True, False, id="gaps"),
    ],
)
def test_the_latest_score_is_compared_with_the_first(pains, improved, worse):
    t = trend(scores(*pains))
    assert (t.improved, t.worse) == (improved, worse)


def test_pain_is_the_measure_when_there_is_one_and_the_peg_only_without():
    t = trend(scores(7, 7, 7, 7, pegs={1: 24, 4: 12}))
    assert t.measured == "pain" and t.improved is False  # the PEG fell, pain did not
    assert t.peg.meaningful is True


def test_sessions_to_improvement_count_the_visits_before_the_score_that_showed_it():
    # 8 before session 1, 7 before session 2, 5 before session 3: two visits brought it.
    assert trend(scores(8, 7, 5, 4)).sessions_to_improvement == 2
    assert trend(scores(8, 7, 7)).sessions_to_improvement is None


@pytest.mark.parametrize("session", [1, 4, 8, 12, 16])
def test_the_peg_is_due_at_the_first_session_and_every_fourth(session):
    assert peg_due(session) is True


@pytest.mark.parametrize("session", [None, 2, 3, 5, 6, 7, 9, 13])
def test_the_peg_is_not_asked_in_between(session):
    assert peg_due(session) is False


@pytest.mark.parametrize("value", [-1, 11, 3.5, "4", True, None])
def test_a_score_outside_0_to_10_is_refused(value):
    assert "from 0 to 10" in scale_problem(value)


@pytest.mark.parametrize("value", [0, 5, 10])
def test_whole_scores_from_0_to_10_are_fine(value):
    assert scale_problem(value) is None


FLAT = (7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7)


# (planned, done, pains, expected level or None, reason)
TIMING = [
    # A course of 5: review once 3 are done (half, rounded up), refer at 5.
    (5, 2, FLAT[:3], None, None),
    (5, 3, FLAT[:4], REVIEW, "half"),
    (5, 4, FLAT[:5], REVIEW, "half"),
    (5, 5, FLAT[:6], REFER, "planned"),
    # A course of 8: review at 4, refer at 8.
    (8, 3, FLAT[:4], None, None),
    (8, 4, FLAT[:5], REVIEW, "half"),
    (8, 7, FLAT[:8], REVIEW, "half"),
    (8, 8, FLAT[:8], REFER, "planned"),
    # A course of 12: review at 6, refer at 12.
    (12, 5, FLAT[:6], None, None),
    (12, 6, FLAT[:7], REVIEW, "half"),
    (12, 12, FLAT[:12], REFER, "planned"),
    # Improving: nothing to prompt, at half or at the end.
    (8, 4, (7, 6, 5, 4), None, None),
    (8, 8, (7, 6, 5, 4, 4, 3, 3, 3), None, None),
    # Worse than at the start after three visits: refer, even before half.
    (12, 3, (5, 6, 6, 7), REFER, "worse"),
    (12, 2, (5, 6, 7), None, None),
    # Improved, then slipped back to where it began: not meaningful at half.
    (8, 4, (7, 4, 3, 7, 7), REVIEW, "half"),
    # ... and past it by the end: refer, because it is worse.
    (8, 8, (6, 3, 3, 4, 5, 6, 7, 7, 8), REFER, "worse"),
    # No scores at all: the course is still reviewed at half and at the end.
    (8, 4, (), REVIEW, "half"),
    (8, 8, (7,), REFER, "planned"),
]


@pytest.mark.parametrize(("planned", "done", "pains", "level", "reason"), TIMING)
def test_the_prompt_comes_at_half_and_all_of_the_planned_sessions(
    planned, done, pains, level, reason
):
    due = prompt(trend(scores(*pains)), done, planned, [])
    if level is None:
        assert due is None
    else:
        assert (due.level, due.reason) == (level, reason)


def decided(kind: str, at: int, refer_to: str | None = None) -> Decision:
    return Decision(kind, at, START + timedelta(weeks=at), refer_to)


def test_a_decision_to_continue_answers_the_prompt_until_the_new_plans_milestones():
    flat = trend(scores(*FLAT[:5]))
    # At half of 8 the practitioner continues, with a new plan of 12.
    assert prompt(flat, 4, 8, [decided(CONTINUE, 4)]) is None
    # Half of the new plan (6) brings the review back, and all of it the referral.
    assert prompt(trend(scores(*FLAT[:7])), 6, 12, [decided(CONTINUE, 4)]).level == REVIEW
    assert prompt(trend(scores(*FLAT[:12])), 12, 12, [decided(CONTINUE, 4)]).level == REFER
    # Continuing once more at 6 answers the review at 6, not the referral at 12.
    assert (
        prompt(trend(scores(*FLAT[:7])), 6, 12, [decided(CONTINUE, 4), decided(CONTINUE, 6)])
        is None
    )


def test_a_referral_or_a_discharge_ends_the_prompts():
    flat = trend(scores(*FLAT[:9]))
    assert prompt(flat, 8, 8, [decided(REFERRED, 8, "physiotherapy")]) is None
    assert prompt(flat, 8, 8, [decided(DISCHARGED, 8)]) is None
    # Until the practitioner decides, later, to continue after all.
    later = [decided(REFERRED, 8, "gp"), decided(CONTINUE, 9)]
    assert prompt(trend(scores(*FLAT[:11])), 10, 12, later) is None
    assert prompt(trend(scores(*FLAT[:13])), 12, 12, later).level == REFER


def test_the_prompt_says_what_the_scores_are():
    due = prompt(trend(scores(7, 7, 7, 7, 6)), 4, 8, [])
    assert due.heading == "Review progress"
    assert due.message == (
        "4 of 8 planned sessions are done without a meaningful improvement: "
        "pain is 6 now against 7 at first."
    )
    missing = prompt(trend([]), 4, 8, [])
    assert "no scores have been recorded to compare" in missing.message
    worse = prompt(trend(scores(4, 5, 6, 7)), 3, 8, [])
    assert worse.heading == "Consider referring out"
    assert worse.message.startswith("After 3 visits the scores are worse than at the start")


NOW = START + timedelta(weeks=20)


def course(
    condition="neck", planned=8, done=8, ahead=0, last_weeks_ago=6, pains=(7, 7), decision=None
):
    return CourseOutcome(
        condition=condition,
        planned=planned,
        done=done,
        booked_ahead=ahead,
        last_visit=None if last_weeks_ago is None else NOW - timedelta(weeks=last_weeks_ago),
        trend=trend(scores(*pains)),
        decision=decision,
    )


@pytest.mark.parametrize(
    ("kwargs", "stopped"),
    [
        pytest.param({"done": 3}, True, id="three-of-eight-then-nothing"),
        pytest.param({"done": 3, "ahead": 1}, False, id="more-booked"),
        pytest.param({"done": 3, "last_weeks_ago": 2}, False, id="seen-recently"),
        pytest.param({"done": 8}, False, id="finished-the-plan"),
        pytest.param({"done": 0, "last_weeks_ago": None}, False, id="never-came"),
        pytest.param({"done": 3, "decision": decided(REFERRED, 3, "gp")}, False, id="referred"),
        pytest.param({"done": 3, "decision": decided(CONTINUE, 3)}, True, id="continued-then-gone"),
    ],
)
def test_a_course_stopped_early_ended_before_its_plan_without_a_decision(kwargs, stopped):
    assert stopped_early(course(**kwargs), NOW) is stopped


def test_the_owners_figures_count_improved_referred_and_stopped_courses():
    courses = [
        course(pains=(8, 7, 5, 4)),  # improved after 2 visits
        course(pains=(6, 6, 3)),  # improved after 2 visits
        course(pains=(9, 9, 9, 9, 4)),  # improved after 4 visits
        course(pains=(7, 7), decision=decided(REFERRED, 8, "physiotherapy")),
        course(pains=(7, 8), decision=decided(REFERRED, 8, "gp")),
        course(done=3, pains=(7, 7)),  # stopped early
        course(pains=()),  # nothing to compare
        course(condition="back", pains=(6, 2), decision=decided(DISCHARGED, 6)),
    ]
    every = outcome_figures(courses, NOW)
    assert (every.courses, every.measured, every.improved) == (8, 7, 4)
    assert (every.referred, every.discharged, every.stopped_early) == (2, 1, 1)
    assert dict(every.referred_to) == {
        "physiotherapy": 1,
        "chiropractic": 0,
        "massage": 0,
        "gp": 1,
        "orthopaedic": 0,
    }
    assert every.median_sessions_to_improvement == 2  # of 2, 2, 4 and 1
    neck = outcome_figures(courses, NOW, "neck")
    assert (neck.courses, neck.improved, neck.median_sessions_to_improvement) == (7, 3, 2)
    back = outcome_figures(courses, NOW, "back")
    assert (back.courses, back.discharged, back.median_sessions_to_improvement) == (1, 1, 1)
    assert outcome_figures([], NOW).median_sessions_to_improvement is None


def test_worse_than_at_the_start_prompts_again_three_visits_after_a_decision():
    worse = (5, 6, 6, 7, 8, 8, 9, 9)
    continued = [decided(CONTINUE, 4)]
    # Continued at 4 with a plan of 12: the review at half (6) comes first, then worse at 7.
    assert prompt(trend(scores(*worse[:6])), 5, 12, continued) is None
    assert (prompt(trend(scores(*worse[:7])), 6, 12, continued).reason) == "half"
    assert prompt(trend(scores(*worse[:7])), 6, 12, [*continued, decided(CONTINUE, 6)]) is None
    again = prompt(trend(scores(*worse[:8])), 7, 12, continued)
    assert (again.level, again.reason, again.due_at) == (REFER, "worse", 7)
