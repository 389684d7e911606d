"""iCalendar files: patients' add-to-calendar links and the invitations in their emails."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

from booking.domain.money import format_money
from booking.domain.text import one_line
from booking.models import Booking, ClinicSettings
from booking.models.base import utcnow
from booking.models.booking import CANCELLED, VOIDED_STATUSES

PRODID = "-//Acupuncture booking//EN"
# iTIP methods (RFC 5546): PUBLISH for a file to import, REQUEST to add or update the
# event in the patient's calendar, CANCEL to take it out.
PUBLISH = "PUBLISH"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
# The patient's calendar reminds them this long before (a VALARM): time to get there.
REMIND_BEFORE = timedelta(hours=2)


def uid_domain() -> str:
    """This installation's host (from BASE_URL), so no two clinics' UIDs can meet."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def event_uid(booking: Booking) -> str:
    """Stable across reschedules, so calendar apps update the event instead of adding one."""
    return f"booking-{booking.reference}@{uid_domain()}"


def clinic_timezone(timezone: str, today: date) -> Timezone:
    """The clinic's VTIMEZONE, from this year to the end of next: calendar apps show the
    clinic's own clock, and a feed with no events is still a whole calendar."""
    return Timezone.from_tzid(
        timezone, first_date=date(today.year, 1, 1), last_date=date(today.year + 2, 1, 1)
    )


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{one_line(email)}")
    address.params["cn"] = one_line(name)
    address.params.update(params)
    return address


def booking_calendar(
    booking: Booking,
    settings: ClinicSettings,
    *,
    manage_url: str | None,
    method: str = PUBLISH,
    organizer: str | None = None,
) -> bytes:
    """The booking as one event; for REQUEST and CANCEL, the clinic invites the patient.

    `organizer` is the clinic's address for invitations; without a manage URL (one that
    cannot be re-created) the description points to the clinic's phone instead.
    """
    calendar = _calendar(method)
    calendar.add_component(_event(booking, settings, manage_url, method, organizer))
    return calendar.to_ical()


def course_calendar(
    sessions: list[tuple[Booking, str | None]], settings: ClinicSettings, *, organizer: str
) -> bytes:
    """Every session of a course booked at once, one event each under its own UID.

    Published rather than sent as one invitation: an iTIP request is about one event,
    and these are several. Each UID is the one its booking's later emails use, so a
    session moved or cancelled afterwards updates its own entry.
    """
    calendar = _calendar(PUBLISH)
    for booking, manage_url in sessions:
        calendar.add_component(_event(booking, settings, manage_url, PUBLISH, organizer))
    return calendar.to_ical()


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _event(
    booking: Booking,
    settings: ClinicSettings,
    manage_url: str | None,
    method: str,
    organizer: str | None,
) -> Event:
    event = Event()
    event.add("uid", event_uid(booking))
    event.add("dtstamp", utcnow())
    event.add("dtstart", booking.start_at)
    event.add("dtend", booking.end_at)
    event.add("sequence", booking.sequence)
    # Names are checked as they are typed, but older rows may hold control characters:
    # none is ever written into the file.
    event.add("summary", one_line(f"{booking.service.name} at {settings.name}"))
    event.add("location", vText(one_line(settings.address)))
    cancelled = method == CANCEL or booking.status in (CANCELLED, *VOIDED_STATUSES)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    change = (
        f"Change or cancel: {manage_url}"
        if manage_url
        else "Change or cancel: use the link in your confirmation email, or call the clinic."
    )
    lines = [
        f"{booking.service.name} with {booking.practitioner.name}.",
        f"Price: {format_money(booking.price_cents, booking.currency)} per session.",
        f"Reference: {booking.reference}",
        change,
        f"Clinic phone: {settings.phone}",
    ]
    event.add("description", "\n".join(one_line(line) for line in lines))
    if manage_url:
        event.add("url", manage_url)
    if organizer and method == PUBLISH:
        # A published event names its organiser and no attendees (RFC 5546, 3.2.1).
        event.add("organizer", _address(organizer, settings.name))
    if organizer and method in (REQUEST, CANCEL):
        event.add("organizer", _address(organizer, settings.name))
        if booking.patient.email:
            event.add(
                "attendee",
                _address(
                    booking.patient.email,
                    booking.patient.name,
                    role="REQ-PARTICIPANT",
                    partstat="ACCEPTED",
                    rsvp="FALSE",
                ),
            )
    if not cancelled:
        event.add_component(_alarm(booking, settings))
    return event


def _alarm(booking: Booking, settings: ClinicSettings) -> Alarm:
    """A reminder in the patient's own calendar (RFC 5545 3.6.6), before the visit."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMIND_BEFORE)
    alarm.add("description", one_line(f"{booking.service.name} at {settings.name} in 2 hours"))
    return alarm
