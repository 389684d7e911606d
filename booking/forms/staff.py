"""Reception's forms: phone and walk-in bookings, and changes to a booking."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from booking.domain.good_faith import date_of_birth_problem
from booking.forms.fields import IdField, lines, one_line
from booking.forms.public import (
    PHONE_MESSAGE,
    PHONE_PATTERN,
    ScreeningQuestions,
    _strip,
    add_screening_questions,
    email_field,
    name_field,
    phone_field,
)
from booking.models.base import utcnow


class StaffBookingForm(ScreeningQuestions, FlaskForm):
    """A booking taken by phone or at the desk."""

    service = SelectField("Consultation", validators=[InputRequired("Choose a consultation.")])
    source = RadioField(
        "How is the patient booking?",
        choices=[SelectChoice("phone", "By phone"), SelectChoice("walk-in", "At the desk")],
        default="phone",
        validators=[InputRequired("Say whether this is a phone or walk-in booking.")],
    )
    patient_id = IdField("Existing patient", validators=[Optional()])
    name = StringField(
        "Full name",
        filters=[_strip],
        validators=[Length(max=120, message="Keep under 120."), one_line()],
    )
    email = EmailField(
        "Email (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=254), one_line(), Email("Check the email address.")],
    )
    phone = TelField("Phone", filters=[_strip])
    insurance = RadioField(
        "Will the patient use health insurance for this course?",
        choices=[
            SelectChoice("yes", "Yes, insurance"),
            SelectChoice("no", "No, self-pay"),
            SelectChoice("", "Not asked"),
        ],
        default="",
        validators=[Optional()],
    )
    date_of_birth = DateField(
        "Date of birth (self-pay: for the Good Faith Estimate)", validators=[Optional()]
    )
    disclaimer_read = BooleanField(
        "I have read the GP disclaimer to the patient and they understand it.",
        validators=[DataRequired("Read the disclaimer to the patient and tick to confirm.")],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.patient_id.data:
            # A new patient: a name and a phone number are needed.
            if not self.name.data:
                self.name.errors = [*self.name.errors, "Enter the patient's name."]
                ok = False
            if not re.match(PHONE_PATTERN, self.phone.data or ""):
                self.phone.errors = [*self.phone.errors, PHONE_MESSAGE]
                ok = False
        return ok

    @property
    def uses_insurance(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.insurance.data)

    @property
    def birth_date(self):
        """A self-pay patient's date of birth, if reception took it (else owners see the
        booking among those still without an estimate)."""
        born = self.date_of_birth.data
        if (
            self.uses_insurance is False
            and born
            and not date_of_birth_problem(born, utcnow().date())
        ):
            return born
        return None


add_screening_questions(StaffBookingForm, "Ask the patient and record yes or no.")


class StaffCancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason for cancelling",
        filters=[_strip],
        validators=[
            DataRequired("Give a reason to cancel the booking."),
            Length(max=300, message="Keep the reason under 300 characters."),
            lines(),
        ],
    )


class StatusForm(FlaskForm):
    status = HiddenField(validators=[InputRequired()])


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Note",
        filters=[_strip],
        validators=[Length(max=2000, message="Notes can be up to 2,000 characters."), lines()],
    )


class MoveForm(FlaskForm):
    start = HiddenField(validators=[InputRequired()])
    practitioner = HiddenField(validators=[InputRequired()])


class VoidForm(FlaskForm):
    """Bookings ticked on the void page (the choices are the ones listed), or all, and why.

    Nothing starts ticked: voiding is a choice made row by row, or for the whole list
    with its own box, so a day of real appointments is never one click away.
    """

    booking = SelectMultipleField("Bookings to void", coerce=int, validate_choice=True)
    every = BooleanField("Void every booking listed")
    reason = TextAreaField(
        "Why these bookings are being voided",
        filters=[_strip],
        validators=[
            DataRequired("Say why these bookings are being voided."),
            Length(max=300, message="Keep the reason under 300 characters."),
            lines(),
        ],
    )

    def chosen(self) -> list[int]:
        """The ids to void: every listed one with `every`, else the ones ticked."""
        if self.every.data:
            return [value for value, _label in self.booking.choices]
        return list(self.booking.data or [])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.chosen():
            self.booking.errors = [
                "Tick the bookings to void, or tick “Void every booking listed”."
            ]
            return False
        return ok


class PatientDetailsForm(FlaskForm):
    """Reception corrects a patient's name, email or phone."""

    name = name_field()
    email = email_field()
    phone = phone_field()


class MergeForm(FlaskForm):
    """Fold another record (a duplicate) into this one."""

    other = IdField("The record to merge into this one", validators=[InputRequired()])


class EraseForm(FlaskForm):
    """The owner confirms a patient's request to have their details erased."""

    confirm = BooleanField(
        "The patient has asked for their details to be erased, and I have checked it is them",
        validators=[DataRequired("Tick the box to confirm the request.")],
    )
