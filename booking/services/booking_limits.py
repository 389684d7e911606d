"""The limits on online booking, so one client cannot empty the calendar or flood an inbox.

Each is checked inside the booking's own command, so a refused booking stores nothing
and a booking that fails for another reason counts for nothing. The owner sets the
values (`ClinicSettings`); staff are never limited (their views pass no client).

- per client address: online bookings in the last hour;
- per patient identity (email, and phone): upcoming online bookings held at once, with
  a higher ceiling when the rest of a course is booked in one go;
- per recipient: emails that patients' own online actions send one address in a day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.domain.statuses import BOOKED
from booking.errors import RateLimited
from booking.extensions import db
from booking.models import Booking, ClinicSettings, Patient
from booking.services import limits
from booking.services.clinic import get_settings
from booking.services.patients import same_contact

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def new_online_booking(
    client: str, email: str, phone: str, now: datetime, *, sessions: int = 0
) -> None:
    """Refuse (RateLimited) an online booking past any limit; count it otherwise.

    With `sessions`, the request books that many sessions of a course at once: it is
    one request against the address and one email, and the patient's upcoming bookings
    with these added may not pass the owner's ceiling for a course.
    """
    if not limits.enabled():
        return
    settings = get_settings()
    limits.spend(
        limits.key("booking-address", client),
        settings.bookings_per_address_hour,
        HOUR,
        now,
        "Many bookings have just been made from this internet connection, so we cannot "
        "take another online for now. Please try again {wait}, or call the clinic on "
        f"{settings.phone}.",
    )
    # The email's counter comes before the count of its bookings: on PostgreSQL its
    # row lock makes two bookings for one email take turns, so both cannot slip under.
    patient_email(email, now, settings)
    if sessions:
        _check_course(email, phone, sessions, now, settings)
    else:
        _check_upcoming(email, phone, now, settings)


def _check_course(
    email: str, phone: str, sessions: int, now: datetime, settings: ClinicSettings
) -> None:
    ceiling = settings.course_bookings_per_patient
    starts = upcoming_online(email, phone, now)
    held = len(starts)
    if held + sessions > ceiling:
        room = max(ceiling - held, 0)
        raise RateLimited(
            f"Online, a patient can hold {ceiling} upcoming appointments at once, and you "
            f"have {held}: "
            + (f"choose {room} session{'s' if room != 1 else ''} at most, or " if room else "")
            + f"call the clinic on {settings.phone} to book the rest.",
            # Room comes back as the soonest of them happens.
            int((min(starts) - now).total_seconds()) if starts else int(HOUR.total_seconds()),
        )


def inbox(email: str) -> str:
    """The mailbox an address reaches: name+tag@ and (at Gmail) dots are the same inbox."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def patient_email(
    email: str, now: datetime, settings: ClinicSettings | None = None, *, refuse: bool = True
) -> bool:
    """Count one email a patient's own action sends to this inbox; False past the day's limit.

    With `refuse` (booking, moving) the action is refused instead (RateLimited).
    """
    if not limits.enabled() or not email:
        return True
    settings = settings or get_settings()
    name = limits.key("email-recipient", inbox(email))
    ceiling = settings.emails_per_recipient_day
    if not refuse:
        return limits.counters().hit(name, DAY, now).hits <= ceiling
    limits.spend(
        name,
        ceiling,
        DAY,
        now,
        "We have already sent several emails about bookings to this address in the last "
        "day, so we cannot make more changes online for now. Please try again {wait}, or "
        f"call the clinic on {settings.phone}.",
    )
    return True


def _check_upcoming(email: str, phone: str, now: datetime, settings: ClinicSettings) -> None:
    ceiling = settings.future_bookings_per_patient
    starts = upcoming_online(email, phone, now)
    if len(starts) >= ceiling:
        # The limit lifts when the soonest of them has happened.
        raise RateLimited(
            f"You already have {len(starts)} upcoming appointment{'s' if len(starts) != 1 else ''}"
            " booked online, the most we take online at once. To book more, please call the "
            f"clinic on "
            f"{settings.phone}.",
            int((min(starts) - now).total_seconds()) if starts else int(HOUR.total_seconds()),
        )


def upcoming_online(email: str, phone: str, now: datetime) -> list[datetime]:
    """Start times of the still-booked future online bookings for this email or phone."""
    narrowed, matches = same_contact(email, phone)
    if narrowed is None:
        return []
    rows = db.session.execute(
        db.select(Booking.start_at, Patient.email, Patient.phone)
        .join(Patient, Booking.patient_id == Patient.id)
        .where(
            Booking.start_at > now,
            Booking.status == BOOKED,
            Booking.source == "online",
            narrowed,
        )
    )
    return [start for start, their_email, their_phone in rows if matches(their_email, their_phone)]


def join_waitlist(client: str, email: str, now: datetime) -> None:
    """Refuse (RateLimited) joining the waitlist online past a limit; count it otherwise.

    The same ceilings as booking: joins from one address in an hour, and the emails one
    inbox is sent in a day (joining sends one).
    """
    if not limits.enabled():
        return
    settings = get_settings()
    limits.spend(
        limits.key("waitlist-address", client),
        settings.bookings_per_address_hour,
        HOUR,
        now,
        "Many people have just joined the waitlist from this internet connection, so we "
        "cannot add another online for now. Please try again {wait}, or call the clinic on "
        f"{settings.phone}.",
    )
    patient_email(email, now, settings)
