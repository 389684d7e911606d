"""iCalendar files for patients' add-to-calendar links."""

from __future__ import annotations

from icalendar import Calendar, Event, vText

from booking.domain.money import format_money
from booking.models import Booking, ClinicSettings
from booking.models.base import utcnow
from booking.models.booking import CANCELLED

PRODID = "-//Acupuncture booking//EN"


def event_uid(booking: Booking) -> str:
    """Stable across reschedules, so calendar apps update the event instead of adding one."""
    return f"booking-{booking.reference}@acupuncture-booking"


def booking_calendar(
    booking: Booking, settings: ClinicSettings, *, manage_url: str, method: str = "PUBLISH"
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", event_uid(booking))
    event.add("dtstamp", utcnow())
    event.add("dtstart", booking.start_at)
    event.add("dtend", booking.end_at)
    event.add("sequence", booking.sequence)
    event.add("summary", f"{booking.service.name} at {settings.name}")
    event.add("location", vText(settings.address))
    event.add("status", "CANCELLED" if booking.status == CANCELLED else "CONFIRMED")
    event.add(
        "description",
        "\n".join(
            [
                f"{booking.service.name} with {booking.practitioner.name}.",
                f"Price: {format_money(booking.price_cents, booking.currency)} per session.",
                f"Reference: {booking.reference}",
                f"Change or cancel: {manage_url}",
                f"Clinic phone: {settings.phone}",
            ]
        ),
    )
    event.add("url", manage_url)
    calendar.add_component(event)
    return calendar.to_ical()
