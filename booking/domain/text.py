"""Text people type: which characters a stored value may hold, and making old values safe.

Names and other one-line values hold no control characters at all: a NUL cannot be
stored on PostgreSQL, and a CR or LF in a name would break the email header or
calendar line it is written into. Notes and other multi-line values may also hold
tabs and line breaks. Rows saved before these rules may still hold anything, so the
email and calendar writers pass text through `one_line` again.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, plus Unicode's own line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What a multi-line value may not hold: every control except tab, LF and CR.
CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SPACING = re.compile(r"[\t\r\n\x85\u2028\u2029]+")


def has_control(text: str, *, lines: bool = False) -> bool:
    """Whether the text holds a control character (for `lines`: other than tab, CR, LF)."""
    return (CONTROL_IN_LINES if lines else CONTROL).search(text) is not None


def one_line(text: str) -> str:
    """The text for a header or a one-line field: line breaks and tabs become spaces,
    other controls are dropped."""
    return CONTROL.sub("", SPACING.sub(" ", text))
