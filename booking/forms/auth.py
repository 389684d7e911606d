"""Staff sign-in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from booking.forms.fields import one_line
from booking.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[DataRequired("Enter your email address."), Length(max=254), one_line()],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=200)]
    )


class SignOutEverywhereForm(FlaskForm):
    """A button: end every other signed-in session of this account."""


class ChangePasswordForm(FlaskForm):
    """A staff member's own new password."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=200)],
    )
    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter the new password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Use a password of {MIN_PASSWORD_LENGTH} to 200 characters.",
            ),
        ],
        description=(
            f"At least {MIN_PASSWORD_LENGTH} characters and hard to guess: "
            "three or four unrelated words work well."
        ),
    )
    confirm = PasswordField(
        "New password again",
        validators=[EqualTo("password", "The two new passwords are not the same.")],
    )
