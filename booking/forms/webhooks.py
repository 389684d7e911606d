"""The owner's form for a webhook endpoint: its address, a description, the events, and
whether payloads carry the patient's contact details."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.domain.webhooks import EVENTS, MAX_URL_LENGTH
from booking.forms.fields import one_line, strip
from booking.services.webhooks.endpoints import Details


class WebhookForm(FlaskForm):
    """An endpoint as the owner adds or edits it; the address rules live in the service."""

    url = StringField(
        "Address (URL)",
        filters=[strip],
        validators=[
            DataRequired("Enter the endpoint's address, e.g. https://example.com/webhooks."),
            Length(
                max=MAX_URL_LENGTH,
                message=f"Keep the address under {MAX_URL_LENGTH:,} characters.",
            ),
            one_line(),
        ],
        description="An https:// address that answers a POST with 2xx.",
    )
    description = StringField(
        "Description (optional)",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message="Keep the description under 200 characters."),
            one_line(),
        ],
        description="For you: what receives these, e.g. “Front-desk dashboard”.",
    )
    events = SelectMultipleField(
        "Events to send",
        choices=[SelectChoice(event, f"{event}: {text}") for event, text in EVENTS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    include_contact_details = BooleanField("Include the patient's name, email and phone")

    def validate_events(self, field) -> None:
        if not field.data:
            raise FieldError("Tick at least one event to send.")

    def details(self) -> Details:
        return Details(
            url=self.url.data,
            description=self.description.data or "",
            events=list(self.events.data or ()),
            include_contact_details=bool(self.include_contact_details.data),
        )
