"""Shared by the waitlist's tests: fill a practitioner's day, join, read the line."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from booking.extensions import db
from booking.models import ClinicSettings, Service, User
from booking.models.base import utcnow
from booking.services import availability
from booking.services.bookings import BookingRequest, create_booking
from tests.conftest import NO_FLAGS


def clinic_today() -> date:
    settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
    return utcnow().astimezone(ZoneInfo(settings.timezone)).date()


def working_day(practitioner, days_ahead: int = 3) -> date:
    """The first day from `days_ahead` on that the practitioner works."""
    day = clinic_today() + timedelta(days=days_ahead)
    while day.weekday() not in practitioner.weekdays:
        day += timedelta(days=1)
    return day


def fill_day(practitioner_id: int, day: date, slug: str = "neck-initial") -> list:
    """Book every free time the practitioner has on the day, for other patients, until
    none is left. Returns (booking, manage token) pairs, in order."""
    service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()
    desk = db.session.execute(db.select(User).order_by(User.id)).scalars().first()
    made = []
    for number in range(60):
        free = availability.free_slots(service, day, day, practitioner_id=practitioner_id)
        if not free:
            return made
        booking, token = create_booking(
            BookingRequest(
                service=service,
                start=free[0].start,
                practitioner_id=practitioner_id,
                name=f"Filler {number}",
                email=f"filler{number}@example.com",
                phone=f"207 555 {1000 + number}",
                answers=dict(NO_FLAGS),
                source="phone",
            ),
            actor=desk,
        )
        made.append((booking, token))
    raise AssertionError("the day never filled")


def join_body(day: date, practitioner_id: int, *, name: str, email: str, **overrides) -> dict:
    body = {
        "service": "neck-initial",
        "patient": {"name": name, "email": email, "phone": "207 555 0199"},
        "screening": dict(NO_FLAGS),
        "disclaimer_accepted": True,
        "earliest": day.isoformat(),
        "latest": day.isoformat(),
        "practitioner": practitioner_id,
    }
    body.update(overrides)
    return body
