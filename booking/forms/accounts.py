"""The owner's forms for staff: sign-in accounts and practitioners."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from booking.forms.public import _strip
from booking.models.user import OWNER, RECEPTION
from booking.services.auth import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [SelectChoice(RECEPTION, "Reception"), SelectChoice(OWNER, "Owner")]
MAX_PASSWORD_LENGTH = 200


class NewPasswordMixin:
    """A typed password, or a tick to have one generated and shown once."""

    password = PasswordField(
        "Password",
        validators=[Length(max=MAX_PASSWORD_LENGTH, message="Keep the password under 200.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    generate = BooleanField("Generate a random password for me (shown once)")

    def check_password_choice(self) -> bool:
        if self.generate.data and self.password.data:
            self.password.errors = [
                *self.password.errors,
                "Type a password or tick “generate”, not both.",
            ]
        elif not self.generate.data and not self.password.data:
            self.password.errors = [
                *self.password.errors,
                "Type a password, or tick “generate” to have one made.",
            ]
        elif self.password.data and len(self.password.data) < MIN_PASSWORD_LENGTH:
            self.password.errors = [
                *self.password.errors,
                f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.",
            ]
        return not self.password.errors


class AccountForm(NewPasswordMixin, FlaskForm):
    """A new staff account."""

    name = StringField(
        "Name",
        filters=[_strip],
        validators=[
            DataRequired("Enter the person's name."),
            Length(max=120, message="Keep the name under 120 characters."),
        ],
    )
    email = EmailField(
        "Email (they sign in with it)",
        filters=[_strip],
        validators=[
            DataRequired("Enter the email address they will sign in with."),
            Length(max=254, message="That email address is too long."),
            Email("Check the email address, e.g. name@example.com.", granular_message=False),
        ],
    )
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        default=RECEPTION,
        validators=[InputRequired("Choose a role.")],
        description="Reception runs the calendar; owners also manage prices, staff and settings.",
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_password_choice() and ok


class PasswordForm(NewPasswordMixin, FlaskForm):
    """A new password for an existing account."""

    password = PasswordField(
        "New password",
        validators=[Length(max=MAX_PASSWORD_LENGTH, message="Keep the password under 200.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_password_choice() and ok


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])


class PractitionerForm(FlaskForm):
    """A practitioner's public details and the consultations they give."""

    name = StringField(
        "Name (as patients see it)",
        filters=[_strip],
        validators=[
            DataRequired("Enter the practitioner's name."),
            Length(max=120, message="Keep the name under 120 characters."),
        ],
    )
    title = StringField(
        "Title (optional)",
        filters=[_strip],
        validators=[Length(max=120, message="Keep the title under 120 characters.")],
        description="For example: Licensed acupuncturist.",
    )
    bio = TextAreaField(
        "About them (optional)",
        filters=[_strip],
        validators=[Length(max=2000, message="Keep the bio under 2,000 characters.")],
    )
    services = SelectMultipleField(
        "Consultations they give",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
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
