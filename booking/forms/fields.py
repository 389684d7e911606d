"""Field builders the forms share: trimmed text with its required and length messages."""

from __future__ import annotations

from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length


def strip(value):
    return value.strip() if isinstance(value, str) else value


def text_field(
    label: str,
    required: str,
    too_long: str,
    *,
    max_length: int = 120,
    required_check=DataRequired,
    **options,
) -> StringField:
    """Trimmed text that must be given and fit its column."""
    return StringField(
        label,
        filters=[strip],
        validators=[required_check(required), Length(max=max_length, message=too_long)],
        **options,
    )


def email_address_field(label: str, required: str, check: str) -> EmailField:
    """A trimmed email address, checked for its shape."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(required),
            Length(max=254, message="That email address is too long."),
            Email(check, granular_message=False),
        ],
    )
