"""Patients' forms: their details with red-flag screening, and confirmations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    RadioField,
    SelectField,
    TelField,
    TextAreaField,
    TimeField,
)
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
from booking.domain.outcomes import PAIN_ENDS, PAIN_QUESTION, PEG_ITEMS
from booking.domain.screening import CANCER, FOLLOW_UPS, QUESTIONS
from booking.domain.waitlist import PART_LABELS, PARTS_OF_DAY, WEEKDAY_NAMES
from booking.forms.bot_check import BotCheck
from booking.forms.catalogue import CheckboxesField
from booking.forms.fields import email_address_field, lines, strip, text_field
from booking.models.base import utcnow
from booking.services.waitlist import JoinRequest

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

    def follow_up_fields(self):
        """The questions that follow a yes to cancer."""
        return [(question, self[question.key]) for question in FOLLOW_UPS]

    def screening_names(self) -> list[str]:
        return [q.key for q in (*QUESTIONS, *FOLLOW_UPS)]

    def complete_screening(self) -> dict[str, bool] | None:
        """The safety answers once every question asked is answered (the follow-ups too,
        after a yes to cancer), else None: a red flag is told before anything else."""
        answered = ("yes", "no")
        if any(self[q.key].data not in answered for q in QUESTIONS):
            return None
        answers = self.screening_answers()
        if answers[CANCER] and any(self[q.key].data not in answered for q in FOLLOW_UPS):
            return None
        return answers

    def screening_answers(self) -> dict[str, bool]:
        answers = {question.key: self[question.key].data == "yes" for question in QUESTIONS}
        if answers[CANCER]:
            answers.update(
                {
                    q.key: self[q.key].data == "yes"
                    for q in FOLLOW_UPS
                    if self[q.key].data in ("yes", "no")
                }
            )
        return answers


def _needed_after_cancer(message: str):
    """Like Optional, unless cancer was answered yes: then this follow-up is needed."""

    def check(form, field):
        if form[CANCER].data == "yes":
            if field.data not in ("yes", "no"):
                field.errors[:] = []
                raise StopValidation(message)
            return
        field.errors[:] = []
        raise StopValidation()

    return check


YES_NO = [SelectChoice("no", "No"), SelectChoice("yes", "Yes")]


def add_screening_questions(form_class: type, unanswered: str) -> None:
    """One required yes/no radio per screening question, named by the question's key,
    and the cancer follow-ups, needed only after a yes to cancer."""
    after_cancer = _needed_after_cancer(f"{unanswered} (asked after a yes to cancer)")
    asked = [(q, InputRequired(unanswered)) for q in QUESTIONS]
    for question, check in [*asked, *((q, after_cancer) for q in FOLLOW_UPS)]:
        setattr(
            form_class,
            question.key,
            RadioField(
                question.text, choices=YES_NO, validators=[check], description=question.hint
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


SCALE_CHOICES = [SelectChoice(n, str(n)) for n in range(11)]


def scale_field(text: str, ends: tuple[str, str], validators) -> RadioField:
    return RadioField(
        text,
        choices=SCALE_CHOICES,
        coerce=int,
        validators=validators,
        description=f"0 = {ends[0].lower()}, 10 = {ends[1].lower()}",
    )


def _needed_if_peg_due(form, field):
    if getattr(form, "peg_due", False):
        if field.data is None:
            field.errors[:] = []
            raise StopValidation("Please choose a number from 0 to 10.")
        return
    field.errors[:] = []
    raise StopValidation()


class CheckInForm(FlaskForm):
    """Before a visit: the pain score, the PEG where it is due (set `peg_due`), and
    whether any red-flag symptom is new since the last visit."""

    peg_due = False

    pain = scale_field(
        PAIN_QUESTION, PAIN_ENDS, [InputRequired("Please choose a number from 0 to 10.")]
    )

    def peg_fields(self):
        return [self[key] for key, _, _ in PEG_ITEMS]

    def recheck_fields(self):
        return [(q, self[f"new_{q.key}"]) for q in QUESTIONS]

    def new_red_flags(self) -> dict[str, bool]:
        return {q.key: self[f"new_{q.key}"].data == "yes" for q in QUESTIONS}

    def fill(self, answered, cleared: set[str]) -> None:
        """Show the answers already given for this visit, if any."""
        if answered is None:
            return
        self.pain.data = answered.pain
        for (key, _, _), value in zip(
            PEG_ITEMS,
            (answered.peg_pain, answered.peg_enjoyment, answered.peg_activity),
            strict=True,
        ):
            self[key].data = value
        if answered.new_red_flags is not None:
            said = set(answered.new_red_flags) | cleared
            for question, field in self.recheck_fields():
                field.data = "yes" if question.key in said else "no"

    def since_booking(self) -> None:
        """Before the first visit there is no last one: ask what is new since booking."""
        for _question, field in self.recheck_fields():
            field.label.text = field.label.text.replace("Since your last visit", "Since you booked")

    def peg(self) -> tuple[int, int, int] | None:
        values = tuple(self[key].data for key, _, _ in PEG_ITEMS)
        return values if self.peg_due and None not in values else None


for _key, _text, _ends in PEG_ITEMS:
    setattr(CheckInForm, _key, scale_field(_text, _ends, [_needed_if_peg_due]))
for _question in QUESTIONS:
    setattr(
        CheckInForm,
        f"new_{_question.key}",
        RadioField(
            _question.since,
            choices=YES_NO,
            validators=[InputRequired("Please answer yes or no.")],
            description=_question.since_hint or _question.hint,
        ),
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


def _checkboxes(label: str, choices) -> CheckboxesField:
    return CheckboxesField(label, choices=choices, validators=[Optional()], validate_choice=True)


def _clock_field(label: str) -> TimeField:
    return TimeField(label, validators=[Optional()], format="%H:%M")


class WaitlistWish:
    """The fields and reading shared by the public join form and reception's: dates,
    days, parts of the day or a time range, a practitioner, and who the patient is."""

    def wish(self) -> dict:
        """The wish as JoinRequest takes it."""
        between = None
        if self.between_from.data and self.between_to.data:
            between = (self.between_from.data, self.between_to.data)
        chosen = self.practitioner.data
        return {
            "earliest": self.earliest.data,
            "latest": self.latest.data,
            "days": frozenset(int(d) for d in self.days.data or ()),
            "parts": frozenset(self.parts.data or ()) if between is None else frozenset(),
            "between": between,
            "practitioner_id": None if chosen in (None, "", "any") else int(chosen),
        }

    def join_request(self, service, **extra) -> JoinRequest:
        return JoinRequest(
            service=service,
            name=self.name.data,
            email=self.email.data,
            phone=self.phone.data,
            answers=self.screening_answers(),
            **self.wish(),
            **extra,
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Checked here: an empty end stops its own validators before any could say so.
        if bool(self.between_from.data) != bool(self.between_to.data):
            self.between_to.errors = [
                *self.between_to.errors,
                "Give both ends of the time range, or neither.",
            ]
            ok = False
        return ok


def add_wish_fields(form_class: type, *, who: str) -> None:
    """The wish's fields, worded for the patient ("you") or for reception."""
    form_class.earliest = DateField(
        "From", validators=[InputRequired(f"Choose the first date that suits{who}.")]
    )
    form_class.latest = DateField(
        "Until", validators=[InputRequired(f"Choose the last date that suits{who}.")]
    )
    form_class.days = _checkboxes(
        f"Days that suit{who}",
        [SelectChoice(str(n), name.title()) for n, name in enumerate(WEEKDAY_NAMES)],
    )
    form_class.parts = _checkboxes(
        f"Times of day that suit{who}",
        [SelectChoice(part, PART_LABELS[part]) for part in PARTS_OF_DAY],
    )
    form_class.between_from = _clock_field("Not before")
    form_class.between_to = _clock_field("Finished by")
    form_class.practitioner = SelectField(
        "Practitioner", choices=[SelectChoice("any", "Anyone")], validate_choice=True
    )


class WaitlistForm(WaitlistWish, ScreeningQuestions, BotCheck, FlaskForm):
    """Joining the waitlist: which dates, days and hours suit, with whom, who you are,
    and the same screening and disclaimer as a booking."""

    name = name_field()
    email = email_field()
    phone = phone_field()
    disclaimer = BooleanField(
        "I understand that acupuncture complements, and does not replace, seeing my GP or doctor.",
        validators=[DataRequired("Please confirm you have read this to continue.")],
    )


add_wish_fields(WaitlistForm, who=" you")
add_screening_questions(WaitlistForm, "Please answer yes or no.")
