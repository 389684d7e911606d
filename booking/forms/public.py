"""Patients' forms: their details with red-flag screening, and confirmations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, RadioField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from booking.domain.screening import QUESTIONS
from booking.forms.bot_check import BotCheck
from booking.forms.fields import email_address_field, lines, strip, text_field

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


class DetailsForm(ScreeningQuestions, BotCheck, FlaskForm):
    """The details page: the patient, the screening questions, the disclaimer, a bot check."""

    name = name_field()
    email = email_field()
    phone = phone_field()
    disclaimer = BooleanField(
        "I understand that acupuncture complements, and does not replace, seeing my GP or doctor.",
        validators=[DataRequired("Please confirm you have read this to continue.")],
    )


add_screening_questions(DetailsForm, "Please answer yes or no.")


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
