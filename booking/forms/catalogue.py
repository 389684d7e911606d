"""The owner's forms: a service (details, price, who gives it), and a condition's course
plan (its first consultation and follow-up, how many sessions, the package)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_wtf import FlaskForm
from wtforms import (
    Field,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from booking.domain.good_faith import split_codes
from booking.domain.money import NotToTheCent, amount, exact_cents
from booking.forms.fields import lines, row_id, text_field
from booking.forms.fields import strip as _strip
from booking.models import CoursePlan, Practitioner, Service
from booking.models.service import CONDITIONS, KINDS
from booking.services.catalogue import NAME_MAX, SLUG_MAX, PlanDetails, ServiceDetails

NO_PACKAGE, PACKAGE_PRICE, PACKAGE_PERCENT = "none", "price", "percent"


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


PACKAGE_FIELDS = ("package_sessions", "package_price_cents", "package_discount_percent")
DESCRIPTION_MAX = 2000
REQUIRED_VALUES = (
    "name",
    "condition",
    "kind",
    "duration_minutes",
    "buffer_minutes",
    "price_cents",
)
PLAN_VALUES = ("min_sessions", "typical_sessions", "max_sessions")
PACKAGE_MISSING = {
    "package_sessions": "Enter how many sessions the package covers, e.g. 6.",
    "package_price_cents": "Enter the package price, e.g. 500.",
    "package_discount_percent": "Enter the percentage off, e.g. 10.",
}


class MoneyField(StringField):
    """An amount typed like 95 or 95.50, held as integer cents (None when left empty)."""

    def __init__(self, label=None, validators=None, invalid_message="", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or "Enter an amount like 95 or 95.50."

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = exact_cents(valuelist[0])
            except NotToTheCent as error:
                raise ValueError(str(error)) from None
            except ValueError:
                raise ValueError(self.invalid_message) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return amount(self.data) if self.data is not None else ""


class WholeNumberField(IntegerField):
    """A whole number, with a message that says what to type; empty is None, not an error."""

    def __init__(self, label=None, validators=None, invalid_message="", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or "Enter a whole number, e.g. 8."

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                raise ValueError(self.invalid_message) from None


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _count(label: str, what: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[InputRequired(f"Enter the {what}.")],
        invalid_message=f"Enter the {what} as a whole number, e.g. 8.",
    )


def _add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


class ServiceForm(FlaskForm):
    """A service as the owner edits it; the rules themselves live in services.catalogue."""

    name = text_field(
        "Name patients see",
        "Enter the name patients see.",
        f"Keep the name to {NAME_MAX} characters or fewer.",
        max_length=NAME_MAX,
        required_check=InputRequired,
    )
    condition = RadioField(
        "For",
        choices=[SelectChoice(key, label) for key, label in CONDITIONS.items()],
        validators=[InputRequired("Choose neck pain or back pain.")],
    )
    kind = RadioField(
        "Kind of visit",
        choices=[SelectChoice(key, label) for key, label in KINDS.items()],
        validators=[InputRequired("Choose first consultation or follow-up session.")],
    )
    description = TextAreaField(
        "Description (shown to patients)",
        filters=[_strip],
        validators=[
            Length(
                max=DESCRIPTION_MAX,
                message=f"Keep the description to {DESCRIPTION_MAX} characters or fewer.",
            ),
            lines(),
        ],
    )
    duration_minutes = WholeNumberField(
        "Session length (minutes)",
        validators=[InputRequired("Enter how long a session lasts, in minutes.")],
        invalid_message="Enter the session length in whole minutes, e.g. 60.",
    )
    buffer_minutes = WholeNumberField(
        "Buffer after each session (minutes)",
        validators=[InputRequired("Enter the buffer in minutes; 0 for none.")],
        invalid_message="Enter the buffer in whole minutes, e.g. 15, or 0 for none.",
    )
    price_cents = MoneyField(
        "Price per session",
        validators=[InputRequired("Enter the price per session, e.g. 95 or 95.50.")],
        invalid_message="Enter the price per session as an amount, e.g. 95 or 95.50.",
    )
    practitioner_ids = CheckboxesField("Who gives it", coerce=row_id, validate_choice=True)
    service_code = StringField(
        "Service code (CPT)",
        filters=[_upper],
        validators=[Optional(), Length(max=5, message="A service code is 5 characters.")],
        description="For Good Faith Estimates: acupuncture is 97810 to 97814.",
    )

    @classmethod
    def for_service(cls, service: Service, practitioner_ids: Iterable[int]) -> ServiceForm:
        """The form filled from a saved service."""
        return cls(obj=service, practitioner_ids=sorted(practitioner_ids))

    def offer(self, practitioners: Iterable[Practitioner]) -> None:
        """The practitioners to tick; those who left are named as such."""
        self.practitioner_ids.choices = [
            SelectChoice(p.id, p.name if p.active else f"{p.name} (no longer working here)")
            for p in practitioners
        ]

    def details(self) -> ServiceDetails:
        """What was typed, for the catalogue to check and save; call after validate()."""
        return ServiceDetails(
            name=self.name.data,
            condition=self.condition.data,
            kind=self.kind.data,
            description=self.description.data or "",
            duration_minutes=self.duration_minutes.data,
            buffer_minutes=self.buffer_minutes.data,
            price_cents=self.price_cents.data,
            practitioner_ids=frozenset(self.practitioner_ids.data or ()),
            service_code=self.service_code.data or "",
        )

    def has_values(self) -> bool:
        """Whether every value the catalogue's rules need was read, whatever else is wrong."""
        return all(self[name].data is not None for name in REQUIRED_VALUES)

    def add_errors(self, fields: Mapping[str, str]) -> None:
        """Put the catalogue's refusals next to the fields they are about, one per field."""
        _add_errors(self, fields, self.name)


def _add_errors(form: FlaskForm, fields: Mapping[str, str], fallback: Field) -> None:
    for name, message in fields.items():
        field = form._fields.get(name, fallback)
        if not field.errors:
            _add_error(field, message)


def _service_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class CoursePlanForm(FlaskForm):
    """A condition's course plan as the owner edits it; services.catalogue holds the rules."""

    first_service_id = SelectField("First consultation", coerce=_service_id)
    follow_up_service_id = SelectField("Follow-up session", coerce=_service_id)
    min_sessions = _count("Fewest sessions", "fewest sessions a course usually needs")
    typical_sessions = _count("Typical sessions", "typical number of sessions")
    max_sessions = _count("Most sessions", "most sessions a course usually needs")
    package_kind = RadioField(
        "Prepaid package",
        choices=[
            SelectChoice(NO_PACKAGE, "No package"),
            SelectChoice(PACKAGE_PRICE, "A number of sessions for a fixed price"),
            SelectChoice(PACKAGE_PERCENT, "A number of sessions at a percentage off"),
        ],
        default=NO_PACKAGE,
        validators=[InputRequired("Choose whether to offer a package.")],
    )
    package_sessions = WholeNumberField(
        "Follow-up sessions in the package",
        validators=[Optional()],
        invalid_message="Enter the number of sessions in the package, e.g. 6.",
    )
    package_price_cents = MoneyField(
        "Package price",
        validators=[Optional()],
        invalid_message="Enter the package price as an amount, e.g. 500 or 499.50.",
    )
    package_discount_percent = WholeNumberField(
        "Percentage off",
        validators=[Optional()],
        invalid_message="Enter the percentage off as a whole number, e.g. 10.",
    )
    diagnosis_codes = StringField(
        "Diagnosis codes (ICD-10-CM, optional)",
        filters=[_upper],
        validators=[Optional(), Length(max=60, message="Keep the codes under 60 characters.")],
        description="Comma separated, e.g. M54.2 for neck pain. Printed on Good Faith Estimates.",
    )

    @classmethod
    def for_plan(cls, plan: CoursePlan) -> CoursePlanForm:
        """The form filled from a saved plan."""
        if not plan.package_sessions:
            package_kind = NO_PACKAGE
        elif plan.package_price_cents is not None:
            package_kind = PACKAGE_PRICE
        else:
            package_kind = PACKAGE_PERCENT
        return cls(obj=plan, package_kind=package_kind)

    def offer(self, first: Iterable[Service], follow_up: Iterable[Service]) -> None:
        """The services of the condition to choose from; retired ones are named as such."""

        def choices(services: Iterable[Service]) -> list[SelectChoice]:
            return [SelectChoice(None, "None yet")] + [
                SelectChoice(s.id, s.name if s.active else f"{s.name} (retired)") for s in services
            ]

        self.first_service_id.choices = choices(first)
        self.follow_up_service_id.choices = choices(follow_up)

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        kind = self.package_kind.data
        wanted = {
            PACKAGE_PRICE: ("package_sessions", "package_price_cents"),
            PACKAGE_PERCENT: ("package_sessions", "package_discount_percent"),
        }.get(kind, ())
        for name in PACKAGE_FIELDS:
            field = self[name]
            if name not in wanted:
                # Values left in the package kind not chosen are ignored, not checked.
                field.errors, field.data = [], None
            elif field.data is None and not field.errors:
                _add_error(field, PACKAGE_MISSING[name])
        return not any(field.errors for field in self)

    def details(self) -> PlanDetails:
        """What was typed, for the catalogue to check and save; call after validate()."""
        return PlanDetails(
            first_service_id=self.first_service_id.data,
            follow_up_service_id=self.follow_up_service_id.data,
            min_sessions=self.min_sessions.data,
            typical_sessions=self.typical_sessions.data,
            max_sessions=self.max_sessions.data,
            package_sessions=self.package_sessions.data,
            package_price_cents=self.package_price_cents.data,
            package_discount_percent=self.package_discount_percent.data,
            diagnosis_codes=", ".join(split_codes(self.diagnosis_codes.data or "")),
        )

    def has_values(self) -> bool:
        return all(self[name].data is not None for name in PLAN_VALUES)

    def add_errors(self, fields: Mapping[str, str]) -> None:
        _add_errors(self, fields, self.min_sessions)


class NewServiceForm(ServiceForm):
    """A new service also chooses its web address name, which never changes afterwards."""

    slug = StringField(
        "Web address name",
        filters=[_strip],
        validators=[InputRequired("Enter the web address name, e.g. neck-massage.")],
        description=(
            f"Lowercase letters, digits and hyphens, up to {SLUG_MAX} characters, e.g. "
            "neck-massage. It appears in links patients use and cannot be changed later."
        ),
    )
