"""Staff sign-in, and what staff change about their own sign-in on /account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from booking.forms.fields import one_line, strip
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


class SignInCodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = StringField(
        "Code",
        filters=[strip],
        validators=[DataRequired("Enter the code."), Length(max=40, message="That is too long.")],
    )


class StartTwoFactorForm(FlaskForm):
    """A button: make a new secret to add to an authenticator app."""


class ConfirmTwoFactorForm(FlaskForm):
    """The first code from the app, which shows it holds the secret."""

    code = StringField(
        "6-digit code from the app",
        filters=[strip],
        validators=[DataRequired("Enter the 6-digit code the app shows."), Length(max=20)],
    )


class RecoveryCodesForm(FlaskForm):
    """New recovery codes, once the person has shown it is them."""

    proof = PasswordField(
        "Your password, or a code from the app",
        validators=[DataRequired("Enter your password or a code from the app."), Length(max=200)],
    )


class DisableTwoFactorForm(FlaskForm):
    """Turning two-step sign-in off, with the password (its fields prefixed `disable-`)."""

    def __init__(self, *args, **kwargs):
        # The account page also has the change-password form's "password" field.
        super().__init__(*args, prefix="disable", **kwargs)

    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password."), Length(max=200)]
    )
