"""Patients' forms: their details with red-flag screening, and confirmations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, Form, RadioField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
)

from booking.domain.good_faith import date_of_birth_problem
from booking.domain.screening import QUESTIONS
from booking.forms.bot_check import BotCheck
from booking.forms.fields import email_address_field, lines, strip, text_field
from booking.models.base import utcnow

# At least six digits; spaces, brackets, dots, dashes and a leading + allowed.
PHONE_PATTERN = r"^(?=(?:\D*\d){6})\+?[0-9 ()\-.]{6,30}$"
PHONE_MESSAGE = "Please enter a phone number with at least 6 digits, e.g. (207) 555-0142."


_strip = strip


def name_field():
    return text_field(
        "Full name", "Please enter your name.", "Please keep your name under 120 characters."
    )


def email_field():
    return email_address_field(
        "Email",
        "Please enter your email address.",
        "Please check your email address, e.g. name@example.com.",
    )


def phone_field():
    return TelField(
        "Mobile or phone number",
        filters=[_strip],
        validators=[
            DataRequired("Please enter a phone number so the clinic can reach you."),
            Length(min=6, max=30, message="Please enter a phone number of 6 to 30 characters."),
            Regexp(PHONE_PATTERN, message=PHONE_MESSAGE),
        ],
    )


class PatientForm(Form):
    """Who is booking; the API fills it from JSON, the details page extends it."""

    name = name_field()
    email = email_field()
    phone = phone_field()


class ScreeningQuestions:
    """For forms that ask the red-flag questions as yes/no radios."""

    def screening_fields(self):
        return [(question, self[question.key]) for question in QUESTIONS]

    def screening_answers(self) -> dict[str, bool]:
        return {question.key: self[question.key].data == "yes" for question in QUESTIONS}


def add_screening_questions(form_class: type, unanswered: str) -> None:
    """One required yes/no radio per screening question, named by the question's key."""
    for question in QUESTIONS:
        setattr(
            form_class,
            question.key,
            RadioField(
                question.text,
                choices=[SelectChoice("no", "No"), SelectChoice("yes", "Yes")],
                validators=[InputRequired(unanswered)],
                description=question.hint,
            ),
        )


INSURANCE_CHOICES = [
    SelectChoice("yes", "Yes, I will use my health insurance"),
    SelectChoice("no", "No, I will pay for it myself"),
]


class InsuranceQuestion:
    """Where the clinic gives Good Faith Estimates: insurance or self-pay, and (self-pay
    only) the date of birth the estimate needs. Set `estimates` before validating."""

    estimates = False

    @property
    def uses_insurance(self) -> bool | None:
        """True, False (self-pay) or None: not asked here, or left unanswered."""
        if not self.estimates:
            return None
        return {"yes": True, "no": False}.get(self.insurance.data)

    @property
    def birth_date(self):
        return self.date_of_birth.data if self.uses_insurance is False else None


def insurance_field():
    return RadioField(
        "Will you use health insurance for this course?",
        choices=INSURANCE_CHOICES,
        validators=[Optional()],
        description=(
            "If you pay for it yourself, you get a Good Faith Estimate of the whole course, "
            "as US law provides."
        ),
    )


def _needed_if_self_pay(form, field):
    """Like Optional, unless the patient pays themselves where estimates are given: then
    a real date of birth is needed."""
    if getattr(form, "estimates", False) and form.insurance.data == "no":
        if problem := date_of_birth_problem(field.data, utcnow().date()):
            field.errors[:] = []
            raise StopValidation(problem)
        return
    field.errors[:] = []
    raise StopValidation()


def date_of_birth_field():
    return DateField(
        "Date of birth",
        validators=[_needed_if_self_pay],
        description="Only if you pay yourself: your Good Faith Estimate needs it.",
    )


class DetailsForm(ScreeningQuestions, InsuranceQuestion, BotCheck, FlaskForm):
    """The details page: the patient, the screening questions, the disclaimer, a bot check."""

    name = name_field()
    email = email_field()
    phone = phone_field()
    insurance = insurance_field()
    date_of_birth = date_of_birth_field()
    disclaimer = BooleanField(
        "I understand that acupuncture complements, and does not replace, seeing my GP or doctor.",
        validators=[DataRequired("Please confirm you have read this to continue.")],
    )


add_screening_questions(DetailsForm, "Please answer yes or no.")


class EstimateRequestForm(FlaskForm):
    """A self-pay patient asks for their Good Faith Estimate: the date of birth it needs."""

    date_of_birth = DateField(
        "Date of birth", validators=[InputRequired("Give your date of birth.")]
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)",
        filters=[_strip],
        validators=[
            Length(max=300, message="Please keep the reason under 300 characters."),
            lines(),
        ],
    )


class ConfirmForm(FlaskForm):
    """A bare form: its CSRF token protects a one-button action."""
