"""The owner's clinic settings form."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from booking.domain.good_faith import npi_problem, tin_problem
from booking.domain.money import SYMBOLS, NotToTheCent, exact_cents
from booking.forms.fields import lines, one_line
from booking.forms.fields import strip as _strip

STEPS = (5, 10, 15, 20, 30, 60)


def _checked(problem_of):
    """A validator from a domain check that says what is wrong, or None."""

    def check(form, field):
        if problem := problem_of(field.data or ""):
            raise ValidationError(problem)

    return check


def _money(form, field):
    try:
        field.cents = exact_cents(field.data or "")
    except NotToTheCent as error:
        raise ValidationError(str(error)) from error
    except ValueError as error:
        raise ValidationError("Give an amount such as 50 or 49.50.") from error


class SettingsForm(FlaskForm):
    name = StringField(
        "Clinic name", filters=[_strip], validators=[DataRequired(), Length(max=120), one_line()]
    )
    address = StringField(
        "Address", filters=[_strip], validators=[DataRequired(), Length(max=300), one_line()]
    )
    phone = StringField(
        "Phone", filters=[_strip], validators=[DataRequired(), Length(max=40), one_line()]
    )
    email = EmailField(
        "Email", filters=[_strip], validators=[Optional(), Length(max=254), one_line(), Email()]
    )
    timezone = SelectField("Timezone", validators=[InputRequired()])
    currency = SelectField("Currency", choices=[SelectChoice(code, code) for code in SYMBOLS])
    min_notice_minutes = IntegerField(
        "Minimum notice for online bookings (minutes)",
        validators=[InputRequired("Give a number of minutes."), NumberRange(0, 7 * 24 * 60)],
    )
    horizon_days = IntegerField(
        "How far ahead patients can book (days)",
        validators=[InputRequired("Give a number of days."), NumberRange(1, 365)],
    )
    slot_step_minutes = SelectField(
        "Start times every",
        coerce=int,
        choices=[SelectChoice(step, f"{step} minutes") for step in STEPS],
    )
    cancellation_notice_hours = IntegerField(
        "Patients can cancel or move online until (hours before)",
        validators=[InputRequired("Give a number of hours."), NumberRange(0, 14 * 24)],
    )
    bookings_per_address_hour = IntegerField(
        "Online bookings one internet address may make in an hour",
        validators=[InputRequired("Give a number of bookings."), NumberRange(1, 1000)],
    )
    future_bookings_per_patient = IntegerField(
        "Upcoming online bookings one patient (email or phone) may hold",
        validators=[InputRequired("Give a number of bookings."), NumberRange(1, 100)],
    )
    course_bookings_per_patient = IntegerField(
        "Upcoming online bookings one patient may hold after booking the rest of a course",
        validators=[InputRequired("Give a number of bookings."), NumberRange(1, 100)],
    )
    emails_per_recipient_day = IntegerField(
        "Emails a patient's own online actions may send one address in a day",
        validators=[InputRequired("Give a number of emails."), NumberRange(1, 1000)],
    )
    waitlist_hold_minutes = IntegerField(
        "How long a freed time is held for the first patient on the waitlist (minutes)",
        validators=[InputRequired("Give a number of minutes."), NumberRange(15, 24 * 60)],
    )
    waitlist_weeks = IntegerField(
        "How long a place on the waitlist lasts (weeks)",
        validators=[InputRequired("Give a number of weeks."), NumberRange(1, 26)],
    )
    retention_years = IntegerField(
        "Remove patient details this many years after the last visit",
        validators=[
            Optional(),
            NumberRange(1, 100, "Give a number of years from 1 to 100, or leave it empty."),
        ],
    )
    price_min = StringField("Lowest allowed session price", validators=[_money])
    price_max = StringField("Highest allowed session price", validators=[_money])
    require_two_factor = BooleanField(
        "Require two-step sign-in for every staff account",
        description=(
            "Everyone then types a code from an authenticator app on their phone after their "
            "password. Colleagues who have not set it up are asked to at their next page."
        ),
    )
    good_faith_estimates = BooleanField(
        "Give self-pay patients a Good Faith Estimate (United States)",
        description=(
            "Under the No Surprises Act, patients who pay for their care themselves get a "
            "written estimate of the course when it is booked. The booking form then asks "
            "whether they will use health insurance, and their date of birth if not."
        ),
    )
    npi = StringField(
        "The clinic's NPI (National Provider Identifier)",
        filters=[_strip],
        validators=[Optional(), _checked(npi_problem)],
    )
    tin = StringField(
        "The clinic's TIN (taxpayer identification number)",
        filters=[_strip],
        validators=[Optional(), _checked(tin_problem)],
    )
    ndi_licensed = BooleanField(
        "The clinic holds a licence for the Neck Disability Index",
        description="Practitioners then record its score (in percent) for neck courses.",
    )
    odi_licensed = BooleanField(
        "The clinic holds a licence for the Oswestry Disability Index",
        description="Practitioners then record its score (in percent) for back courses.",
    )
    disclaimer = TextAreaField(
        "GP disclaimer shown to every patient before booking",
        filters=[_strip],
        validators=[
            DataRequired("The disclaimer cannot be empty."),
            Length(min=40, max=2000, message="Write the disclaimer in 40 to 2,000 characters."),
            lines(),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(tz, tz) for tz in sorted(available_timezones())]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        low = getattr(self.price_min, "cents", None)
        high = getattr(self.price_max, "cents", None)
        if low is not None and high is not None and not 0 < low < high:
            self.price_max.errors = [
                *self.price_max.errors,
                "The highest price must be above the lowest, and the lowest above zero.",
            ]
            ok = False
        return ok
