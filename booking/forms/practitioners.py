"""Forms for practitioners: the owner's details form, reception's weekly hours and time off."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from booking.domain.availability import WeeklyHours
from booking.forms.fields import in_calendar, lines, one_line, row_id, text_field
from booking.forms.fields import strip as _strip

# Browsers send "09:00", or "09:00:00" when the input has a step in seconds.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
TIME_MESSAGE = "Enter a time like 09:00."
DAY_FIELDS = ("works", "start", "end", "break_start", "break_end")
MAX_TIME_OFF_DAYS = 366


def time_field(label: str) -> TimeField:
    return TimeField(
        label, validators=[Optional()], format=TIME_FORMATS, invalid_value_message=TIME_MESSAGE
    )


@dataclass(frozen=True)
class Day:
    """One weekday's fields, for the template and for checking."""

    weekday: int
    name: str
    works: BooleanField
    start: TimeField
    end: TimeField
    break_start: TimeField
    break_end: TimeField

    @property
    def times(self) -> tuple[TimeField, ...]:
        return (self.start, self.end, self.break_start, self.break_end)

    @property
    def errors(self) -> list[str]:
        return [error for field in self.times for error in field.errors]


class HoursForm(FlaskForm):
    """All seven weekdays at once: works this day, start, end and an optional break."""

    @classmethod
    def for_hours(cls, hours: Iterable[WeeklyHours]) -> HoursForm:
        data = {}
        for day in hours:
            key = calendar.day_name[day.weekday].lower()
            data |= {
                f"{key}_works": True,
                f"{key}_start": day.start,
                f"{key}_end": day.end,
                f"{key}_break_start": day.break_start,
                f"{key}_break_end": day.break_end,
            }
        return cls(data=data)

    def days(self) -> list[Day]:
        return [
            Day(
                weekday,
                calendar.day_name[weekday],
                *(self[f"{calendar.day_name[weekday].lower()}_{name}"] for name in DAY_FIELDS),
            )
            for weekday in range(7)
        ]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for day in self.days():
            if day.works.data:
                _check_day(day)
            else:
                # Times left in a day off are ignored, so they cannot block saving.
                for field in day.times:
                    field.errors = []
        return not any(field.errors for field in self)

    def week(self) -> dict[int, WeeklyHours]:
        """The checked days as hours; call after validate()."""
        return {
            day.weekday: WeeklyHours(
                day.weekday,
                day.start.data,
                day.end.data,
                day.break_start.data,
                day.break_end.data,
            )
            for day in self.days()
            if day.works.data
        }


def _add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


def _check_day(day: Day) -> None:
    if any(field.errors for field in day.times):
        return
    start, end = day.start.data, day.end.data
    if start is None:
        _add_error(day.start, f"{day.name}: enter the start time, or untick the day.")
    if end is None:
        _add_error(day.end, f"{day.name}: enter the end time, or untick the day.")
    if start is None or end is None:
        return
    if start >= end:
        _add_error(day.end, f"{day.name}: the day must end after it starts.")
        return
    break_start, break_end = day.break_start.data, day.break_end.data
    if (break_start is None) != (break_end is None):
        missing = day.break_end if break_end is None else day.break_start
        _add_error(missing, f"{day.name}: give both ends of the break, or neither.")
    elif break_start is not None and break_end is not None:
        if break_start >= break_end:
            _add_error(day.break_end, f"{day.name}: the break must end after it starts.")
        elif not (start < break_start and break_end < end):
            _add_error(
                day.break_start,
                f"{day.name}: the break must start after {start:%H:%M} and end before {end:%H:%M}.",
            )


for _weekday in range(7):
    _key = calendar.day_name[_weekday].lower()
    setattr(HoursForm, f"{_key}_works", BooleanField("Works this day"))
    setattr(HoursForm, f"{_key}_start", time_field("Start"))
    setattr(HoursForm, f"{_key}_end", time_field("End"))
    setattr(HoursForm, f"{_key}_break_start", time_field("Break from"))
    setattr(HoursForm, f"{_key}_break_end", time_field("Break until"))


class TimeOffForm(FlaskForm):
    """Part of one day (with times), or one or more whole days (without)."""

    first_day = DateField(
        "Date",
        validators=[InputRequired("Enter the date of the time off."), in_calendar],
        invalid_value_message="Enter the date like 2026-12-01.",
    )
    last_day = DateField(
        "Last day (optional)",
        validators=[Optional(), in_calendar],
        invalid_value_message="Enter the last day like 2026-12-04.",
    )
    start = time_field("From (optional)")
    end = time_field("Until (optional)")
    reason = StringField(
        "Reason (optional, staff only)",
        filters=[_strip],
        validators=[Length(max=200, message="Keep the reason under 200 characters."), one_line()],
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        first, last = self.first_day.data, self.last_day.data
        start, end = self.start.data, self.end.data
        if last is not None and last != first:
            if last < first:
                _add_error(self.last_day, "The last day must be on or after the first.")
            elif last - first > timedelta(days=MAX_TIME_OFF_DAYS - 1):
                _add_error(self.last_day, "Add time off a year at most at a time.")
            elif start is not None or end is not None:
                _add_error(
                    self.start, "Leave the times empty for several whole days, or choose one date."
                )
        elif (start is None) != (end is None):
            missing = self.end if end is None else self.start
            _add_error(missing, "Give both times for part of a day, or neither for the whole day.")
        elif start is not None and end is not None and start >= end:
            _add_error(self.end, "The time off must end after it starts.")
        return not any(field.errors for field in self)

    def day_range(self):
        """The first and last clinic-local day, both included."""
        return self.first_day.data, self.last_day.data or self.first_day.data


class PractitionerForm(FlaskForm):
    """A practitioner's public details and the consultations they give."""

    name = text_field(
        "Name (as patients see it)",
        "Enter the practitioner's name.",
        "Keep the name under 120 characters.",
    )
    title = StringField(
        "Title (optional)",
        filters=[_strip],
        validators=[Length(max=120, message="Keep the title under 120 characters."), one_line()],
        description="For example: Licensed acupuncturist.",
    )
    bio = TextAreaField(
        "About them (optional)",
        filters=[_strip],
        validators=[Length(max=2000, message="Keep the bio under 2,000 characters."), lines()],
    )
    services = SelectMultipleField(
        "Consultations they give",
        coerce=row_id,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )

    def details(self) -> tuple[str, str, str, list[int]]:
        """Name, title, bio and service ids, as the practitioner services take them."""
        return (
            self.name.data,
            self.title.data or "",
            self.bio.data or "",
            self.services.data or [],
        )

    @classmethod
    def with_services(cls, offered, **kwargs) -> PractitionerForm:
        """The form with one checkbox per consultation, withdrawn ones marked."""
        form = cls(**kwargs)
        form.services.choices = [
            SelectChoice(s.id, s.name if s.active else f"{s.name} (not offered at the moment)")
            for s in offered
        ]
        return form
