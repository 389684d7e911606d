"""Emails and webhooks waiting to go out, written in the same transaction as the change
they describe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, one_of, utcnow

CONFIRMATION = "confirmation"
RESCHEDULE = "reschedule"
CANCELLATION = "cancellation"
REMINDER = "reminder"
# One email for every session of a course booked in one go, about its first booking.
COURSE_CONFIRMATION = "course_confirmation"
CLINIC_BOOKING = "clinic_booking"
CLINIC_CANCELLATION = "clinic_cancellation"
# A patient's pre-visit answers report a red-flag symptom that is new: reception is told.
CLINIC_CHECK_IN = "clinic_check_in"
PATIENT_KINDS = (CONFIRMATION, RESCHEDULE, CANCELLATION, REMINDER, COURSE_CONFIRMATION)
# About a waitlist entry rather than a booking: the private link on joining, a time
# held for the patient, a reminder that the hold is about to lapse, and that it lapsed.
WAITLIST_JOINED = "waitlist_joined"
WAITLIST_OFFER = "waitlist_offer"
WAITLIST_REMINDER = "waitlist_reminder"
WAITLIST_LAPSED = "waitlist_lapsed"
WAITLIST_KINDS = (WAITLIST_JOINED, WAITLIST_OFFER, WAITLIST_REMINDER, WAITLIST_LAPSED)
# A webhook to one endpoint (`webhook_endpoint_id`), about a booking, a waitlist entry or,
# for a test, nothing; `subject` holds its event type and `message_id` its webhook-id.
WEBHOOK = "webhook"
KINDS = (
    *PATIENT_KINDS,
    CLINIC_BOOKING,
    CLINIC_CANCELLATION,
    CLINIC_CHECK_IN,
    *WAITLIST_KINDS,
    WEBHOOK,
)
# An email is about a booking or an entry; a webhook may be about neither (a test).
ABOUT_ONE_THING = (
    "((booking_id IS NULL) <> (waitlist_entry_id IS NULL)) OR "
    "(webhook_endpoint_id IS NOT NULL AND (booking_id IS NULL OR waitlist_entry_id IS NULL))"
)
WEBHOOK_TO_ENDPOINT = f"(kind = '{WEBHOOK}') = (webhook_endpoint_id IS NOT NULL)"

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
# Never sent because the booking changed again first; a newer message says what holds.
SUPERSEDED = "superseded"
STATUSES = (PENDING, SENDING, SENT, FAILED, SUPERSEDED)


class OutboxMessage(Base):
    """One email, stored as what it says rather than as the message itself.

    The row holds the kind, the booking and the facts that must not change (the time a
    booking moved from, who cancelled it); the body, with the patient's manage link, is
    rendered only when it is sent, so no pending or failed row holds a working link. The
    Message-ID and the Date are fixed here, so every attempt is recognisably one email.
    A webhook is kept the same way: its payload is rendered when it is sent, and its
    webhook-id (`message_id`) is the same on every attempt.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(ABOUT_ONE_THING, name="about_one_thing"),
        CheckConstraint(WEBHOOK_TO_ENDPOINT, name="webhook_to_endpoint"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    # What the email is about: a booking, or (for the waitlist's emails) an entry.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), index=True)
    waitlist_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("waitlist_entry.id"), index=True
    )
    # A webhook's endpoint (the booking or entry above says what it is about).
    webhook_endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id"), index=True
    )
    # The booking's sequence the message describes; an older one is never sent late.
    booking_sequence: Mapped[int] = mapped_column(default=0)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(250))
    # What the email says that cannot be read from the booking later, as JSON values.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    # The same email is never queued twice, e.g. "confirmation:<booking id>:<sequence>".
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sender's claim: while it lasts, no other sender takes the message.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # The error's class and SMTP code (a webhook's HTTP status) only: never an address or
    # any content.
    last_error: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
