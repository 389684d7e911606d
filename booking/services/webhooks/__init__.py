"""Signed webhooks (the Standard Webhooks spec): the owner's endpoints (`endpoints`),
events queued in the outbox with the change that raised them (`events`), each payload
rendered when it is sent (`payloads`) and posted, signed, by `flask send-outbox`
(`delivery`, called from services/outbox.py)."""

from booking.services.webhooks.events import (
    booking_cancelled,
    booking_created,
    booking_moved,
    bookings_voided,
    status_changed,
    waitlist_claimed,
    waitlist_offered,
)

__all__ = [
    "booking_cancelled",
    "booking_created",
    "booking_moved",
    "bookings_voided",
    "status_changed",
    "waitlist_claimed",
    "waitlist_offered",
]
