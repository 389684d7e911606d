"""Field builders the forms share: trimmed text with its required and length messages,
and the checks every typed value passes (no control characters, dates in the calendar,
ids that fit their column)."""

from __future__ import annotations

from wtforms import EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, Length
from wtforms.validators import ValidationError as FieldError

from booking.domain.clock import outside_calendar
from booking.domain.text import has_control
from booking.models.base import MAX_ID

ONE_LINE_MESSAGE = "Remove the line breaks and other control characters."
LINES_MESSAGE = "Remove the control characters (tabs and line breaks are fine)."


def strip(value):
    return value.strip() if isinstance(value, str) else value


class PlainText:
    """No control characters: none in a one-line value, only tab and line breaks in `lines`.

    A NUL cannot be stored on PostgreSQL, and a line break in a name would reach the
    header of an email or a line of a calendar file.
    """

    def __init__(self, *, lines: bool = False, message: str = ""):
        self.lines = lines
        self.message = message or (LINES_MESSAGE if lines else ONE_LINE_MESSAGE)

    def __call__(self, form, field):
        if isinstance(field.data, str) and has_control(field.data, lines=self.lines):
            raise FieldError(self.message)


def one_line():
    """The check for names, titles, addresses and every other one-line value."""
    return PlainText()


def lines():
    """The check for notes, reasons, bios and other multi-line values."""
    return PlainText(lines=True)


def in_calendar(form, field):
    """A date field's value inside the calendar's years."""
    if field.data is not None and (problem := outside_calendar(field.data)):
        raise FieldError(problem)


def text_field(
    label: str,
    required: str,
    too_long: str,
    *,
    max_length: int = 120,
    required_check=DataRequired,
    **options,
) -> StringField:
    """Trimmed one-line text that must be given and fit its column."""
    return StringField(
        label,
        filters=[strip],
        validators=[
            required_check(required),
            Length(max=max_length, message=too_long),
            one_line(),
        ],
        **options,
    )


def email_address_field(label: str, required: str, check: str) -> EmailField:
    """A trimmed email address, checked for its shape."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(required),
            Length(max=254, message="That email address is too long."),
            one_line(),
            Email(check, granular_message=False),
        ],
    )


def row_id(value) -> int:
    """`coerce` for choices of rows: an id from 1 to MAX_ID, else ValueError.

    A choice outside the column is refused as the form reads it, before any check
    that looks the chosen rows up.
    """
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("No such record.")
    return number


class IdField(IntegerField):
    """A row's id: a whole number from 1 to MAX_ID, else None with the field's error.

    Read as the form is built, so a view may look the row up before validating.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not 0 < self.data <= MAX_ID:
            self.data = None
            raise ValueError("No such record.")
