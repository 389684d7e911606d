"""Webhook events, queued in the outbox inside the change that raised them.

Each function here is the one place its event is raised; the services call it through
`change.send`, beside the emails the same change queues, so a change rolled back sends
nothing. It writes one outbox row per enabled endpoint that chose the event, holding
the event type, what it is about and the facts of the change that cannot be read later
(the time and practitioner a booking moved from, a status before and after, who
cancelled). The payload is rendered from the rows as they are when it is sent
(`payloads.render`), and nothing about the patient is stored with it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from booking.domain.statuses import BOOKED, ENTERED_IN_ERROR
from booking.domain.webhooks import (
    BOOKING_CANCELLED,
    BOOKING_CHANGED,
    BOOKING_CREATED,
    TEST,
    WAITLIST_CLAIMED,
    WAITLIST_OFFERED,
)
from booking.extensions import db
from booking.models import Booking, OutboxMessage, WaitlistEntry, WaitlistOffer, WebhookEndpoint
from booking.models.outbox import SENDING, SENT, WEBHOOK

MOVED = "moved"
STATUS = "status"


def new_message_id() -> str:
    """A webhook-id: random, URL-safe, never a full stop (the signature's separator)."""
    return "msg_" + secrets.token_urlsafe(18)


def listening(event: str) -> list[WebhookEndpoint]:
    """The enabled endpoints that chose this event (a clinic has a handful at most)."""
    endpoints = db.session.execute(
        db.select(WebhookEndpoint)
        .where(WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookEndpoint.id)
    ).scalars()
    return [endpoint for endpoint in endpoints if event in (endpoint.events or ())]


def queue(
    event: str,
    *,
    now: datetime,
    endpoints: list[WebhookEndpoint] | None = None,
    booking: Booking | None = None,
    entry: WaitlistEntry | None = None,
    facts: dict | None = None,
) -> list[OutboxMessage]:
    """One outbox row per endpoint (by default, each one listening for the event)."""
    rows = []
    for endpoint in listening(event) if endpoints is None else endpoints:
        message_id = new_message_id()
        row = OutboxMessage(
            kind=WEBHOOK,
            webhook_endpoint_id=endpoint.id,
            booking_id=booking.id if booking is not None else None,
            waitlist_entry_id=entry.id if entry is not None else None,
            booking_sequence=booking.sequence if booking is not None else 0,
            recipient="",
            subject=event,
            message_id=message_id,
            facts=dict(facts or {}),
            dedupe_key=f"{WEBHOOK}:{message_id}",
            created_at=now,
            next_attempt_at=now,
        )
        db.session.add(row)
        rows.append(row)
    return rows


def _when(moment: datetime) -> str:
    return moment.isoformat()


def booking_created(booking: Booking, *, now: datetime) -> None:
    """A booking was made: online, by reception, in a series or from a waitlist offer."""
    queue(BOOKING_CREATED, booking=booking, now=now)


def booking_moved(
    booking: Booking,
    *,
    previous_start: datetime,
    previous_end: datetime,
    previous_practitioner_id: int,
    now: datetime,
) -> None:
    """A booking moved: where it was and where it went, kept as the facts of the move."""
    queue(
        BOOKING_CHANGED,
        booking=booking,
        now=now,
        facts={
            "change": MOVED,
            "before": {
                "start": _when(previous_start),
                "end": _when(previous_end),
                "practitioner_id": previous_practitioner_id,
            },
            "after": {
                "start": _when(booking.start_at),
                "end": _when(booking.end_at),
                "practitioner_id": booking.practitioner_id,
            },
        },
    )


def status_changed(booking: Booking, *, previous: str, now: datetime) -> None:
    """Staff marked a booking arrived, done or a no-show, or undid it."""
    queue(
        BOOKING_CHANGED,
        booking=booking,
        now=now,
        facts={
            "change": STATUS,
            "before": {"status": previous},
            "after": {"status": booking.status},
        },
    )


def booking_cancelled(booking: Booking, *, now: datetime, by_patient: bool) -> None:
    """A booking was cancelled, and by whom (the reason is never sent: it may be clinical)."""
    queue(
        BOOKING_CANCELLED,
        booking=booking,
        now=now,
        facts={"cancelled_by": "patient" if by_patient else "clinic"},
    )


def bookings_voided(bookings: list[Booking], *, now: datetime) -> None:
    """Bookings voided as entered in error: each endpoint already told of one hears that
    it is void; one that never was (its webhook stopped with the void) hears nothing."""
    if not bookings:
        return
    endpoints = {endpoint.id: endpoint for endpoint in listening(BOOKING_CHANGED)}
    if not endpoints:
        return
    told = db.session.execute(
        db.select(OutboxMessage.webhook_endpoint_id, OutboxMessage.booking_id)
        .where(
            OutboxMessage.kind == WEBHOOK,
            OutboxMessage.booking_id.in_([b.id for b in bookings]),
            OutboxMessage.webhook_endpoint_id.in_(list(endpoints)),
            OutboxMessage.status.in_((SENT, SENDING)),
        )
        .distinct()
    ).all()
    heard = {(endpoint_id, booking_id) for endpoint_id, booking_id in told}
    facts = {"change": STATUS, "before": {"status": BOOKED}, "after": {"status": ENTERED_IN_ERROR}}
    for booking in bookings:
        chosen = [e for key, e in endpoints.items() if (key, booking.id) in heard]
        if chosen:
            queue(BOOKING_CHANGED, endpoints=chosen, booking=booking, now=now, facts=facts)


def waitlist_offered(offer: WaitlistOffer, *, now: datetime) -> None:
    """A freed time is held for a patient on the waitlist."""
    queue(WAITLIST_OFFERED, entry=offer.entry, now=now, facts={"offer": offer.id})


def waitlist_claimed(offer: WaitlistOffer, *, now: datetime) -> None:
    """The patient booked the time held for them (the booking also raises booking.created)."""
    queue(
        WAITLIST_CLAIMED,
        entry=offer.entry,
        now=now,
        facts={"offer": offer.id, "booking": offer.booking_id},
    )


def queue_test(endpoint: WebhookEndpoint, *, now: datetime) -> OutboxMessage:
    """A test the owner asked for, about nothing, to this endpoint only."""
    (row,) = queue(TEST, endpoints=[endpoint], now=now)
    return row
