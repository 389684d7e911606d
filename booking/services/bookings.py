"""Create, find, cancel and reschedule bookings, each in one guarded transaction."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.domain import clock, screening
from booking.domain.statuses import (
    ARRIVED,
    BOOKED,
    CANCELLED,
    ENTERED_IN_ERROR,
    FULFILLED,
    NOSHOW,
    STATUSES,
)
from booking.domain.waitlist import BOOKED as ENTRY_BOOKED
from booking.domain.waitlist import OFFERED, WAITING, WITHDRAWN
from booking.errors import ClinicError, Conflict, SlotTaken
from booking.extensions import db
from booking.models import Booking, Patient, Service, User, WaitlistEntry, WaitlistOffer
from booking.models.base import utcnow
from booking.models.booking import format_reference  # noqa: F401  (re-exported for the views)
from booking.services import booking_limits, clearances, courses, emails, good_faith, webhooks
from booking.services.availability import slots_at
from booking.services.clearances import ClearanceNote
from booking.services.clinic import change_deadline, current_disclaimer, get_settings
from booking.services.commands import command
from booking.services.patients import email_is, same_phone
from booking.services.tokens import hash_token, new_manage_token

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class BookingError(ClinicError):
    """A booking request that cannot be carried out, with a message for the person."""

    code = "booking_error"


class SlotNotOffered(BookingError):
    code = "slot_not_offered"


class TooLate(Conflict):
    code = "too_late"


class NotChangeable(Conflict):
    code = "not_changeable"


class RedFlag(BookingError):
    code = "red_flag"

    def __init__(self, result: screening.Result):
        super().__init__(screening.ADVICE, {key: "Reported" for key in result.red_flags})
        self.result = result


@dataclass(frozen=True)
class BookingRequest:
    service: Service
    start: datetime
    practitioner_id: int | None
    name: str
    email: str
    phone: str
    answers: Mapping[str, bool]
    source: str = "online"
    patient_id: int | None = None
    # The address an anonymous patient booked from: the online limits apply to it.
    # None for staff, who are never limited.
    client_address: str | None = None
    # Where the clinic gives Good Faith Estimates: whether the patient uses health
    # insurance (None: not asked), and a self-pay patient's date of birth.
    uses_insurance: bool | None = None
    date_of_birth: date | None = None
    # Reception only: a doctor has seen the patient about the red flags they report, so
    # they may be booked (recorded with the booking, audited).
    clearance: ClearanceNote | None = None


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def offered_but_taken(
    service: Service,
    start: datetime,
    practitioner_id: int | None,
    now: datetime,
    enforce_notice: bool,
) -> bool:
    """Whether a time that is not free would be, but for the bookings holding it."""
    return bool(
        slots_at(
            service,
            start,
            practitioner_id=practitioner_id,
            now=now,
            enforce_notice=enforce_notice,
            ignore_bookings=True,
        )
    )


def _unavailable(
    service: Service,
    start: datetime,
    practitioner_id: int | None,
    now: datetime,
    enforce_notice: bool,
) -> BookingError:
    """Tell a time that was never offered from one that has just been taken."""
    if offered_but_taken(service, start, practitioner_id, now, enforce_notice):
        if held := _held_for_waitlist(service, start, practitioner_id):
            return SlotTaken(
                "That time is held for a patient on the waitlist until "
                f"{held}, while they answer. Please choose another time."
            )
        return SlotTaken("Sorry, that time has just been taken. Please choose another time.")
    return SlotNotOffered(
        "That time is not available to book. Please choose one of the times offered.",
        {"start": "Choose one of the times offered."},
    )


def _held_for_waitlist(service: Service, start: datetime, practitioner_id: int | None) -> str:
    """When the open waitlist offer holding this time lapses, in clinic time; '' if none."""
    end = start + timedelta(minutes=service.duration_minutes + service.buffer_minutes)
    query = db.select(WaitlistOffer.expires_at).where(
        WaitlistOffer.status == OFFERED,
        WaitlistOffer.start_at < end,
        WaitlistOffer.blocked_until > start,
    )
    if practitioner_id is not None:
        query = query.where(WaitlistOffer.practitioner_id == practitioner_id)
    until = db.session.execute(query.order_by(WaitlistOffer.expires_at).limit(1)).scalar()
    if until is None:
        return ""
    return clock.twelve_hour(until.astimezone(ZoneInfo(get_settings().timezone)))


def find_or_add_patient(name: str, email: str, phone: str, *, online: bool) -> Patient:
    """The patient with this name and email, or a new one.

    Without an email nothing identifies a person safely, so a new record is made;
    reception picks an existing patient by searching instead. Reception may update the
    phone number; an anonymous booking never changes a stored patient's details, so one
    with another phone number makes a new record for staff to look at.
    """
    # Names are compared here, in Python, so they match in any database locale.
    email = email.strip().lower()
    on_file = (
        list(
            db.session.execute(
                db.select(Patient)
                .where(email_is(email), Patient.erased_at.is_(None))
                .order_by(Patient.id)
                .with_for_update()
            ).scalars()
        )
        if email
        else []
    )
    wanted = name.strip().casefold()
    patient = next((p for p in on_file if p.name.strip().casefold() == wanted), None)
    if patient is not None and online and not same_phone(patient.phone, phone):
        patient = None
    if patient is None:
        # An online booking for an email on file, under another name or phone, is kept
        # apart and marked for reception: it never changes the record on file.
        patient = Patient(
            name=name, email=email, phone=phone, possible_duplicate=online and bool(on_file)
        )
        db.session.add(patient)
    elif not online:
        patient.phone = phone
    return patient


def _new_booking(
    request: BookingRequest, slot, token: str, salt: str, *, now: datetime, actor: User | None
) -> Booking:
    """The row for a free slot, at today's price and disclaimer, for this patient."""
    # The record is locked until the booking commits, so an erasure running at the same
    # moment either sees this booking or is seen by it.
    patient = (
        db.session.get(Patient, request.patient_id, with_for_update=True, populate_existing=True)
        if request.patient_id
        else find_or_add_patient(request.name, request.email, request.phone, online=actor is None)
    )
    if patient is None or patient.erased_at is not None:
        # An erased record holds no one to book for: reception enters the details anew.
        raise BookingError("That patient record no longer exists.", {"patient": "Unknown"})
    return Booking(
        reference=new_reference(),
        practitioner_id=slot.practitioner_id,
        service_id=request.service.id,
        patient=patient,
        start_at=slot.start,
        end_at=slot.end,
        blocked_until=slot.end + timedelta(minutes=request.service.buffer_minutes),
        status=BOOKED,
        price_cents=request.service.price_cents,
        currency=get_settings().currency,
        disclaimer_version=current_disclaimer().version,
        disclaimer_accepted_at=now,
        disclaimer_acknowledged_by="reception" if actor else "patient",
        created_by_id=actor.id if actor else None,
        screening=screening.stored(request.answers),
        source=request.source,
        client_address=request.client_address,
        manage_token_hash=hash_token(token),
        manage_token_salt=salt,
    )


def _close_waiting(booking: Booking, now: datetime) -> None:
    """A patient booked for a service they were waiting for: they wait no longer (a time
    held for them is let go, which offers it down the line once this commits)."""
    waiting = list(
        db.session.execute(
            db.select(WaitlistEntry).where(
                WaitlistEntry.patient_id == booking.patient_id,
                WaitlistEntry.service_id == booking.service_id,
                WaitlistEntry.status == WAITING,
            )
        ).scalars()
    )
    for entry in waiting:
        for offer in db.session.execute(
            db.select(WaitlistOffer).where(
                WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OFFERED
            )
        ).scalars():
            offer.status, offer.closed_at = WITHDRAWN, now
        entry.status, entry.closed_at = ENTRY_BOOKED, now
        entry.booking_id = booking.id
        entry.close_reason = "Booked directly"


def create_booking(
    request: BookingRequest,
    *,
    now: datetime | None = None,
    enforce_notice: bool = True,
    actor: User | None = None,
) -> tuple[Booking, str]:
    """Book the slot, or raise. Returns the booking and its secret manage token.

    Nothing is stored for a red flag, a time not offered or a taken slot. With an
    actor (reception), the disclaimer counts as read to the patient, the booking may
    fall inside the minimum notice, and the change is audited; reception may book a
    patient with a red flag once a doctor has cleared them (`request.clearance`),
    never online.
    """
    result = screening.screen(request.answers)
    cleared = actor is not None and request.clearance is not None
    if not result.clear and not cleared:
        raise RedFlag(result)
    if cleared and not result.clear:
        # Checked before anything is stored, so a mistake in it is told like any other.
        clearances.check(request.clearance)
    now = now or utcnow()
    token, salt = new_manage_token()
    with command("booking.create", actor=actor, tracks=None, by_patient=actor is None) as change:
        if request.client_address and actor is None:
            booking_limits.new_online_booking(
                request.client_address, request.email, request.phone, now
            )
        free = slots_at(
            request.service,
            request.start,
            practitioner_id=request.practitioner_id,
            now=now,
            enforce_notice=enforce_notice,
        )
        if not free:
            raise _unavailable(
                request.service, request.start, request.practitioner_id, now, enforce_notice
            )
        booking = _new_booking(request, free[0], token, salt, now=now, actor=actor)
        db.session.add(booking)
        courses.attach(booking, request.service, now)
        booking.uses_insurance = request.uses_insurance
        patient = booking.patient
        # Like the other details, an online booking never changes one on file.
        if request.date_of_birth is not None and (actor or patient.date_of_birth is None):
            patient.date_of_birth = request.date_of_birth
        db.session.flush()
        change.subject = booking
        change.track(booking)
        if cleared and not result.clear:
            clearances.add(
                booking.patient, booking, request.clearance, result.red_flags, actor=actor
            )
        good_faith.after_booking(booking, now)
        _close_waiting(booking, now)
        change.summary = f"{request.source} booking {booking.reference}"
        change.send(emails.booking_created, booking, now=now, by_patient=actor is None)
        change.send(webhooks.booking_created, booking, now=now)
    return booking, token


def find_by_token(token: str) -> Booking | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        db.select(Booking).where(Booking.manage_token_hash == hash_token(token))
    ).scalar_one_or_none()


def check_not_erased(booking: Booking) -> None:
    """An erased patient's bookings stay as they are: no new time, reason or note."""
    if booking.patient.erased_at is not None:
        raise NotChangeable(
            "This patient's details were erased: their bookings stay on record as they are."
        )


def check_patient_can_change(booking: Booking, now: datetime) -> None:
    settings = get_settings()
    if booking.status != BOOKED or booking.start_at <= now:
        raise NotChangeable(
            "This booking can no longer be changed online. "
            f"Please call the clinic on {settings.phone}."
        )
    if now >= change_deadline(booking):
        raise TooLate(
            f"Bookings can only be cancelled or moved online up to "
            f"{settings.cancellation_notice_hours} hours before the appointment. "
            f"Please call the clinic on {settings.phone}."
        )


def cancel_booking(
    booking: Booking,
    *,
    reason: str = "",
    now: datetime | None = None,
    actor: User | None = None,
    client: str | None = None,
) -> Booking:
    """Cancel; patients only outside the cancellation window, staff at any time.

    With a `client` (an anonymous patient online), the email it sends is counted
    against the day's limit for that inbox.
    """
    now = now or utcnow()
    with command(
        "booking.cancel",
        booking,
        actor=actor,
        summary=reason[:300],
        lock=True,
        by_patient=actor is None,
    ) as change:
        check_not_erased(booking)
        tell_patient = True
        if actor is None:
            check_patient_can_change(booking, now)
            if client:
                # A patient freeing a time is never refused; past the inbox's limit
                # for the day, only the email is left out.
                tell_patient = booking_limits.patient_email(
                    booking.patient.email, now, refuse=False
                )
        elif booking.status == CANCELLED:
            raise NotChangeable("This booking is already cancelled.")
        elif booking.status not in (BOOKED, ARRIVED):
            raise NotChangeable("A visit that is done or missed cannot be cancelled.")
        booking.status = CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = reason[:300]
        booking.sequence += 1
        change.send(
            emails.booking_cancelled,
            booking,
            now=now,
            by_patient=actor is None,
            tell_patient=tell_patient,
        )
        change.send(webhooks.booking_cancelled, booking, now=now, by_patient=actor is None)
    return booking


def reschedule_booking(
    booking: Booking,
    start: datetime,
    *,
    practitioner_id: int | None = None,
    now: datetime | None = None,
    actor: User | None = None,
    client: str | None = None,
) -> Booking:
    """Move a booking to another free time, keeping the price it was booked at.

    Without a practitioner, the current one is kept when free, else any free one.
    Staff (an actor) may move inside the notice windows; the move is audited. With a
    `client`, the email it sends counts against the day's limit for that inbox.
    """
    now = now or utcnow()
    by_patient = actor is None
    with command("booking.move", booking, actor=actor, lock=True, by_patient=by_patient) as change:
        check_not_erased(booking)
        if by_patient:
            check_patient_can_change(booking, now)
            if client:
                booking_limits.patient_email(booking.patient.email, now)
        elif booking.status != BOOKED:
            raise NotChangeable("Only a booking that is still booked can be moved.")
        free = slots_at(
            booking.service,
            start,
            practitioner_id=practitioner_id,
            now=now,
            exclude_booking_id=booking.id,
            enforce_notice=by_patient,
        )
        if not free:
            raise _unavailable(booking.service, start, practitioner_id, now, by_patient)
        slot = next((s for s in free if s.practitioner_id == booking.practitioner_id), free[0])
        if (slot.start, slot.practitioner_id) == (booking.start_at, booking.practitioner_id):
            raise BookingError(
                "That is the booking's current time. Choose a different time.",
                {"start": "Choose a different time."},
            )
        previous_start, previous_end = booking.start_at, booking.end_at
        previous_practitioner_id = booking.practitioner_id
        booking.practitioner_id = slot.practitioner_id
        booking.start_at = slot.start
        booking.end_at = slot.end
        booking.blocked_until = slot.end + timedelta(minutes=booking.service.buffer_minutes)
        booking.sequence += 1
        change.send(emails.booking_moved, booking, previous_start=previous_start, now=now)
        change.send(
            webhooks.booking_moved,
            booking,
            previous_start=previous_start,
            previous_end=previous_end,
            previous_practitioner_id=previous_practitioner_id,
            now=now,
        )
    return booking


# Where a booking can go from each status, by staff. Cancelling has its own path.
TRANSITIONS = {
    BOOKED: (ARRIVED, FULFILLED, NOSHOW),
    ARRIVED: (BOOKED, FULFILLED, NOSHOW),
    FULFILLED: (ARRIVED,),
    NOSHOW: (BOOKED, ARRIVED),
    CANCELLED: (),
    ENTERED_IN_ERROR: (),  # voided in bulk (services/void.py): nothing more happens to it
}


# The statuses staff can set directly (cancelling has its own path, with a reason).
MARKABLE = tuple(status for status in STATUSES if status not in (CANCELLED, ENTERED_IN_ERROR))


# How early a patient can be marked as arrived; done and no-show wait for the start.
EARLY_ARRIVAL = timedelta(hours=1)


def status_too_early(booking: Booking, status: str, now: datetime) -> str | None:
    """Why `status` cannot be set yet, or None: nobody is done or missing before the start."""
    if status == ARRIVED and now < booking.start_at - EARLY_ARRIVAL:
        return "A patient can be marked arrived from an hour before their appointment."
    if status in (FULFILLED, NOSHOW) and now < booking.start_at:
        word = "done" if status == FULFILLED else "a no-show"
        return f"A booking can only be marked {word} once its start time has passed."
    return None


def next_statuses(booking: Booking, now: datetime) -> list[str]:
    """The statuses staff can move this booking to now (nobody is done before the start)."""
    return [s for s in TRANSITIONS[booking.status] if status_too_early(booking, s, now) is None]


def set_status(
    booking: Booking, status: str, *, actor: User, now: datetime | None = None
) -> Booking:
    """Mark arrived, fulfilled or no-show (or undo a mistake), under the overlap guard."""
    now = now or utcnow()
    with command(
        "booking.status",
        booking,
        actor=actor,
        taken="Another booking now holds that time, so this one cannot be restored.",
    ) as change:
        if status not in TRANSITIONS[booking.status]:
            raise NotChangeable(f"A booking that is {booking.status} cannot be marked {status}.")
        if status == BOOKED:
            check_not_erased(booking)  # marking a visit done or missed is still allowed
        if reason := status_too_early(booking, status, now):
            raise NotChangeable(reason)
        change.summary = f"{booking.status} -> {status}"
        change.send(webhooks.status_changed, booking, previous=booking.status, now=now)
        booking.status = status
    return booking


def set_note(booking: Booking, note: str, *, actor: User) -> Booking:
    with command("booking.note", booking, actor=actor):
        check_not_erased(booking)
        booking.note = note[:2000]
    return booking
