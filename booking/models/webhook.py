"""Webhook endpoints the owner registers, and each attempt to deliver to one.

What is delivered is an outbox row (`models/outbox.py`, kind `webhook`) about the
endpoint and the booking or waitlist entry, written in the change's own transaction;
this module holds where it goes and how each attempt went.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.domain.webhooks import MAX_URL_LENGTH
from booking.models.base import Base, UTCDateTime, utcnow
from booking.models.user import User

# "whsec_" and 32 random bytes in base64 (the spec allows 24 to 64 bytes).
SECRET_LENGTH = 60


class WebhookEndpoint(Base):
    """An HTTPS address that receives the events the owner chose, signed with its secret.

    The secret signs every delivery, so it is kept as it was shown once to the owner
    (like a two-step sign-in secret): never audited, logged or shown again. After a
    rotation the previous one signs too until `previous_secret_until`, so a receiver
    can change over without missing a webhook.
    """

    __tablename__ = "webhook_endpoint"

    __audit_name__ = "webhook_endpoint"
    # Never the secrets.
    __audited__ = ("url", "description", "events", "include_contact_details", "enabled")

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The event types chosen (domain/webhooks.EVENTS), as a JSON list.
    events: Mapped[list] = mapped_column(JSON, default=list)
    # Off unless the owner ticks it: then payloads carry the patient's name, email, phone.
    include_contact_details: Mapped[bool] = mapped_column(default=False)
    secret: Mapped[str] = mapped_column(String(SECRET_LENGTH))
    previous_secret: Mapped[str | None] = mapped_column(String(SECRET_LENGTH))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Why it was turned off when the server did it (the receiver answered 410 Gone).
    disabled_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    created_by: Mapped[User | None] = relationship()


class WebhookAttempt(Base):
    """One try at delivering one outbox row: when, how long, and what came back.

    Holds the status code and a short description of a failure only: never the body
    sent or received.
    """

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_message", "message_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None when no answer came (refused, timed out, a TLS failure).
    status_code: Mapped[int | None] = mapped_column()
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(String(200), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
