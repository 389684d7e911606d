"""The owner's forms for staff sign-in accounts: new accounts, passwords and roles."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from booking.forms.fields import email_address_field, text_field
from booking.models.user import OWNER, RECEPTION
from booking.services.accounts import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [SelectChoice(RECEPTION, "Reception"), SelectChoice(OWNER, "Owner")]
MAX_PASSWORD_LENGTH = 200


def password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[Length(max=MAX_PASSWORD_LENGTH, message="Keep the password under 200.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )


class NewPasswordMixin:
    """A typed password, or a tick to have one generated and shown once."""

    password = password_field("Password")
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

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_password_choice() and ok


class AccountForm(NewPasswordMixin, FlaskForm):
    """A new staff account."""

    name = text_field("Name", "Enter the person's name.", "Keep the name under 120 characters.")
    email = email_address_field(
        "Email (they sign in with it)",
        "Enter the email address they will sign in with.",
        "Check the email address, e.g. name@example.com.",
    )
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        default=RECEPTION,
        validators=[InputRequired("Choose a role.")],
        description="Reception runs the calendar; owners also manage prices, staff and settings.",
    )


class PasswordForm(NewPasswordMixin, FlaskForm):
    """A new password for an existing account."""

    password = password_field("New password")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])
