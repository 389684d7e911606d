"""A practitioner's calendar subscription feed at a secret, revocable URL."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vDuration
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from booking.domain.text import one_line
from booking.extensions import db
from booking.models import Booking, Practitioner, User
from booking.models.base import utcnow
from booking.models.booking import ACTIVE_STATUSES
from booking.services.calendar import PRODID, clinic_timezone, uid_domain
from booking.services.clinic import get_settings
from booking.services.commands import command
from booking.services.tokens import hash_token

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
FEED_TOKEN_BYTES = 32
# Calendar apps are asked to look again this often.
REFRESH = timedelta(minutes=15)


def create_feed(practitioner: Practitioner, *, actor: User) -> str:
    """A new secret feed token; any earlier link stops working. Only its hash is kept."""
    token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    with command("feed.create", practitioner, actor=actor, tracks=None, always=True) as change:
        replaced = practitioner.feed_token_hash is not None
        practitioner.feed_token_hash = hash_token(token)
        change.before, change.after = {"feed": replaced}, {"feed": True}
        done = "replaced" if replaced else "created"
        change.summary = f"Calendar feed link {done} for {practitioner.name}"
    return token


def revoke_feed(practitioner: Practitioner, *, actor: User) -> bool:
    """Turn the feed off; returns whether there was one."""
    summary = f"Calendar feed turned off for {practitioner.name}"
    with command("feed.revoke", practitioner, actor=actor, tracks=None, summary=summary) as change:
        change.before = {"feed": practitioner.feed_token_hash is not None}
        practitioner.feed_token_hash = None
        change.after = {"feed": False}
    return change.changed


def practitioner_for_feed(token: str) -> Practitioner | None:
    if not token:
        return None
    return db.session.execute(
        db.select(Practitioner).where(Practitioner.feed_token_hash == hash_token(token))
    ).scalar_one_or_none()


def feed_uid(booking: Booking) -> str:
    # Not the patient's event UID: a calendar that holds both must not merge them.
    return f"feed-{booking.reference}@{uid_domain()}"


def feed_changed_at(practitioner: Practitioner) -> datetime | None:
    """When anything in the feed last changed: the latest change to any of the
    practitioner's bookings (a cancellation takes one out of the feed, so it counts)."""
    return db.session.execute(
        db.select(func.max(Booking.updated_at)).where(Booking.practitioner_id == practitioner.id)
    ).scalar()


def feed_calendar(practitioner: Practitioner, *, now: datetime | None = None) -> bytes:
    """The practitioner's active bookings near now, naming patients by first name only."""
    now = now or utcnow()
    bookings = db.session.execute(
        db.select(Booking)
        .where(
            Booking.practitioner_id == practitioner.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at >= now - FEED_PAST,
            Booking.start_at < now + FEED_AHEAD,
        )
        .options(joinedload(Booking.patient), joinedload(Booking.service))
        .order_by(Booking.start_at)
    ).scalars()
    settings = get_settings()
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    # Names are checked as they are typed; older rows may hold control characters.
    feed.add("x-wr-calname", one_line(f"{practitioner.name} – {settings.name}"))
    feed.add("x-wr-timezone", settings.timezone)
    # How often to look again (RFC 7986), and the older name Outlook reads.
    feed.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    feed.add("x-published-ttl", vDuration(REFRESH))
    feed.add_component(clinic_timezone(settings.timezone, now.date()))
    for booking in bookings:
        event = Event()
        event.add("uid", feed_uid(booking))
        # When the booking last changed, not when the feed was read: the same bookings
        # give the same file, so a calendar app's next poll can be answered 304.
        event.add("dtstamp", booking.updated_at)
        event.add("dtstart", booking.start_at)
        event.add("dtend", booking.end_at)
        event.add("sequence", booking.sequence)
        event.add("status", "CONFIRMED")
        first_name = booking.patient.first_name or "Patient"
        event.add("summary", one_line(f"{first_name} – {booking.service.name}"))
        feed.add_component(event)
    return feed.to_ical()
