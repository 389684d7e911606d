"""The waitlist: join, wait, be offered a freed time that is held for you, claim it.

Every change is one command. What frees time (a cancellation, a move, a voided booking,
time off removed, hours added, an offer declined or lapsed) is noticed by the session
listener below, whatever path made it; once that change has committed, `refill` offers
the freed times to the first entries in line, each offer a command of its own that
holds the time under the overlap guard (`models/waitlist.py`). The cron command
`flask waitlist` lapses unclaimed offers, reminds, closes old entries and refills, so
a change whose follow-up failed is caught within a minute.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import event, func, inspect, or_
from sqlalchemy.orm import ORMExecuteState, Session

from booking.domain import clock, screening
from booking.domain import waitlist as rules
from booking.domain.availability import MAX_RANGE_DAYS
from booking.domain.statuses import ACTIVE_STATUSES
from booking.domain.waitlist import (
    BOOKED,
    CLAIMED,
    DECLINED,
    EXPIRED,
    LAPSED,
    LEFT,
    OFFERED,
    REMOVED,
    WAITING,
    WITHDRAWN,
    Candidate,
    Waiting,
    Wish,
)
from booking.errors import Conflict, NotFound, SlotTaken, ValidationError
from booking.extensions import db
from booking.models import (
    Booking,
    ClinicSettings,
    Patient,
    Practitioner,
    Service,
    TimeOff,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from booking.models.base import utcnow
from booking.models.practitioner import practitioner_service
from booking.services import availability, booking_limits, commands, emails, webhooks
from booking.services.bookings import (
    BookingRequest,
    RedFlag,
    SlotNotOffered,
    create_booking,
    find_or_add_patient,
)
from booking.services.clinic import current_disclaimer, get_settings
from booking.services.commands import command
from booking.services.tokens import WAITLIST_PURPOSE as PURPOSE
from booking.services.tokens import hash_token, new_manage_token, recreate

log = logging.getLogger(__name__)

# A patient (by record) waits for this many services at once, at most.
MOST_ENTRIES = 3


class OfferExpired(Conflict):
    code = "offer_expired"


class AlreadyWaiting(Conflict):
    code = "already_waiting"


class NotWaiting(Conflict):
    code = "not_waiting"


@dataclass(frozen=True)
class JoinRequest:
    """Who is joining, for what, and when suits them (the wish's own service id is the
    service's)."""

    service: Service
    earliest: date
    latest: date
    name: str
    email: str
    phone: str
    answers: Mapping[str, bool]
    days: frozenset[int] = frozenset()
    parts: frozenset[str] = frozenset()
    between: tuple[time, time] | None = None
    practitioner_id: int | None = None
    # Reception: an existing patient chosen by search.
    patient_id: int | None = None
    # An anonymous patient's address: the online limits apply to it.
    client_address: str | None = None

    def wish(self) -> Wish:
        return Wish(
            service_id=self.service.id,
            earliest=self.earliest,
            latest=self.latest,
            days=self.days,
            parts=self.parts,
            between=self.between,
            practitioner_id=self.practitioner_id,
        )


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _clock(minutes: int) -> time:
    return time(23, 59, 59) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def wish_of(entry: WaitlistEntry) -> Wish:
    between = (
        (_clock(entry.between_from), _clock(entry.between_to))
        if entry.between_from is not None and entry.between_to is not None
        else None
    )
    return Wish(
        service_id=entry.service_id,
        earliest=entry.earliest,
        latest=entry.latest,
        days=frozenset(entry.days or ()),
        parts=frozenset(entry.parts or ()),
        between=between,
        practitioner_id=entry.practitioner_id,
    )


def today(settings: ClinicSettings | None = None, now: datetime | None = None) -> date:
    settings = settings or get_settings()
    return clock.local_date(now or utcnow(), ZoneInfo(settings.timezone))


def check_request(request: JoinRequest, now: datetime) -> None:
    """Refuse what could never be met, before anything is stored."""
    settings = get_settings()
    service = request.service
    if not service.active:
        raise ValidationError.field("service", "That consultation is not offered.")
    rules.check_wish(
        request.wish(),
        today(settings, now),
        weeks=settings.waitlist_weeks,
        horizon_days=settings.horizon_days,
    )
    if request.practitioner_id is not None:
        giving = availability.practitioners_for(service, request.practitioner_id)
        if not giving:
            raise ValidationError.field(
                "practitioner", "That practitioner does not give this consultation."
            )


def join(
    request: JoinRequest, *, now: datetime | None = None, actor: User | None = None
) -> tuple[WaitlistEntry, str]:
    """Put the patient in line for the service, or raise. Returns the entry and its
    private link's token.

    The screening and the disclaimer are those of a booking: a red flag stores nothing
    and is told to see a doctor. Online, the joining limits apply.
    """
    result = screening.screen(request.answers)
    if not result.clear:
        raise RedFlag(result)
    now = now or utcnow()
    check_request(request, now)
    settings = get_settings()
    token, salt = new_manage_token(PURPOSE)
    with command("waitlist.join", actor=actor, tracks=None, by_patient=actor is None) as change:
        if request.client_address and actor is None:
            booking_limits.join_waitlist(request.client_address, request.email, now)
        patient = (
            db.session.get(Patient, request.patient_id, with_for_update=True)
            if request.patient_id
            else find_or_add_patient(
                request.name, request.email, request.phone, online=actor is None
            )
        )
        if patient is None or patient.erased_at is not None:
            raise ValidationError.field("patient", "That patient record no longer exists.")
        db.session.flush()
        _check_room(patient, request.service)
        wish = request.wish()
        entry = WaitlistEntry(
            patient=patient,
            service_id=request.service.id,
            practitioner_id=request.practitioner_id,
            earliest=wish.earliest,
            latest=wish.latest,
            days=sorted(wish.days),
            parts=[part for part in rules.PARTS_OF_DAY if part in wish.parts],
            between_from=_minutes(wish.between[0]) if wish.between else None,
            between_to=_minutes(wish.between[1]) if wish.between else None,
            place=_next_place(),
            status=WAITING,
            closes_on=rules.closes_on(today(settings, now), wish.latest, settings.waitlist_weeks),
            screening=screening.stored(request.answers),
            disclaimer_version=current_disclaimer().version,
            disclaimer_accepted_at=now,
            disclaimer_acknowledged_by="reception" if actor else "patient",
            source="phone" if actor else "online",
            client_address=request.client_address if actor is None else None,
            token_hash=hash_token(token),
            token_salt=salt,
            created_by_id=actor.id if actor else None,
            created_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        change.subject = entry
        change.track(entry)
        change.summary = f"{entry.source} waitlist entry for {request.service.name}"
        change.send(emails.waitlist_joined, entry, now=now)
        # A time that suits them may be free already: it is offered once this commits.
        _freed(db.session)
    return entry, token


def _check_room(patient: Patient, service: Service) -> None:
    waiting = list(
        db.session.execute(
            db.select(WaitlistEntry.service_id).where(
                WaitlistEntry.patient_id == patient.id, WaitlistEntry.status == WAITING
            )
        ).scalars()
    )
    if service.id in waiting:
        raise AlreadyWaiting(
            "You are already on the waitlist for this consultation: the private link in "
            "the email we sent shows your place. If you cannot find it, please call us."
        )
    if len(waiting) >= MOST_ENTRIES:
        raise AlreadyWaiting(
            f"You are already waiting for {len(waiting)} consultations, the most we keep at "
            "once. Please call us to change what you are waiting for."
        )


# Places are spaced out, so an entry moved up fits between two others.
PLACE_GAP = 1024


def _next_place() -> int:
    highest = db.session.execute(db.select(func.max(WaitlistEntry.place))).scalar()
    return (highest or 0) + PLACE_GAP


def find_by_token(token: str) -> WaitlistEntry | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        db.select(WaitlistEntry).where(WaitlistEntry.token_hash == hash_token(token))
    ).scalar_one_or_none()


def link_token(entry: WaitlistEntry) -> str | None:
    """The entry's private link token again, for a later email."""
    return recreate(entry.token_salt, entry.token_hash, PURPOSE)


def open_offer(entry: WaitlistEntry) -> WaitlistOffer | None:
    return db.session.execute(
        db.select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OFFERED
        )
    ).scalar_one_or_none()


def last_offer(entry: WaitlistEntry) -> WaitlistOffer | None:
    return db.session.execute(
        db.select(WaitlistOffer)
        .where(WaitlistOffer.entry_id == entry.id)
        .order_by(WaitlistOffer.offered_at.desc(), WaitlistOffer.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def position(entry: WaitlistEntry) -> int | None:
    """The entry's place in line for its service (1 is next), or None once it has left."""
    if entry.status != WAITING:
        return None
    ahead = db.session.execute(
        db.select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.service_id == entry.service_id,
            WaitlistEntry.status == WAITING,
            or_(
                WaitlistEntry.place < entry.place,
                (WaitlistEntry.place == entry.place) & (WaitlistEntry.id < entry.id),
            ),
        )
    ).scalar()
    return ahead + 1


# --- leaving and reception's changes ---------------------------------------------------


def leave(
    entry: WaitlistEntry,
    *,
    now: datetime | None = None,
    actor: User | None = None,
    reason: str = "",
) -> WaitlistEntry:
    """Take the entry out of line: the patient leaving (LEFT) or reception (REMOVED).

    An offer it holds is withdrawn, so the time goes to the next in line.
    """
    now = now or utcnow()
    with command(
        "waitlist.leave" if actor is None else "waitlist.remove",
        entry,
        actor=actor,
        lock=True,
        summary=reason[:300],
        by_patient=actor is None,
    ):
        if entry.status != WAITING:
            raise NotWaiting(_not_waiting_message(entry))
        offer = open_offer(entry)
        if offer is not None:
            _close_offer(offer, WITHDRAWN, now)
        entry.status = LEFT if actor is None else REMOVED
        entry.closed_at = now
        entry.close_reason = reason[:300] or ("Left by the patient" if actor is None else "")
    return entry


def _not_waiting_message(entry: WaitlistEntry) -> str:
    return {
        BOOKED: "This place on the waitlist has already been booked.",
        LEFT: "You have already left the waitlist.",
        REMOVED: "This place on the waitlist has been closed by the clinic.",
        EXPIRED: "This place on the waitlist has expired.",
    }.get(entry.status, "This entry is not on the waitlist.")


def move_up(entry: WaitlistEntry, *, reason: str, actor: User, to_front: bool = False) -> int:
    """Reception moves an entry one place up its service's line, or to its front.

    The reason is required and kept in the audit entry. Returns the new position.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError.field("reason", "Say why this patient moves up the line.")
    with command("waitlist.move_up", entry, actor=actor, lock=True, summary=reason[:300]):
        if entry.status != WAITING:
            raise NotWaiting(_not_waiting_message(entry))
        ahead = list(
            db.session.execute(
                db.select(WaitlistEntry)
                .where(
                    WaitlistEntry.service_id == entry.service_id,
                    WaitlistEntry.status == WAITING,
                    WaitlistEntry.id != entry.id,
                    or_(
                        WaitlistEntry.place < entry.place,
                        (WaitlistEntry.place == entry.place) & (WaitlistEntry.id < entry.id),
                    ),
                )
                .order_by(WaitlistEntry.place.desc(), WaitlistEntry.id.desc())
                .with_for_update()
            ).scalars()
        )
        if not ahead:
            raise Conflict("This patient is already first in line.")
        if to_front:
            entry.place = ahead[-1].place - PLACE_GAP
        else:
            before = ahead[1].place if len(ahead) > 1 else ahead[0].place - 2 * PLACE_GAP
            place = (before + ahead[0].place) // 2
            if not before < place < ahead[0].place:
                _respace(entry, ahead[0])
            else:
                entry.place = place
        # The new first in line may take a time nobody else could.
        _freed(db.session)
    return position(entry) or 0


def _respace(entry: WaitlistEntry, previous: WaitlistEntry) -> None:
    """No room between two places: number the service's whole line again, spaced out,
    with the entry just ahead of `previous`."""
    line = [
        row
        for row in db.session.execute(
            db.select(WaitlistEntry)
            .where(WaitlistEntry.service_id == entry.service_id, WaitlistEntry.status == WAITING)
            .order_by(WaitlistEntry.place, WaitlistEntry.id)
            .with_for_update()
        ).scalars()
        if row is not entry
    ]
    line.insert(line.index(previous), entry)
    first = line[0].place
    for number, row in enumerate(line):
        row.place = first + number * PLACE_GAP


# --- offers ---------------------------------------------------------------------------


def _close_offer(offer: WaitlistOffer, status: str, now: datetime) -> None:
    offer.status = status
    offer.closed_at = now


def offer_time(
    entry: WaitlistEntry,
    practitioner_id: int,
    start: datetime,
    *,
    now: datetime | None = None,
    actor: User | None = None,
) -> WaitlistOffer:
    """Hold this free time for the entry and email the offer; SlotTaken if it is not free.

    Reception may offer any free time (actor); on its own the waitlist offers only
    times that suit the entry. Either way the hold lasts the owner's period, never past
    the minimum notice.
    """
    now = now or utcnow()
    settings = get_settings()
    with command("waitlist.offer", actor=actor, tracks=None) as change:
        # The entry, then its patient (the order a claim locks them in): two offers for
        # one patient at once take turns at the patient.
        db.session.refresh(entry, with_for_update=True)
        db.session.get(Patient, entry.patient_id, with_for_update=True, populate_existing=True)
        if entry.status != WAITING:
            raise NotWaiting(_not_waiting_message(entry))
        holding = db.session.execute(
            db.select(WaitlistOffer.id).where(
                WaitlistOffer.patient_id == entry.patient_id, WaitlistOffer.status == OFFERED
            )
        ).first()
        if holding:
            raise Conflict("This patient already holds an offered time: one at a time.")
        service = entry.service
        free = availability.slots_at(service, start, practitioner_id=practitioner_id, now=now)
        if not free:
            raise SlotTaken("That time is no longer free to offer.")
        until = rules.hold_until(
            now,
            start,
            hold_minutes=settings.waitlist_hold_minutes,
            notice_minutes=settings.min_notice_minutes,
        )
        if until is None:
            raise Conflict(
                "That time is too soon to offer: the patient would have no time to answer."
            )
        slot = free[0]
        offer = WaitlistOffer(
            entry=entry,
            patient_id=entry.patient_id,
            service_id=service.id,
            practitioner_id=slot.practitioner_id,
            start_at=slot.start,
            end_at=slot.end,
            blocked_until=slot.end + timedelta(minutes=service.buffer_minutes),
            status=OFFERED,
            offered_at=now,
            expires_at=until,
            remind_at=rules.remind_at(now, until),
            offered_by_id=actor.id if actor else None,
        )
        db.session.add(offer)
        db.session.flush()
        change.subject = offer
        change.track(offer)
        change.summary = f"offered to waitlist entry {entry.id}"
        change.send(emails.waitlist_offered, offer, now=now)
        change.send(webhooks.waitlist_offered, offer, now=now)
    return offer


def claim(
    entry: WaitlistEntry, *, now: datetime | None = None, actor: User | None = None
) -> tuple[Booking, str]:
    """Book the time held for the entry: the usual booking, with its confirmation.

    OfferExpired when no offer is open (it lapsed, was declined or withdrawn), or its
    time has run out; SlotTaken when the time cannot be booked after all (the
    practitioner's hours changed under it).
    """
    now = now or utcnow()
    if entry.status != WAITING:
        raise OfferExpired(_not_waiting_message(entry))
    offer = open_offer(entry)
    if offer is None or offer.expires_at <= now:
        if offer is not None:
            # Its time ran out before the cron job saw it: lapse it now (this one only).
            _lapse(offer.id, now)
        raise OfferExpired(
            "Sorry, the time we held for you has gone to the next person on the waitlist. "
            "You are still on the list: we will email you when another time frees up."
        )
    patient = entry.patient
    try:
        booking, token = _claim(offer, entry, patient, now=now, actor=actor)
    except (SlotTaken, SlotNotOffered):
        # The practitioner's hours, time off or the notice changed under the hold: let
        # it go (to nobody, if it cannot be booked), keep the place.
        with command(
            "waitlist.withdraw", offer, lock=True, lock_first=(entry,), summary="no longer bookable"
        ):
            if offer.status == OFFERED:
                _close_offer(offer, WITHDRAWN, now)
        raise SlotTaken(
            "Sorry, that time can no longer be booked. You keep your place on the waitlist: "
            "we will email you when another time frees up."
        ) from None
    return booking, token


def _claim(
    offer: WaitlistOffer, entry: WaitlistEntry, patient: Patient, *, now: datetime, actor
) -> tuple[Booking, str]:
    with command(
        "waitlist.claim",
        offer,
        actor=actor,
        lock=True,
        lock_first=(entry,),
        by_patient=actor is None,
    ) as change:
        if offer.status != OFFERED or entry.status != WAITING:
            raise OfferExpired("This offer is no longer open.")
        _close_offer(offer, CLAIMED, now)
        db.session.flush()
        booking, token = create_booking(
            BookingRequest(
                service=offer.service,
                start=offer.start_at,
                practitioner_id=offer.practitioner_id,
                name=patient.name,
                email=patient.email,
                phone=patient.phone,
                answers=entry.screening,
                source="online" if actor is None else "phone",
                patient_id=patient.id,
            ),
            now=now,
            actor=actor,
        )
        offer.booking_id = booking.id
        entry.status = BOOKED
        entry.booking_id = booking.id
        entry.closed_at = now
        entry.close_reason = ""
        entry.lapses = 0
        change.send(webhooks.waitlist_claimed, offer, now=now)
    return booking, token


def decline(entry: WaitlistEntry, *, now: datetime | None = None) -> WaitlistOffer:
    """The patient does not want the time held for them: it goes to the next in line.
    They keep their place for other times."""
    now = now or utcnow()
    offer = open_offer(entry)
    if offer is None:
        raise OfferExpired("There is no time held for you just now.")
    with command("waitlist.decline", offer, lock=True, lock_first=(entry,), by_patient=True):
        if offer.status != OFFERED:
            raise OfferExpired("This offer is no longer open.")
        _close_offer(offer, DECLINED, now)
        entry.lapses = 0
    return offer


def withdraw(
    offer: WaitlistOffer, *, actor: User | None, now: datetime | None = None
) -> WaitlistOffer:
    """Reception takes back a held time (to book a patient at the desk, say): it stays
    free for the desk for `DESK_KEEPS` before it goes to the next in line."""
    now = now or utcnow()
    with command("waitlist.withdraw", offer, actor=actor, lock=True, lock_first=(offer.entry,)):
        if offer.status != OFFERED:
            raise OfferExpired("This offer is no longer open.")
        _close_offer(offer, WITHDRAWN, now)
        offer.closed_by_id = actor.id if actor else None
    return offer


# --- the clock: lapses, reminders, closing old entries --------------------------------


def lapse_due(now: datetime | None = None) -> int:
    """Lapse every open offer whose hold has run out; each patient is told, and keeps
    their place unless offers lapsed unanswered twice in a row."""
    now = now or utcnow()
    due = list(
        db.session.execute(
            db.select(WaitlistOffer.id).where(
                WaitlistOffer.status == OFFERED, WaitlistOffer.expires_at <= now
            )
        ).scalars()
    )
    return sum(_lapse(offer_id, now) for offer_id in due)


def _lapse(offer_id: int, now: datetime) -> bool:
    """Lapse one open offer whose hold has run out; whether it did."""
    offer = db.session.get(WaitlistOffer, offer_id)
    if offer is None:
        return False
    with command("waitlist.lapse", offer, lock=True, lock_first=(offer.entry,)) as change:
        if offer.status != OFFERED or offer.expires_at > now:
            return False
        _close_offer(offer, LAPSED, now)
        entry = offer.entry
        entry.lapses += 1
        removed = entry.status == WAITING and entry.lapses >= rules.LAPSES_BEFORE_REMOVAL
        if removed:
            entry.status = REMOVED
            entry.closed_at = now
            entry.close_reason = "Offers lapsed unanswered"
        change.send(emails.waitlist_lapsed, offer, now=now, removed=removed)
    return True


def remind_due(now: datetime | None = None) -> int:
    """Remind each patient whose held time is about to lapse, once."""
    now = now or utcnow()
    reminded = 0
    with command(""):
        offers = list(
            db.session.execute(
                db.select(WaitlistOffer).where(
                    WaitlistOffer.status == OFFERED,
                    WaitlistOffer.reminded_at.is_(None),
                    WaitlistOffer.remind_at <= now,
                    WaitlistOffer.expires_at > now,
                )
            ).scalars()
        )
        for offer in offers:
            offer.reminded_at = now
            emails.waitlist_reminded(offer, now=now)
            reminded += 1
    return reminded


def close_old(now: datetime | None = None) -> int:
    """Close the entries past their last day (one holding an open offer waits for it)."""
    now = now or utcnow()
    day = today(now=now)
    closed = 0
    with command(""):
        entries = list(
            db.session.execute(
                db.select(WaitlistEntry).where(
                    WaitlistEntry.status == WAITING, WaitlistEntry.closes_on < day
                )
            ).scalars()
        )
        for entry in entries:
            if open_offer(entry) is not None:
                continue
            entry.status = EXPIRED
            entry.closed_at = now
            entry.close_reason = "Past its last day"
            closed += 1
    return closed


@dataclass
class TickReport:
    lapsed: int = 0
    reminded: int = 0
    closed: int = 0
    offered: int = 0

    def summary(self) -> str:
        return (
            f"waitlist: {self.offered} offered, {self.reminded} reminded, "
            f"{self.lapsed} lapsed, {self.closed} closed"
        )


def tick(now: datetime | None = None) -> TickReport:
    """What the cron job does each minute; safe to run twice or at once."""
    now = now or utcnow()
    report = TickReport()
    with _refilling(db.session):
        report.lapsed = lapse_due(now)
        report.reminded = remind_due(now)
        report.closed = close_old(now)
    report.offered = refill(now)
    return report


# --- filling freed time ---------------------------------------------------------------


@dataclass
class _Load:
    waiting: list[Waiting] = field(default_factory=list)
    entries: dict[int, WaitlistEntry] = field(default_factory=dict)
    busy_patients: set[int] = field(default_factory=set)


def _load_waiting(day: date) -> _Load:
    load = _Load()
    entries = list(
        db.session.execute(
            db.select(WaitlistEntry)
            .where(WaitlistEntry.status == WAITING, WaitlistEntry.closes_on >= day)
            .order_by(WaitlistEntry.place, WaitlistEntry.id)
        ).scalars()
    )
    if not entries:
        return load
    refused: dict[int, set] = defaultdict(set)
    for entry_id, patient_id, status, practitioner_id, start in db.session.execute(
        db.select(
            WaitlistOffer.entry_id,
            WaitlistOffer.patient_id,
            WaitlistOffer.status,
            WaitlistOffer.practitioner_id,
            WaitlistOffer.start_at,
        ).where(
            WaitlistOffer.entry_id.in_([e.id for e in entries]) | (WaitlistOffer.status == OFFERED)
        )
    ):
        if status == OFFERED:
            load.busy_patients.add(patient_id)
        refused[entry_id].add((practitioner_id, start))
    for entry in entries:
        wish = wish_of(entry)
        if wish.latest < day or not emails.can_email(entry.patient.email):
            # Nobody would hear of the offer: reception offers them a time by hand.
            continue
        load.entries[entry.id] = entry
        load.waiting.append(
            Waiting(entry.id, entry.patient_id, entry.place, wish, frozenset(refused[entry.id]))
        )
    return load


def _candidates(load: _Load, now: datetime, settings: ClinicSettings) -> list[Candidate]:
    """Free times of each service someone waits for, over the days anyone wants."""
    by_service: dict[int, list[Waiting]] = defaultdict(list)
    for waiting in load.waiting:
        if waiting.patient_id not in load.busy_patients:
            by_service[waiting.wish.service_id].append(waiting)
    day = today(settings, now)
    last_bookable = day + timedelta(days=settings.horizon_days)
    kept = _kept_for_desk(now)
    found: list[Candidate] = []
    for service_id, wanting in by_service.items():
        service = db.session.get(Service, service_id)
        if service is None or not service.active:
            continue
        first = max(day, min(w.wish.earliest for w in wanting))
        last = min(last_bookable, max(w.wish.latest for w in wanting))
        chosen = {w.wish.practitioner_id for w in wanting}
        practitioner_id = next(iter(chosen)) if len(chosen) == 1 else None
        start = first
        while start <= last:
            end = min(start + timedelta(days=MAX_RANGE_DAYS - 1), last)
            for slot in availability.free_slots(
                service, start, end, practitioner_id=practitioner_id, now=now
            ):
                if (
                    rules.hold_until(
                        now,
                        slot.start,
                        hold_minutes=settings.waitlist_hold_minutes,
                        notice_minutes=settings.min_notice_minutes,
                    )
                    is not None
                ):
                    candidate = Candidate(
                        service.id,
                        slot.practitioner_id,
                        slot.start,
                        slot.end,
                        slot.end + timedelta(minutes=service.buffer_minutes),
                    )
                    if not any(candidate.overlaps(desk) for desk in kept):
                        found.append(candidate)
            start = end + timedelta(days=1)
    return found


def _kept_for_desk(now: datetime) -> list[Candidate]:
    """Times reception took back from an offer a moment ago: not offered again yet."""
    rows = db.session.execute(
        db.select(
            WaitlistOffer.service_id,
            WaitlistOffer.practitioner_id,
            WaitlistOffer.start_at,
            WaitlistOffer.end_at,
            WaitlistOffer.blocked_until,
        ).where(
            WaitlistOffer.status == WITHDRAWN,
            WaitlistOffer.closed_by_id.is_not(None),
            WaitlistOffer.closed_at > now - rules.DESK_KEEPS,
        )
    )
    return [Candidate(*row) for row in rows]


def refill(now: datetime | None = None) -> int:
    """Offer free times to the first entries in line that they suit. Returns the offers
    made. A time someone books meanwhile is skipped, and the line asked again."""
    now = now or utcnow()
    settings = get_settings()
    tz = ZoneInfo(settings.timezone)
    made = 0
    with _refilling(db.session):
        for _round in range(20):
            load = _load_waiting(today(settings, now))
            if not load.waiting:
                break
            chosen = rules.assign(
                load.waiting,
                _candidates(load, now, settings),
                tz,
                busy_patients=load.busy_patients,
            )
            offered = 0
            for waiting, candidate in chosen:
                try:
                    offer_time(
                        load.entries[waiting.entry_id],
                        candidate.practitioner_id,
                        candidate.start,
                        now=now,
                    )
                except (SlotTaken, Conflict):
                    continue
                offered += 1
            made += offered
            db.session.rollback()  # end the read; the next round sees the line afresh
            if offered == len(chosen):
                break
    return made


# --- noticing freed time --------------------------------------------------------------

_FREED = "waitlist_time_freed"
_REFILLING = "waitlist_refilling"


class _refilling:
    """While the waitlist itself changes offers, a freed time is not noticed again."""

    def __init__(self, session):
        self.session = session

    def __enter__(self):
        self.outer = not self.session.info.get(_REFILLING)
        self.session.info[_REFILLING] = True

    def __exit__(self, *_exc):
        if self.outer:
            self.session.info.pop(_REFILLING, None)
            self.session.info.pop(_FREED, None)


def _freed(session) -> None:
    session.info[_FREED] = True


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _stopped_holding(booking: Booking) -> bool:
    """Whether the booking's status went from one that holds time to one that does not."""
    history = inspect(booking).attrs.status.history
    return (
        bool(history.deleted)
        and any(old in ACTIVE_STATUSES for old in history.deleted)
        and (booking.status not in ACTIVE_STATUSES)
    )


def _frees_time(obj, deleted: bool) -> bool:
    if isinstance(obj, Booking):
        if deleted:
            return obj.status in ACTIVE_STATUSES
        return _stopped_holding(obj) or _changed(
            obj, "start_at", "blocked_until", "practitioner_id"
        )
    if isinstance(obj, WaitlistOffer):
        return deleted or _changed(obj, "status", "start_at", "practitioner_id")
    if isinstance(obj, TimeOff):
        return deleted or _changed(obj, "start_at", "end_at")
    if isinstance(obj, WorkingHours):
        return True
    if isinstance(obj, Practitioner | Service | ClinicSettings):
        return not deleted
    return False


def _before_flush(session: Session, _context, _instances) -> None:
    if session.info.get(_FREED):
        return
    if (
        any(_frees_time(obj, False) for obj in session.dirty)
        or any(_frees_time(obj, True) for obj in session.deleted)
        or any(isinstance(obj, WorkingHours) for obj in session.new)
    ):
        _freed(session)


_BULK_TABLES = frozenset(
    {
        Booking.__table__,
        TimeOff.__table__,
        WorkingHours.__table__,
        WaitlistOffer.__table__,
        practitioner_service,
    }
)


def _bulk(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if table is not None and table in _BULK_TABLES:
            _freed(state.session)


def _rolled_back(session: Session, *_args) -> None:
    if not session.info.get(_REFILLING):
        session.info.pop(_FREED, None)


def _after_change(session) -> None:
    """Once a change that freed time has committed, offer it down the line."""
    if session.info.get(_REFILLING) or not session.info.pop(_FREED, None):
        return
    refill()


LISTENERS = (
    ("before_flush", _before_flush),
    ("do_orm_execute", _bulk),
    ("after_soft_rollback", _rolled_back),
)


def init_app(app: Flask) -> None:
    for name, listener in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    if _after_change not in commands.AFTER_COMMIT:
        commands.AFTER_COMMIT.append(_after_change)


# --- reading, for pages ---------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    entry: WaitlistEntry
    wish: Wish
    position: int | None
    offer: WaitlistOffer | None
    last_offer: WaitlistOffer | None
    described: str


def view(entry: WaitlistEntry, now: datetime | None = None) -> EntryView:
    now = now or utcnow()
    offer = open_offer(entry)
    if offer is not None and offer.expires_at <= now:
        offer = None
    wish = wish_of(entry)
    return EntryView(entry, wish, position(entry), offer, last_offer(entry), rules.describe(wish))


def entries(
    *,
    service_id: int | None = None,
    practitioner_id: int | None = None,
    day: date | None = None,
    statuses: tuple[str, ...] = (WAITING,),
) -> list[WaitlistEntry]:
    """The line, for reception: waiting entries in order, narrowed as asked.

    A practitioner narrows to entries that want them or anyone; a day to the entries
    that could take a time that day.
    """
    query = (
        db.select(WaitlistEntry)
        .where(WaitlistEntry.status.in_(statuses))
        .order_by(WaitlistEntry.service_id, WaitlistEntry.place, WaitlistEntry.id)
    )
    if service_id is not None:
        query = query.where(WaitlistEntry.service_id == service_id)
    if practitioner_id is not None:
        query = query.where(
            or_(
                WaitlistEntry.practitioner_id.is_(None),
                WaitlistEntry.practitioner_id == practitioner_id,
            )
        )
    if day is not None:
        query = query.where(WaitlistEntry.earliest <= day, WaitlistEntry.latest >= day)
    found = list(db.session.execute(query).scalars())
    if day is not None:
        found = [e for e in found if not e.days or day.weekday() in e.days]
    return found


def entries_of(patient: Patient) -> list[WaitlistEntry]:
    """A patient's waitlist entries, the newest first."""
    return list(
        db.session.execute(
            db.select(WaitlistEntry)
            .where(WaitlistEntry.patient_id == patient.id)
            .order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id.desc())
            .limit(20)
        ).scalars()
    )


def waiting_on(day: date) -> int:
    """How many people wait for a time on this day (for the day calendar)."""
    return len({e.patient_id for e in entries(day=day)})


def open_offers(first: datetime, last: datetime) -> list[WaitlistOffer]:
    """Held times between two instants (for the calendar)."""
    return list(
        db.session.execute(
            db.select(WaitlistOffer)
            .where(
                WaitlistOffer.status == OFFERED,
                WaitlistOffer.start_at < last,
                WaitlistOffer.blocked_until > first,
            )
            .order_by(WaitlistOffer.start_at)
        ).scalars()
    )


def held_until(practitioner_id: int, start: datetime, end: datetime) -> WaitlistOffer | None:
    """The open offer holding this practitioner at this time, if one does."""
    return db.session.execute(
        db.select(WaitlistOffer).where(
            WaitlistOffer.practitioner_id == practitioner_id,
            WaitlistOffer.status == OFFERED,
            WaitlistOffer.start_at < end,
            WaitlistOffer.blocked_until > start,
        )
    ).scalar_one_or_none()


def get_entry(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound("No such waitlist entry.")
    return entry
