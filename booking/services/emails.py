"""What patients and the clinic are told about a booking, as emails queued in the outbox.

Each email is queued when the booking changes, in the same transaction as the change,
so a booking and its emails commit or roll back together. The row keeps what the email
is about (kind, booking, the facts that cannot be read from the booking later); `render`
builds the message itself, manage link included, only when booking.services.outbox
sends it, so a copy of the database holds no working link. Nothing here talks to a
mail server.
"""

from __future__ import annotations

import email.policy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from sqlalchemy.exc import IntegrityError

from booking.domain.text import has_control, one_line
from booking.extensions import db
from booking.models import Booking, ClinicSettings, OutboxMessage, Patient
from booking.models.booking import BOOKED, VOIDED_STATUSES, format_reference
from booking.models.outbox import (
    CANCELLATION,
    CLINIC_BOOKING,
    CLINIC_CANCELLATION,
    CLINIC_CHECK_IN,
    CONFIRMATION,
    COURSE_CONFIRMATION,
    REMINDER,
    RESCHEDULE,
    WAITLIST_JOINED,
    WAITLIST_KINDS,
    WAITLIST_LAPSED,
    WAITLIST_OFFER,
    WAITLIST_REMINDER,
)
from booking.models.waitlist import WaitlistEntry, WaitlistOffer
from booking.services import calendar, courses, good_faith
from booking.services.clinic import change_deadline, current_disclaimer, get_settings
from booking.services.commands import command
from booking.services.links import absolute_url
from booking.services.tokens import WAITLIST_PURPOSE, manage_token, recreate

log = logging.getLogger(__name__)

# The invitation each patient email carries; clinic notices get a file to import.
PATIENT_METHODS = {
    CONFIRMATION: calendar.REQUEST,
    RESCHEDULE: calendar.REQUEST,
    REMINDER: calendar.REQUEST,
    CANCELLATION: calendar.CANCEL,
}


def mail_from(settings: ClinicSettings) -> str:
    """The sender address: MAIL_FROM, else the clinic's own email."""
    return current_app.config.get("MAIL_FROM") or settings.email or "booking@localhost"


@dataclass(frozen=True)
class Rendered:
    """A message ready for the server: who it goes to and the whole text (RFC 5322)."""

    recipient: str
    message: str


def _compose(
    row: OutboxMessage,
    context: dict,
    to: Address,
    settings: ClinicSettings,
    ics: bytes,
    method: str,
) -> EmailMessage:
    kind = row.kind
    message = _message(row, settings, to, _subject(kind, context["booking"]), context)
    if method in (calendar.REQUEST, calendar.CANCEL):
        # iMIP (RFC 6047): the invitation is also a body part of its own, which calendar
        # clients answer with their accept, update or remove buttons.
        message.add_alternative(
            ics,
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "utf-8"},
        )
    # As bytes: the file keeps its CRLF line ends (RFC 5545, 3.1) whatever the names in it.
    message.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename=f"acupuncture-{context['booking'].reference}.ics",
        params={"method": method, "charset": "utf-8"},
    )
    return message


def _message(
    row: OutboxMessage, settings: ClinicSettings, to: Address, subject: str, context: dict
) -> EmailMessage:
    """The headers every email has, and its text and HTML from the kind's templates."""
    message = EmailMessage()
    message["From"] = Address(display_name=one_line(settings.name), addr_spec=mail_from(settings))
    message["To"] = to
    if settings.email:
        message["Reply-To"] = Address(
            display_name=one_line(settings.name), addr_spec=settings.email
        )
    message["Subject"] = subject
    message["Date"] = format_datetime(row.created_at)
    # Fixed when the email was queued, so every attempt is the same email and mail
    # clients can recognise a duplicate should one ever slip through.
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template(f"email/{row.kind}.txt", **context))
    message.add_alternative(render_template(f"email/{row.kind}.html", **context), subtype="html")
    return message


def _subject(kind: str, booking: Booking) -> str:
    # Names are checked as they are typed; older rows may still hold a line break.
    subject = render_template(
        "email/subject.txt",
        kind=kind,
        booking=booking,
        reference=format_reference(booking.reference),
    )
    return one_line(subject).strip()


def _queue(
    kind: str,
    booking: Booking,
    *,
    recipient: str,
    key: str,
    now: datetime,
    facts: dict | None = None,
) -> OutboxMessage | None:
    """Add the email to the outbox unless the same email is queued already."""
    exists = db.session.execute(
        db.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
    ).first()
    if exists:
        return None
    sender = mail_from(get_settings())
    row = OutboxMessage(
        kind=kind,
        booking_id=booking.id,
        booking_sequence=booking.sequence,
        recipient=recipient,
        subject=_subject(kind, booking)[:300],
        message_id=make_msgid(idstring=kind, domain=sender.rpartition("@")[2]),
        facts=facts or {},
        dedupe_key=key,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(row)
    return row


def can_email(address: str) -> bool:
    """Whether an email to this address can be queued at all."""
    return bool(address) and not has_control(address) and address.isascii()


def _can_email(address: str) -> bool:
    if not address:
        return False
    if has_control(address):
        # Never reaches a header: refused as typed, so only an old row can hold one.
        log.warning("Email not queued: the address holds a control character.")
        return False
    if not address.isascii():
        # Needs SMTPUTF8, which not every server offers; the patient still has the page.
        log.warning("Email not queued: the address is not ASCII.")
        return False
    return True


def _patient_email(
    kind: str, booking: Booking, *, key: str, now: datetime, **facts
) -> OutboxMessage | None:
    patient = booking.patient
    if not _can_email(patient.email):
        return None
    return _queue(kind, booking, recipient=patient.email, key=key, now=now, facts=facts)


def _clinic_email(kind: str, booking: Booking, *, key: str, now: datetime) -> None:
    settings = get_settings()
    if not _can_email(settings.email):
        return
    _queue(kind, booking, recipient=settings.email, key=key, now=now)


def render(row: OutboxMessage, now: datetime) -> Rendered | None:
    """The whole message for a queued email, or None when there is no one to send it to.

    Read from the booking as it is now (a patient email whose booking changed since is
    superseded before it gets here) and from the row's facts; the manage link is
    derived again from the booking's salt, never read from storage.
    """
    if row.kind in WAITLIST_KINDS:
        message = _waitlist_message(row, now)
        if message is None:
            return None
        return Rendered(
            message["To"].addresses[0].addr_spec, message.as_string(policy=email.policy.SMTP)
        )
    booking = db.session.get(Booking, row.booking_id)
    facts = dict(row.facts or {})
    if facts.get("previous_start"):
        facts["previous_start"] = datetime.fromisoformat(facts["previous_start"])
    if row.kind == COURSE_CONFIRMATION:
        message = _course_message(row, booking, facts, now)
    elif row.kind in PATIENT_METHODS:
        message = _patient_message(row, booking, facts, now)
    else:
        message = _clinic_message(row, booking)
    if message is None:
        return None
    return Rendered(
        message["To"].addresses[0].addr_spec, message.as_string(policy=email.policy.SMTP)
    )


def _patient_message(
    row: OutboxMessage, booking: Booking, facts: dict, now: datetime
) -> EmailMessage | None:
    patient = booking.patient
    # The address on file now: a corrected one is used, an erased one sends nothing.
    if not _can_email(patient.email):
        return None
    settings = get_settings()
    token = manage_token(booking)
    manage_url = absolute_url("public.manage", token=token) if token else None
    context = {
        "booking": booking,
        "settings": settings,
        "reference": format_reference(booking.reference),
        "manage_url": manage_url,
        "book_url": absolute_url("public.service", slug=booking.service.slug),
        "estimate": booking.course_estimate(),
        "disclaimer": current_disclaimer(),
        "deadline": change_deadline(booking),
        "previous_start": None,
        "by_clinic": False,
        **facts,
    }
    context["can_change_online"] = booking.status == BOOKED and now < context["deadline"]
    # A reminder asks how the patient is: one tap on a number opens the questions before
    # the visit with it chosen (a link never stores anything: mail scanners follow them).
    asking = token and row.kind == REMINDER and booking.status == BOOKED
    context["check_in_url"] = absolute_url("public.check_in", token=token) if asking else None
    context["pain_urls"] = (
        [(n, absolute_url("public.check_in", token=token, pain=n)) for n in range(11)]
        if asking
        else []
    )
    # A self-pay patient's confirmation points to the Good Faith Estimate of the course.
    wanted = token and row.kind == CONFIRMATION and good_faith.applies()
    context["estimate_url"] = (
        absolute_url("public.estimate", token=token)
        if wanted and good_faith.current(booking.course)
        else None
    )
    method = PATIENT_METHODS[row.kind]
    ics = calendar.booking_calendar(
        booking, settings, manage_url=manage_url, method=method, organizer=mail_from(settings)
    )
    to = Address(display_name=one_line(patient.name), addr_spec=patient.email)
    return _compose(row, context, to, settings, ics, method)


def _course_message(
    row: OutboxMessage, first: Booking, facts: dict, now: datetime
) -> EmailMessage | None:
    """Every session booked in one go, as each stands now, with one calendar file."""
    patient = first.patient
    if not _can_email(patient.email):
        return None
    ids = facts.get("bookings") or [first.id]
    bookings = list(
        db.session.execute(
            db.select(Booking)
            .where(Booking.id.in_(ids), Booking.status.not_in(VOIDED_STATUSES))
            .order_by(Booking.start_at, Booking.id)
        ).scalars()
    )
    if not any(b.status == BOOKED for b in bookings):
        return None  # all cancelled since: each cancellation has said so
    settings = get_settings()
    sessions = []
    for booking in bookings:
        token = manage_token(booking)
        url = absolute_url("public.manage", token=token) if token else None
        sessions.append((booking, url))
    view = courses.view_for_booking(first, now)
    context = {
        "booking": first,
        "settings": settings,
        "sessions": [
            {
                "booking": booking,
                "reference": format_reference(booking.reference),
                "manage_url": url,
                "number": view.progress.number_of(booking.id) if view else None,
                "deadline": change_deadline(booking),
            }
            for booking, url in sessions
        ],
        "course": view,
        "manage_url": sessions[0][1],
        "disclaimer": current_disclaimer(),
    }
    ics = calendar.course_calendar(
        [(b, url) for b, url in sessions if b.status == BOOKED],
        settings,
        organizer=mail_from(settings),
    )
    to = Address(display_name=one_line(patient.name), addr_spec=patient.email)
    return _compose(row, context, to, settings, ics, calendar.PUBLISH)


def _clinic_message(row: OutboxMessage, booking: Booking) -> EmailMessage | None:
    settings = get_settings()
    if not _can_email(settings.email):
        return None
    context = {
        "booking": booking,
        "settings": settings,
        "reference": format_reference(booking.reference),
        "staff_url": absolute_url("staff.booking", booking_id=booking.id),
    }
    # A file to import, not an invitation: the clinic is the organiser, not a guest.
    ics = calendar.booking_calendar(booking, settings, manage_url=None, method=calendar.PUBLISH)
    to = Address(display_name=one_line(settings.name), addr_spec=settings.email)
    return _compose(row, context, to, settings, ics, calendar.PUBLISH)


# --- the waitlist's emails: about an entry, each with the entry's private link ---------

WAITLIST_SUBJECTS = {
    WAITLIST_JOINED: "You are on the waitlist: {service}",
    WAITLIST_OFFER: "A time for you: {when}, held until {until}",
    WAITLIST_REMINDER: "Still held for you until {until}: {when}",
    WAITLIST_LAPSED: "The time we held for you has gone to the next person",
}


def _waitlist_subject(kind: str, entry: WaitlistEntry, offer: WaitlistOffer | None) -> str:
    values = {"service": entry.service.name}
    if offer is not None:
        values["when"] = _when(offer.start_at)
        values["until"] = _clock_of(offer.expires_at)
    return one_line(WAITLIST_SUBJECTS[kind].format(**values)).strip()


def _when(moment: datetime) -> str:
    return render_template("email/_when.txt", moment=moment).strip()


def _clock_of(moment: datetime) -> str:
    return render_template("email/_when.txt", moment=moment, clock_only=True).strip()


def _waitlist_email(
    kind: str,
    entry: WaitlistEntry,
    *,
    key: str,
    now: datetime,
    offer: WaitlistOffer | None = None,
    **facts,
) -> OutboxMessage | None:
    patient = entry.patient
    if not _can_email(patient.email):
        return None
    exists = db.session.execute(
        db.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
    ).first()
    if exists:
        return None
    sender = mail_from(get_settings())
    if offer is not None:
        facts["offer"] = offer.id
    row = OutboxMessage(
        kind=kind,
        waitlist_entry_id=entry.id,
        recipient=patient.email,
        subject=_waitlist_subject(kind, entry, offer)[:300],
        message_id=make_msgid(idstring=kind, domain=sender.rpartition("@")[2]),
        facts=facts,
        dedupe_key=key,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(row)
    return row


def waitlist_joined(entry: WaitlistEntry, *, now: datetime) -> None:
    """The private link to the patient's place in line."""
    _waitlist_email(WAITLIST_JOINED, entry, key=f"{WAITLIST_JOINED}:{entry.id}", now=now)


def waitlist_offered(offer: WaitlistOffer, *, now: datetime) -> None:
    """A time held for the patient, with one tap to book it."""
    _waitlist_email(
        WAITLIST_OFFER, offer.entry, key=f"{WAITLIST_OFFER}:{offer.id}", now=now, offer=offer
    )


def waitlist_reminded(offer: WaitlistOffer, *, now: datetime) -> None:
    """The held time lapses soon."""
    _waitlist_email(
        WAITLIST_REMINDER,
        offer.entry,
        key=f"{WAITLIST_REMINDER}:{offer.id}",
        now=now,
        offer=offer,
    )


def waitlist_lapsed(offer: WaitlistOffer, *, now: datetime, removed: bool) -> None:
    """The held time went to the next person; whether the patient is still in line."""
    _waitlist_email(
        WAITLIST_LAPSED,
        offer.entry,
        key=f"{WAITLIST_LAPSED}:{offer.id}",
        now=now,
        offer=offer,
        removed=removed,
    )


def _waitlist_message(row: OutboxMessage, now: datetime) -> EmailMessage | None:
    """The email as things stand when it is sent: none for an entry already booked or
    left, nor for an offer no longer open (or a lapse the patient has since overtaken)."""
    from booking.services import waitlist  # the waitlist service sends through here

    entry = db.session.get(WaitlistEntry, row.waitlist_entry_id)
    if entry is None or entry.status in (waitlist.BOOKED, waitlist.LEFT):
        return None
    facts = dict(row.facts or {})
    offer = db.session.get(WaitlistOffer, facts["offer"]) if facts.get("offer") else None
    if row.kind == WAITLIST_JOINED and entry.status != waitlist.WAITING:
        return None
    if row.kind in (WAITLIST_OFFER, WAITLIST_REMINDER) and (
        offer is None or not offer.open or offer.expires_at <= now
    ):
        return None
    if (
        row.kind == WAITLIST_LAPSED
        and not facts.get("removed")
        and entry.status != waitlist.WAITING
    ):
        return None  # "you keep your place" would no longer be true
    patient = entry.patient
    if not _can_email(patient.email):
        return None
    settings = get_settings()
    token = recreate(entry.token_salt, entry.token_hash, WAITLIST_PURPOSE)
    page_url = absolute_url("public.waitlist_entry", token=token) if token else None
    context = {
        "entry": entry,
        "offer": offer,
        "settings": settings,
        "page_url": page_url,
        "position": waitlist.position(entry),
        "wish": waitlist.rules.describe(waitlist.wish_of(entry)),
        "book_url": absolute_url("public.service", slug=entry.service.slug),
        "disclaimer": current_disclaimer(),
        "removed": bool(facts.get("removed")),
    }
    to = Address(display_name=one_line(patient.name), addr_spec=patient.email)
    return _message(row, settings, to, _waitlist_subject(row.kind, entry, offer), context)


def booking_created(booking: Booking, *, now: datetime, by_patient: bool) -> None:
    """Confirmation to the patient; a notice to the clinic when the patient booked online."""
    _patient_email(
        CONFIRMATION, booking, key=f"{CONFIRMATION}:{booking.id}:{booking.sequence}", now=now
    )
    if by_patient:
        _clinic_email(CLINIC_BOOKING, booking, key=f"{CLINIC_BOOKING}:{booking.id}", now=now)


def course_booked(bookings: list[Booking], *, now: datetime, by_patient: bool) -> None:
    """One confirmation for every session booked in one go; the clinic hears of each.

    The email is filed under the first session, and lists them all with their links.
    """
    first = bookings[0]
    _patient_email(
        COURSE_CONFIRMATION,
        first,
        key=f"{COURSE_CONFIRMATION}:{first.id}",
        now=now,
        bookings=[b.id for b in bookings],
    )
    if by_patient:
        for booking in bookings:
            _clinic_email(CLINIC_BOOKING, booking, key=f"{CLINIC_BOOKING}:{booking.id}", now=now)


def booking_moved(booking: Booking, *, previous_start: datetime, now: datetime) -> None:
    """The new time, with an invitation that replaces the old one (same UID, next SEQUENCE)."""
    _patient_email(
        RESCHEDULE,
        booking,
        key=f"{RESCHEDULE}:{booking.id}:{booking.sequence}",
        now=now,
        previous_start=previous_start.isoformat(),
    )


def booking_cancelled(
    booking: Booking, *, now: datetime, by_patient: bool, tell_patient: bool = True
) -> None:
    """A cancellation that removes the event; a notice to the clinic when the patient cancelled.

    Without `tell_patient` (their inbox has had its emails for the day) only the clinic
    hears of it.
    """
    key = f"{booking.id}:{booking.sequence}"
    if tell_patient:
        _patient_email(
            CANCELLATION, booking, key=f"{CANCELLATION}:{key}", now=now, by_clinic=not by_patient
        )
    if by_patient:
        _clinic_email(CLINIC_CANCELLATION, booking, key=f"{CLINIC_CANCELLATION}:{key}", now=now)


def check_in_flagged(booking: Booking, *, now: datetime) -> None:
    """Tell reception a patient's answers before a visit report a new red-flag symptom.

    Once for each report (a yes again after a clearance is news again); the notice names
    no symptom (the staff page does).
    """
    key = f"{CLINIC_CHECK_IN}:{booking.id}:{now.isoformat()}"
    _clinic_email(CLINIC_CHECK_IN, booking, key=key, now=now)


def reminder_key(booking: Booking) -> str:
    return f"{REMINDER}:{booking.id}:{booking.start_at.isoformat()}"


def _told_recently(booking: Booking, window: timedelta) -> bool:
    """Whether the patient was sent this time only after the reminder was due.

    Someone who books or moves with less than the reminder window to go has the
    details fresh in their confirmation; a reminder minutes later would be noise.
    """
    return (
        db.session.execute(
            db.select(OutboxMessage.id).where(
                OutboxMessage.booking_id == booking.id,
                OutboxMessage.kind.in_((CONFIRMATION, RESCHEDULE)),
                OutboxMessage.booking_sequence == booking.sequence,
                OutboxMessage.created_at > booking.start_at - window,
            )
        ).first()
        is not None
    )


def queue_reminders(now: datetime) -> int:
    """Queue a reminder for each booked appointment starting within REMINDER_HOURS.

    Each booking time gets one reminder at most (the dedupe key holds its start), so
    running this twice, or two copies at once, queues nothing twice.
    """
    window = timedelta(hours=float(current_app.config["REMINDER_HOURS"]))
    queued = 0
    # A job's own change: no audit entry, the outbox rows are the record.
    with command(""):
        bookings = db.session.execute(
            db.select(Booking)
            .join(Patient)
            .where(
                Booking.status == BOOKED,
                Booking.start_at > now,
                Booking.start_at <= now + window,
                Patient.email != "",
            )
            .order_by(Booking.start_at)
        ).scalars()
        for booking in list(bookings):
            key = reminder_key(booking)
            exists = db.session.execute(
                db.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
            ).first()
            if exists or _told_recently(booking, window):
                continue
            try:
                # A concurrent run may insert the same key first; only this one is skipped.
                with db.session.begin_nested():
                    row = _patient_email(REMINDER, booking, key=key, now=now)
            except IntegrityError:
                continue
            queued += row is not None
    return queued
