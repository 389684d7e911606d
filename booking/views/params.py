"""Parsing of dates, times and ids from URLs and JSON, with messages for people."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from werkzeug.routing import IntegerConverter

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OFFSET_AS_SPACE = re.compile(r" (\d{2}:\d{2})$")


# Ids fit a 32-bit signed column everywhere; a larger one cannot name a row.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive id no larger than MAX_ID, else 404."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


class ParamError(ValueError):
    pass


def parse_date(text: str | None, name: str = "date") -> date:
    if not text or not DATE_RE.match(text):
        raise ParamError(f"Give {name} as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ParamError(f"{text} is not a real date.") from exc


def parse_start(text: object) -> datetime:
    """An ISO 8601 time that carries a UTC offset, returned in UTC."""
    if not isinstance(text, str) or not text or len(text) > 40:
        raise ParamError("Give the start time in ISO 8601 with a UTC offset.")
    try:
        # An unencoded "+" in a query string arrives as a space.
        text = OFFSET_AS_SPACE.sub(r"+\1", text.strip())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParamError("Give the start time in ISO 8601 with a UTC offset.") from exc
    if moment.tzinfo is None:
        raise ParamError("The start time needs a UTC offset, e.g. 2026-12-01T09:00:00-05:00.")
    return moment.astimezone(UTC)


def parse_id(text: object) -> int | None:
    """A positive integer id, None for empty or 'any'."""
    if text in (None, "", "any"):
        return None
    if isinstance(text, bool):
        raise ParamError("Give a practitioner id.")
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and text.isdigit() and len(text) < 10:
        value = int(text)
    else:
        raise ParamError("Give a practitioner id.")
    if not 0 < value <= MAX_ID:
        raise ParamError("Give a practitioner id.")
    return value
