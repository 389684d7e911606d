"""A queued webhook's payload, rendered when it is sent: `{type, timestamp, data}`.

`data` is read from the rows as they are then (the booking's current time and status)
and from the facts the change stored (what it moved from). It names the booking by
reference, the service, the practitioner, the times in the clinic's zone with their
offset, the status and the price; the patient's name, email and phone only when the
endpoint's owner ticked "include contact details". Never a manage link or token, a
note, a cancellation reason or any answer about health.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from booking.domain.money import amount
from booking.domain.text import one_line
from booking.domain.webhooks import (
    BOOKING_CANCELLED,
    BOOKING_CHANGED,
    BOOKING_CREATED,
    TEST,
    WAITLIST_CLAIMED,
    WAITLIST_OFFERED,
)
from booking.extensions import db
from booking.models import (
    Booking,
    ClinicSettings,
    OutboxMessage,
    Patient,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
    WebhookEndpoint,
)
from booking.services.clinic import get_settings, local


@dataclass(frozen=True)
class Prepared:
    """A webhook ready to post: where, its webhook-id, the exact bytes, the secrets that sign."""

    endpoint_id: int
    url: str
    message_id: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    row: OutboxMessage
    endpoint: WebhookEndpoint
    settings: ClinicSettings

    def when(self, moment: datetime | str | None) -> str | None:
        """An instant in the clinic's zone, ISO 8601 with its offset."""
        if moment is None:
            return None
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return local(moment, self.settings).isoformat()


def utc(moment: datetime) -> str:
    """The event's own time, as the spec's example has it: UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, and the one before it for a day after a rotation."""
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and until > now:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def _practitioner(practitioner: Practitioner | None) -> dict | None:
    if practitioner is None:
        return None
    return {"id": practitioner.id, "name": one_line(practitioner.name)}


def _patient(patient: Patient) -> dict:
    return {
        "id": patient.id,
        "name": one_line(patient.name),
        "email": patient.email,
        "phone": patient.phone,
    }


def booking_data(booking: Booking, context: Context) -> dict:
    """A booking as every event shows it (the patient API's field names)."""
    return {
        "reference": booking.reference,
        "status": booking.status,
        "service": {"slug": booking.service.slug, "name": one_line(booking.service.name)},
        "practitioner": _practitioner(booking.practitioner),
        "start": context.when(booking.start_at),
        "end": context.when(booking.end_at),
        "price": {"amount": amount(booking.price_cents), "currency": booking.currency},
        "source": booking.source,
    }


def _with_contact(data: dict, patient: Patient, context: Context) -> dict:
    if context.endpoint.include_contact_details:
        data["patient"] = _patient(patient)
    return data


def _change(facts: dict, context: Context) -> dict:
    """What a booking.changed event changed, before and after, as stored when it did."""
    change = {"kind": facts.get("change")}
    for side in ("before", "after"):
        values = dict(facts.get(side) or {})
        for key in ("start", "end"):
            if key in values:
                values[key] = context.when(values[key])
        if "practitioner_id" in values:
            person = db.session.get(Practitioner, values.pop("practitioner_id"))
            values["practitioner"] = _practitioner(person)
        change[side] = values
    return change


def _booking_event(context: Context) -> dict | None:
    row = context.row
    booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
    if booking is None:
        return None
    data = {"booking": booking_data(booking, context)}
    facts = row.facts or {}
    if row.subject == BOOKING_CHANGED:
        data["change"] = _change(facts, context)
    if row.subject == BOOKING_CANCELLED:
        data["cancelled_by"] = facts.get("cancelled_by")
        data["cancelled_at"] = context.when(booking.cancelled_at)
    return _with_contact(data, booking.patient, context)


def _offer(offer: WaitlistOffer, context: Context) -> dict:
    return {
        "id": offer.id,
        "status": offer.status,
        "start": context.when(offer.start_at),
        "end": context.when(offer.end_at),
        "held_until": context.when(offer.expires_at),
    }


def _waitlist_event(context: Context) -> dict | None:
    row = context.row
    entry = db.session.get(WaitlistEntry, row.waitlist_entry_id) if row.waitlist_entry_id else None
    facts = row.facts or {}
    offer = db.session.get(WaitlistOffer, facts["offer"]) if facts.get("offer") else None
    if entry is None or offer is None:
        return None
    data = {
        "waitlist_entry": {"id": entry.id, "status": entry.status},
        "offer": _offer(offer, context),
        "service": {"slug": offer.service.slug, "name": one_line(offer.service.name)},
        "practitioner": _practitioner(db.session.get(Practitioner, offer.practitioner_id)),
    }
    booking = db.session.get(Booking, facts["booking"]) if facts.get("booking") else None
    if booking is not None:
        data["booking"] = booking_data(booking, context)
    return _with_contact(data, entry.patient, context)


def _test_event(context: Context) -> dict:
    return {
        "message": "A test event from the clinic's booking site: the signature should verify.",
        "clinic": one_line(context.settings.name),
        "endpoint": {"id": context.endpoint.id, "events": list(context.endpoint.events or ())},
    }


DATA: dict[str, Callable[[Context], dict | None]] = {
    BOOKING_CREATED: _booking_event,
    BOOKING_CHANGED: _booking_event,
    BOOKING_CANCELLED: _booking_event,
    WAITLIST_OFFERED: _waitlist_event,
    WAITLIST_CLAIMED: _waitlist_event,
    TEST: _test_event,
}


def body(event: str, occurred: datetime, data: dict) -> bytes:
    """The exact bytes signed and sent: compact JSON, UTF-8."""
    payload = {"type": event, "timestamp": utc(occurred), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def render(row: OutboxMessage, now: datetime) -> Prepared | None:
    """The webhook as it goes now, or None when there is nothing to send: the endpoint is
    gone or turned off, or what the event is about no longer exists."""
    endpoint = db.session.get(WebhookEndpoint, row.webhook_endpoint_id)
    if endpoint is None or not endpoint.enabled or row.subject not in DATA:
        return None
    data = DATA[row.subject](Context(row, endpoint, get_settings()))
    if data is None:
        return None
    return Prepared(
        endpoint_id=endpoint.id,
        url=endpoint.url,
        message_id=row.message_id,
        body=body(row.subject, row.created_at, data),
        secrets=signing_secrets(endpoint, now),
    )
