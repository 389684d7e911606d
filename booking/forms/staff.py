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
from booking.domain.outcomes import DECISIONS, REFERRALS
from booking.forms.fields import IdField, lines, one_line
from booking.forms.public import (
    PHONE_MESSAGE,
    PHONE_PATTERN,
    ScreeningQuestions,
    WaitlistWish,
    _strip,
    add_screening_questions,
    add_wish_fields,
    email_field,
    name_field,
    phone_field,
)
from booking.models.base import utcnow
from booking.services.clearances import ClearanceNote


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
    # After a red flag: a doctor has seen the patient about it and cleared them.
    doctor_cleared = BooleanField(
        "A doctor has seen the patient about this and cleared them for acupuncture: book them."
    )
    cleared_by = StringField(
        "Cleared by (the doctor, and their practice)",
        filters=[_strip],
        validators=[Optional(), Length(max=200, message="Keep under 200."), one_line()],
    )
    cleared_on = DateField("Seen by the doctor on", validators=[Optional()])
    clearance_note = TextAreaField(
        "Clearance note (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=2000, message="Keep under 2000."), lines()],
    )

    @property
    def clearance(self) -> ClearanceNote | None:
        """The doctor's clearance reception records, when they ticked that there is one."""
        if not self.doctor_cleared.data:
            return None
        return ClearanceNote(
            self.cleared_by.data or "", self.cleared_on.data, self.clearance_note.data or ""
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


def whole_or_text(text: str | None):
    """A whole number typed in ASCII digits, else the text as typed (None when empty), so
    the service names what is wrong with it."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else (text or None)


SCORE_CHOICES = [SelectChoice("", "–"), *(SelectChoice(str(n), str(n)) for n in range(11))]


def _score(label: str) -> SelectField:
    return SelectField(label, choices=SCORE_CHOICES, validators=[Optional()])


class ScoresForm(FlaskForm):
    """The practitioner records or corrects a visit's scores."""

    pain = _score("Pain, average over the last 24 hours (0-10)")
    peg_pain = _score("PEG: average pain, past week")
    peg_enjoyment = _score("PEG: interference with enjoyment of life")
    peg_activity = _score("PEG: interference with general activity")
    disability = StringField(
        "Disability index (%)", filters=[_strip], validators=[Optional(), Length(max=3)]
    )

    def answers(self) -> dict:
        """The values given, as the service takes them (text it cannot read stays text,
        so the service names the field)."""
        peg = tuple(
            whole_or_text(f.data) for f in (self.peg_pain, self.peg_enjoyment, self.peg_activity)
        )
        return {
            "pain": whole_or_text(self.pain.data),
            "peg": None if peg == (None, None, None) else peg,
            "disability": whole_or_text(self.disability.data),
        }


class DecisionForm(FlaskForm):
    """What the practitioner decides when reviewing a course."""

    decision = RadioField(
        "Decision",
        choices=[SelectChoice(key, label) for key, label in DECISIONS.items()],
        validators=[InputRequired("Choose continue, refer out or discharge.")],
    )
    refer_to = SelectField(
        "Refer to",
        choices=[SelectChoice("", "–"), *(SelectChoice(k, v) for k, v in REFERRALS.items())],
        validators=[Optional()],
    )
    planned_sessions = StringField(
        "New plan: sessions in all (when continuing)",
        filters=[_strip],
        validators=[Optional(), Length(max=3)],
    )
    reason = TextAreaField(
        "Note (why; for a referral it goes in the letter)",
        filters=[_strip],
        validators=[Length(max=2000, message="Keep under 2000 characters."), lines()],
    )

    @property
    def planned(self):
        return whole_or_text(self.planned_sessions.data)


class ClearanceForm(FlaskForm):
    """A doctor has seen the patient about what they reported before a visit."""

    cleared_by = StringField(
        "Cleared by (the doctor, and their practice)",
        filters=[_strip],
        validators=[Length(max=200, message="Keep under 200."), one_line()],
    )
    cleared_on = DateField("Seen by the doctor on", validators=[Optional()])
    note = TextAreaField(
        "Note (optional)",
        filters=[_strip],
        validators=[Length(max=2000, message="Keep under 2000."), lines()],
    )

    @property
    def clearance(self) -> ClearanceNote:
        return ClearanceNote(self.cleared_by.data or "", self.cleared_on.data, self.note.data or "")


class StaffWaitlistForm(WaitlistWish, ScreeningQuestions, FlaskForm):
    """A patient added to the waitlist by phone: the same wish, screening and disclaimer
    as online, read out by reception."""

    service = SelectField("Consultation", validators=[InputRequired("Choose a consultation.")])
    patient_id = IdField("Existing patient", validators=[Optional()])
    name = name_field()
    email = email_field()
    phone = phone_field()
    disclaimer_read = BooleanField(
        "I have read the GP disclaimer to the patient and they understand it.",
        validators=[DataRequired("Read the disclaimer to the patient and tick to confirm.")],
    )


add_wish_fields(StaffWaitlistForm, who="")
add_screening_questions(StaffWaitlistForm, "Ask the patient and record yes or no.")


class ReasonForm(FlaskForm):
    """A change to the line that needs saying why (moving up, removing)."""

    reason = StringField(
        "Reason",
        filters=[_strip],
        validators=[
            DataRequired("Say why."),
            Length(max=300, message="Keep the reason under 300 characters."),
            one_line(),
        ],
    )
    to_front = BooleanField("Move to the front of the line")


class OfferForm(FlaskForm):
    """Reception offers one free time to a waiting patient."""

    practitioner = IdField("Practitioner", validators=[InputRequired()])
    start = HiddenField(validators=[InputRequired()])
