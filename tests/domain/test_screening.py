"""Red-flag screening before booking: which answers mean see a doctor first."""

from __future__ import annotations

import pytest

from booking.domain.screening import (
    FOLLOW_UP_KEYS,
    FOLLOW_UPS,
    KEYS,
    QUESTIONS,
    recheck,
    screen,
    stored,
)

# Written out here, not read from the module, so dropping or renaming one is noticed.
ALL_KEYS = (
    "bowel_bladder",
    "weight_loss",
    "fever",
    "trauma",
    "numbness_weakness",
    "cancer_history",
)
URGENT = {"bowel_bladder", "trauma", "numbness_weakness"}


def answers(*yes: str) -> dict[str, bool]:
    return {key: key in yes for key in ALL_KEYS}


def test_screen_asks_every_red_flag_question():
    assert set(KEYS) == set(ALL_KEYS)
    assert len(KEYS) == len(ALL_KEYS)
    assert all(q.text.endswith("?") and q.hint for q in QUESTIONS)


def test_all_no_is_clear_to_book():
    result = screen(answers())

    assert result.clear is True
    assert result.urgent is False
    assert result.red_flags == ()


@pytest.mark.parametrize(
    ("key", "urgent"),
    [pytest.param(key, key in URGENT, id=key) for key in ALL_KEYS],
)
def test_each_single_yes_is_a_red_flag(key, urgent):
    result = screen(answers(key))

    assert result.clear is False
    assert result.red_flags == (key,)
    assert result.urgent is urgent


@pytest.mark.parametrize(
    ("yes", "urgent"),
    [
        pytest.param(("weight_loss", "fever", "cancer_history"), False, id="non-urgent-only"),
        pytest.param(("fever", "trauma"), True, id="one-urgent-among-others"),
        pytest.param(ALL_KEYS, True, id="all-yes"),
    ],
)
def test_several_yes_answers_are_all_flagged(yes, urgent):
    result = screen(answers(*yes))

    assert result.clear is False
    assert set(result.red_flags) == set(yes)
    assert result.urgent is urgent


def test_red_flags_follow_question_order():
    result = screen(answers("cancer_history", "bowel_bladder", "fever"))
    assert result.red_flags == ("bowel_bladder", "fever", "cancer_history")


def test_unknown_extra_answers_are_ignored():
    result = screen({**answers(), "headache": True})
    assert result.clear is True


@pytest.mark.parametrize("key", [pytest.param(key, id=key) for key in ALL_KEYS])
def test_missing_answer_raises_key_error_naming_it(key):
    given = answers()
    del given[key]
    with pytest.raises(KeyError, match=key):
        screen(given)


def test_missing_answer_is_not_treated_as_no():
    with pytest.raises(KeyError) as info:
        screen({})
    for key in ALL_KEYS:
        assert key in str(info.value)


# --- cancer: active or recent, or unknown to a doctor with this pain, is a red flag -----


@pytest.mark.parametrize(
    ("follow_ups", "flagged"),
    [
        pytest.param({"cancer_active": True, "cancer_pain_known": True}, True, id="active"),
        pytest.param(
            {"cancer_active": True, "cancer_pain_known": False}, True, id="active-unknown"
        ),
        pytest.param(
            {"cancer_active": False, "cancer_pain_known": False}, True, id="past-not-seen"
        ),
        pytest.param({"cancer_active": False, "cancer_pain_known": True}, False, id="past-known"),
        pytest.param({}, True, id="follow-ups-unanswered"),
        pytest.param({"cancer_active": False}, True, id="doctor-unanswered"),
    ],
)
def test_a_past_cancer_whose_doctor_knows_about_this_pain_is_not_a_red_flag(follow_ups, flagged):
    result = screen({**answers("cancer_history"), **follow_ups})
    assert result.red_flags == (("cancer_history",) if flagged else ())
    assert result.urgent is False


def test_the_follow_ups_mean_nothing_without_a_yes_to_cancer():
    assert screen({**answers(), "cancer_active": True, "cancer_pain_known": False}).clear


def test_a_booking_keeps_the_follow_ups_only_after_a_yes_to_cancer():
    given = {**answers("cancer_history"), "cancer_active": False, "cancer_pain_known": True}
    assert stored(given) == given
    no_cancer = stored({**answers(), "cancer_active": True})
    assert no_cancer == answers()
    assert set(FOLLOW_UP_KEYS) == {"cancer_active", "cancer_pain_known"}
    assert all(q.text.endswith("?") and q.hint for q in FOLLOW_UPS)


# --- before each visit: is any of it new? -----------------------------------------------


def test_every_question_is_asked_again_before_a_visit_as_new_since_the_last():
    assert all(
        q.since.startswith("Since your last visit") and q.since.endswith("?") for q in QUESTIONS
    )
    assert all(q.flag for q in QUESTIONS)


def test_any_yes_before_a_visit_is_a_flag_a_new_cancer_included():
    result = recheck(answers("cancer_history", "trauma"))
    assert result.red_flags == ("trauma", "cancer_history")
    assert result.urgent is True
    assert recheck(answers()).clear
    with pytest.raises(KeyError, match="fever"):
        recheck({key: False for key in ALL_KEYS if key != "fever"})
