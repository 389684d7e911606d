"""Red-flag screening before booking: which answers mean see a doctor first."""

from __future__ import annotations

import pytest

from booking.domain.screening import KEYS, QUESTIONS, screen

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
