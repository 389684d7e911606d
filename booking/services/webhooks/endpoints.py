"""The owner's webhook endpoints: add, change, turn off and on, delete, rotate the secret,
send a test; and each endpoint's recent deliveries.

Every change is one audited command (the secret never in the entry). An address is
checked as it is typed (`domain/webhooks.refusal`) and, in production, its host is
looked up and refused if any address it gives is private or this server's; delivery
checks again before each connection.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete as delete_rows
from sqlalchemy import func

from booking.domain import webhooks as rules
from booking.errors import Conflict, ValidationError
from booking.extensions import db
from booking.models import OutboxMessage, User, WebhookAttempt, WebhookEndpoint
from booking.models.base import utcnow
from booking.models.outbox import WEBHOOK
from booking.services.commands import command
from booking.services.webhooks import delivery, events

# A handful is plenty for one clinic; each is one more delivery of every event.
MAX_ENDPOINTS = 10
# The spec's rotation: the old secret signs alongside the new one this long.
OLD_SECRET_SIGNS_FOR = timedelta(hours=24)
SECRET_BYTES = 32
RECENT = 20


@dataclass(frozen=True)
class Details:
    """An endpoint as the owner types it."""

    url: str
    description: str
    events: list[str]
    include_contact_details: bool


@dataclass(frozen=True)
class Delivery:
    """One webhook to an endpoint as its page lists it, with its last attempt."""

    message: OutboxMessage
    last: WebhookAttempt | None


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, as the spec serialises a signing secret."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def check_destination(url: str) -> None:
    """Refuse an address webhooks may not go to, with a message for the URL field."""
    _timeout, production, private_allowed = delivery.settings()
    problem = rules.refusal(url, production=production, private_allowed=private_allowed)
    if problem is None and production:
        parts = urlsplit(url)
        try:
            delivery.addresses(
                parts.hostname,
                parts.port or 443,
                production=production,
                private_allowed=private_allowed,
            )
        except delivery.Refused as refused:
            problem = str(refused)
    if problem:
        raise ValidationError.field("url", problem)


def _checked(details: Details) -> Details:
    check_destination(details.url)
    chosen = rules.chosen_events(details.events)
    if not chosen:
        raise ValidationError.field("events", "Tick at least one event to send.")
    return Details(
        details.url, details.description.strip()[:200], chosen, details.include_contact_details
    )


def endpoints() -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(
        db.session.execute(db.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars()
    )


def create(
    details: Details, *, actor: User, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret, to be shown this once."""
    details = _checked(details)
    secret = new_secret()
    with command("webhook.create", actor=actor, tracks=None) as change:
        count = db.session.execute(db.select(func.count(WebhookEndpoint.id))).scalar_one()
        if count >= MAX_ENDPOINTS:
            raise Conflict(
                f"A clinic can have {MAX_ENDPOINTS} endpoints at most: delete one first."
            )
        endpoint = WebhookEndpoint(
            url=details.url,
            description=details.description,
            events=details.events,
            include_contact_details=details.include_contact_details,
            secret=secret,
            created_at=now or utcnow(),
            created_by_id=actor.id,
        )
        db.session.add(endpoint)
        db.session.flush()
        change.subject = endpoint
        change.track(endpoint)
        change.summary = f"webhook endpoint {endpoint.id}"
    return endpoint, secret


def update(endpoint: WebhookEndpoint, details: Details, *, actor: User) -> bool:
    """Change the address, description, events or the contact-details choice."""
    details = _checked(details)
    with command("webhook.update", endpoint, actor=actor, lock=True) as change:
        endpoint.url = details.url
        endpoint.description = details.description
        endpoint.events = details.events
        endpoint.include_contact_details = details.include_contact_details
    return change.changed


def set_enabled(
    endpoint: WebhookEndpoint, enabled: bool, *, actor: User | None, reason: str = ""
) -> bool:
    """Turn deliveries off (those waiting are not sent) or on again (from new events)."""
    action = "webhook.enable" if enabled else "webhook.disable"
    with command(action, endpoint, actor=actor, lock=True, summary=reason[:300]) as change:
        endpoint.enabled = enabled
        endpoint.disabled_reason = "" if enabled else reason[:200]
    return change.changed


def delete(endpoint: WebhookEndpoint, *, actor: User) -> None:
    """Delete the endpoint, its secrets, its waiting webhooks and its delivery history."""
    with command("webhook.delete", endpoint, actor=actor, lock=True) as change:
        change.summary = f"webhook endpoint {endpoint.id}"
        db.session.execute(
            delete_rows(WebhookAttempt)
            .where(WebhookAttempt.endpoint_id == endpoint.id)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete_rows(OutboxMessage)
            .where(OutboxMessage.webhook_endpoint_id == endpoint.id)
            .execution_options(synchronize_session=False)
        )
        db.session.delete(endpoint)


def rotate_secret(endpoint: WebhookEndpoint, *, actor: User, now: datetime | None = None) -> str:
    """A new secret, to be shown this once; the old one signs too for the next 24 hours."""
    now = now or utcnow()
    secret = new_secret()
    with command(
        "webhook.rotate",
        endpoint,
        actor=actor,
        lock=True,
        always=True,
        summary="signing secret rotated; the old one signs too for 24 hours",
    ):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + OLD_SECRET_SIGNS_FOR
        endpoint.secret = secret
    return secret


def send_test(endpoint: WebhookEndpoint, *, actor: User, now: datetime | None = None) -> None:
    """Queue a `webhook.test` event to this endpoint; the next send-outbox run posts it."""
    if not endpoint.enabled:
        raise Conflict("This endpoint is turned off: turn it on to send it a test event.")
    with command(
        "webhook.test", endpoint, actor=actor, always=True, summary="test event queued"
    ) as change:
        change.send(events.queue_test, endpoint, now=now or utcnow())


def recent(endpoint: WebhookEndpoint, limit: int = RECENT) -> list[Delivery]:
    """The endpoint's latest webhooks, newest first, each with its last attempt."""
    messages = list(
        db.session.execute(
            db.select(OutboxMessage)
            .where(OutboxMessage.kind == WEBHOOK, OutboxMessage.webhook_endpoint_id == endpoint.id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        ).scalars()
    )
    last: dict[int, WebhookAttempt] = {}
    if messages:
        for attempt in db.session.execute(
            db.select(WebhookAttempt)
            .where(WebhookAttempt.message_id.in_([m.id for m in messages]))
            .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
        ).scalars():
            last[attempt.message_id] = attempt
    return [Delivery(message, last.get(message.id)) for message in messages]


def record(result: delivery.Result, message_id: int, endpoint_id: int) -> None:
    """Keep how an attempt went (inside the caller's command)."""
    db.session.add(
        WebhookAttempt(
            message_id=message_id,
            endpoint_id=endpoint_id,
            attempted_at=result.attempted_at,
            status_code=result.status_code,
            ok=result.ok,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
