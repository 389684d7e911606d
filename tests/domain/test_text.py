"""Which characters typed text may hold, and making old values safe to write out."""

from __future__ import annotations

import pytest

from booking.domain.text import has_control, one_line

NEVER = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9b", "\x9f"]
LINE_BREAKS = ["\r", "\n", "\r\n", "\t"]


@pytest.mark.parametrize("character", NEVER + LINE_BREAKS + ["\u2028", "\u2029"], ids=repr)
def test_one_line_values_hold_no_control_character(character):
    assert has_control(f"Ann{character}Lee")


@pytest.mark.parametrize("character", NEVER, ids=repr)
def test_multi_line_values_hold_no_control_character_either(character):
    assert has_control(f"Called{character}twice", lines=True)


@pytest.mark.parametrize("character", LINE_BREAKS + ["\u2028"], ids=repr)
def test_multi_line_values_may_hold_tabs_and_line_breaks(character):
    assert not has_control(f"Called twice{character}no answer", lines=True)


@pytest.mark.parametrize(
    "text", ["Ann Lee", "Zoë Ñúñez-O'Brien", "李小龍", "Dr. Ann Lee (she/her)", "😀"]
)
def test_ordinary_names_are_fine(text):
    assert not has_control(text)
    assert one_line(text) == text


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Ann\r\nBcc: x@evil.example", "Ann Bcc: x@evil.example"),
        ("Ann\x00Lee", "AnnLee"),
        ("Ann\tLee\u2028Jr", "Ann Lee Jr"),
        ("Ann\x1b[31mLee", "Ann[31mLee"),
        ("\n\nAnn\n\n", " Ann "),
    ],
)
def test_one_line_turns_breaks_into_spaces_and_drops_other_controls(text, safe):
    assert one_line(text) == safe
    assert not has_control(one_line(text))
