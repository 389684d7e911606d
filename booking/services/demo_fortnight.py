"""The demo clinic at work: a demo owner and receptionist to sign in as, and a fortnight of
sample bookings around today, for a newcomer's own machine (never in production mode).

Everything goes through the services (`create_booking`, `set_status`, `cancel_booking`,
`void_bookings`, `outcomes.record`, `courses.set_planned`, the accounts' own functions),
so the overlap guard, the audit log and the outbox hold as for any other change. A visit
in the past is booked as it would have been: with `now` two days before it.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func

from booking.config import SECRET_KEY as DEVELOPMENT_SECRET
from booking.domain import clock, screening
from booking.domain.availability import Slot
from booking.domain.statuses import (
    ARRIVED,
    BOOKED,
    CANCELLED,
    ENTERED_IN_ERROR,
    FULFILLED,
    NOSHOW,
    STATUSES,
)
from booking.errors import ClinicError
from booking.extensions import db
from booking.models import Booking, Patient, Service, User
from booking.models.base import utcnow
from booking.models.user import OWNER, RECEPTION
from booking.services import accounts, availability, courses, outcomes
from booking.services.bookings import BookingRequest, cancel_booking, create_booking, set_status
from booking.services.clinic import get_settings
from booking.services.links import absolute_url
from booking.services.void import void_bookings

# Reserved names (RFC 2606): nothing sent to them reaches anyone.
STAFF_DOMAIN = "harbourside-acupuncture.example"
ACCOUNTS = (
    (OWNER, f"owner.demo@{STAFF_DOMAIN}", "Demo Owner"),
    (RECEPTION, f"reception.demo@{STAFF_DOMAIN}", "Demo Reception"),
)
# Every safety question answered no.
NO_FLAGS = dict.fromkeys(screening.KEYS, False)


@dataclass(frozen=True)
class DemoPatient:
    name: str
    email: str
    phone: str  # 555-01xx: set aside for fiction
    uses_insurance: bool | None = None
    date_of_birth: date | None = None


PATIENTS = (
    DemoPatient(
        "Avery Sample", "avery.sample@example.com", "(207) 555-0101", False, date(1984, 5, 17)
    ),
    DemoPatient("Blake Example", "blake.example@example.org", "(207) 555-0102", True),
    DemoPatient("Casey Demo", "casey.demo@example.net", "(207) 555-0103"),
    DemoPatient("Dana Sample", "dana.sample@example.com", "(207) 555-0104", True),
    DemoPatient("Ellis Example", "ellis.example@example.org", "(207) 555-0105"),
    DemoPatient("Frankie Demo", "frankie.demo@example.net", "(207) 555-0106"),
    DemoPatient("Gray Sample", "gray.sample@example.com", "(207) 555-0107"),
    DemoPatient("Harper Example", "harper.example@example.org", "(207) 555-0108"),
    DemoPatient("Indy Demo", "indy.demo@example.net", "(207) 555-0109"),
    DemoPatient("Jules Sample", "jules.sample@example.com", "(207) 555-0110"),
    DemoPatient("Kit Example", "kit.example@example.org", "(207) 555-0111"),
    DemoPatient("Lee Demo", "lee.demo@example.net", "(207) 555-0112"),
    DemoPatient("Morgan Sample", "morgan.sample@example.com", "(207) 555-0113"),
    DemoPatient("Noel Example", "noel.example@example.org", "(207) 555-0114"),
)


@dataclass(frozen=True)
class Visit:
    """One sample booking: who, what, which day (from today) and hour, what became of it."""

    patient: int  # index in PATIENTS
    slug: str
    day: int
    hour: int  # the clinic wall-clock hour wanted; the nearest free time is taken
    status: str
    pain: int | None = None  # the patient's score before the visit (past visits only)
    by_phone: bool = False  # made by reception, not online
    plan: int | None = None  # the sessions the practitioner plans once this visit is done


V = Visit
# A patient's visits are in order: the first consultation opens the course the rest join.
VISITS = (
    # Courses with several sessions and falling, flat or rising pain.
    V(0, "neck-initial", -7, 10, FULFILLED, pain=7, plan=6),
    V(0, "neck-follow-up", -4, 10, FULFILLED, pain=6),
    V(0, "neck-follow-up", -1, 10, FULFILLED, pain=4),
    V(0, "neck-follow-up", 2, 10, BOOKED),
    V(0, "neck-follow-up", 6, 10, BOOKED),
    V(1, "back-initial", -6, 15, FULFILLED, pain=6, by_phone=True),
    V(1, "back-follow-up", -3, 15, FULFILLED, pain=5),
    V(1, "back-follow-up", 1, 15, BOOKED),
    V(1, "back-follow-up", 5, 15, BOOKED, by_phone=True),
    V(2, "neck-initial", -5, 9, FULFILLED, pain=8),
    V(2, "neck-follow-up", -2, 9, NOSHOW),
    V(2, "neck-follow-up", 3, 9, BOOKED, by_phone=True),
    V(3, "back-initial", -7, 14, FULFILLED, pain=5),
    V(3, "back-follow-up", -4, 14, FULFILLED, pain=5),
    V(3, "back-follow-up", -1, 14, ARRIVED, pain=6),
    V(3, "back-follow-up", 4, 14, BOOKED),
    V(12, "neck-initial", -6, 11, FULFILLED, pain=6),
    V(12, "neck-follow-up", 1, 11, BOOKED),
    V(13, "back-initial", -5, 16, FULFILLED, pain=7, by_phone=True),
    V(13, "back-follow-up", -2, 16, FULFILLED, pain=5),
    # One visit each: new patients, a cancellation either side of today, missed, voided.
    V(4, "neck-initial", -3, 11, CANCELLED),
    V(9, "back-initial", -2, 12, NOSHOW),
    V(5, "back-initial", 1, 11, BOOKED),
    V(6, "neck-initial", 2, 16, BOOKED, by_phone=True),
    V(8, "neck-initial", 3, 13, ENTERED_IN_ERROR, by_phone=True),
    V(7, "back-initial", 4, 10, CANCELLED),
    V(10, "neck-initial", 5, 9, BOOKED),
    V(11, "back-initial", 6, 17, BOOKED, by_phone=True),
)
# A past visit is booked this long before it, as a patient would have.
BOOKED_AHEAD = timedelta(days=2)
# ... and its answers sent this long before it starts.
ANSWERED_AHEAD = timedelta(hours=3)
# Days tried, in turn, when the one wanted has no free time (a Sunday, a full day).
NEARBY_DAYS = (0, 1, -1, 2, -2)


@dataclass(frozen=True)
class SignIn:
    role: str
    email: str
    password: str


@dataclass
class Fortnight:
    """What seed-demo did beyond the clinic itself, for the command to print."""

    sign_ins: list[SignIn] = field(default_factory=list)
    login_url: str = ""
    statuses: Counter = field(default_factory=Counter)
    first_day: date | None = None
    last_day: date | None = None
    accounts_note: str = ""  # why no sign-ins were made, when none were
    bookings_note: str = ""  # why no sample bookings were added, when none were

    def lines(self) -> list[str]:
        return [*self._booking_lines(), *self._sign_in_lines()]

    def _booking_lines(self) -> list[str]:
        if not self.statuses:
            return [f"Sample bookings: {self.bookings_note}"]
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in STATUSES if self.statuses[s])
        return [
            f"Sample bookings: {sum(self.statuses.values())} added, "
            f"{self.first_day:%a %d %b} to {self.last_day:%a %d %b} ({counts})."
        ]

    def _sign_in_lines(self) -> list[str]:
        if not self.sign_ins:
            return [f"Demo sign-ins: {self.accounts_note}"]
        lines = [f"Demo sign-ins at {self.login_url} (new passwords each time seed-demo runs):"]
        width = max(len(s.email) for s in self.sign_ins)
        lines += [f"  {s.role:<9} {s.email:<{width}}  {s.password}" for s in self.sign_ins]
        return lines


def seed_fortnight(now: datetime | None = None) -> Fortnight:
    """Outside production mode, in a clinic without staff of its own: (re)set the demo
    accounts' passwords, and into an empty diary add the sample fortnight."""
    result = Fortnight()
    if current_app.config.get("PRODUCTION"):
        result.accounts_note = result.bookings_note = "none in production mode."
        return result
    if not current_app.testing and current_app.config.get("SECRET_KEY") != DEVELOPMENT_SECRET:
        # A command run without production mode on a real clinic's server (its own
        # secret key set, as production requires): no demo owner, no made-up patients.
        result.accounts_note = result.bookings_note = (
            "none, this installation has a secret key of its own (a real clinic's)."
        )
        return result
    if others := _other_staff():
        result.accounts_note = result.bookings_note = (
            f"none, this clinic has {others} staff account(s) of its own."
        )
        return result
    users = _reset_accounts(result)
    result.login_url = absolute_url("auth.login")
    if db.session.execute(db.select(Booking.id).limit(1)).first() is not None:
        result.bookings_note = (
            "already in the diary." if _sample_there() else "none, the diary has bookings."
        )
        return result
    _book_fortnight(result, users[RECEPTION], users[OWNER], now or utcnow())
    if not result.statuses:
        result.bookings_note = "none, the practitioners have no free time around today."
    return result


# --- the accounts ----------------------------------------------------------------------


def _other_staff() -> int:
    emails = [email for _, email, _ in ACCOUNTS]
    return db.session.execute(
        db.select(func.count(User.id)).where(User.email.not_in(emails))
    ).scalar_one()


def _reset_accounts(result: Fortnight) -> dict[str, User]:
    """Each demo account with a new generated password, made if missing."""
    users = {}
    for role, email, name in ACCOUNTS:
        password = accounts.generate_password()
        user = accounts.find_user(email)
        if user is None:
            user = accounts.create_account(email, name, role, password, actor=None)
        else:
            accounts.set_password(user, password, actor=None)
        users[role] = user
        result.sign_ins.append(SignIn(role, email, password))
    return users


# --- the bookings ----------------------------------------------------------------------


def _sample_there() -> bool:
    emails = [p.email for p in PATIENTS]
    return (
        db.session.execute(db.select(Patient.id).where(Patient.email.in_(emails)).limit(1)).first()
        is not None
    )


@dataclass
class _Diary:
    """What the fortnight needs while it is being filled in."""

    reception: User
    owner: User
    now: datetime
    zone: ZoneInfo
    today: date
    last_visit: dict[int, Booking] = field(default_factory=dict)  # by patient index


def _book_fortnight(result: Fortnight, reception: User, owner: User, now: datetime) -> None:
    zone = ZoneInfo(get_settings().timezone)
    diary = _Diary(reception, owner, now, zone, now.astimezone(zone).date())
    services = {s.slug: s for s in db.session.execute(db.select(Service)).scalars()}
    for number, visit in enumerate(VISITS):
        service = services.get(visit.slug)
        if service is None or (
            visit.slug.endswith("follow-up") and visit.patient not in diary.last_visit
        ):
            continue  # the owner removed it, or the course never opened
        booking = _add(diary, visit, service, number)
        if booking is None:
            continue
        diary.last_visit[visit.patient] = booking
        day = booking.start_at.astimezone(zone).date()
        result.statuses[booking.status] += 1
        result.first_day = min(result.first_day or day, day)
        result.last_day = max(result.last_day or day, day)


def _add(diary: _Diary, visit: Visit, service: Service, number: int) -> Booking | None:
    """Book the visit, then play out what became of it. A rule the owner has set (the
    notice, the hours) may stand in the way: the visit is left out, or stays booked."""
    try:
        booking = _book(diary, visit, service, number)
    except ClinicError:
        return None
    if booking is not None:
        with suppress(ClinicError):
            _answer_and_close(diary, visit, booking)
    return booking


def _book(diary: _Diary, visit: Visit, service: Service, number: int) -> Booking | None:
    """Book the visit at the free time nearest the hour wanted, on its day or one nearby."""
    found = _free_time(diary, visit, service, number)
    if found is None:
        return None
    slot, booked_at = found
    person = PATIENTS[visit.patient]
    previous = diary.last_visit.get(visit.patient)
    request = BookingRequest(
        service=service,
        start=slot.start,
        practitioner_id=slot.practitioner_id,
        name=person.name,
        email=person.email,
        phone=person.phone,
        answers=NO_FLAGS,
        source="phone" if visit.by_phone else "online",
        patient_id=previous.patient_id if previous and visit.by_phone else None,
        uses_insurance=person.uses_insurance,
        date_of_birth=person.date_of_birth,
    )
    actor = diary.reception if visit.by_phone else None
    booking, _token = create_booking(
        request, now=booked_at, enforce_notice=not visit.by_phone, actor=actor
    )
    return booking


def _free_time(
    diary: _Diary, visit: Visit, service: Service, number: int
) -> tuple[Slot, datetime] | None:
    """The slot to book and when it was booked, or None if no day nearby has one."""
    past = visit.day < 0
    previous = diary.last_visit.get(visit.patient)
    for shift in NEARBY_DAYS:
        day = diary.today + timedelta(days=visit.day + shift)
        booked_at = clock.day_bounds(day, diary.zone)[0] - BOOKED_AHEAD if past else diary.now
        slots = availability.free_slots(
            service, day, day, now=booked_at, enforce_notice=not visit.by_phone
        )
        slots = [s for s in slots if _fits(s, past, diary.now, previous)]
        if slots:
            return _nearest(
                _preferred(slots, service, previous, number), day, visit.hour, diary.zone
            ), booked_at
    return None


def _fits(slot: Slot, past: bool, now: datetime, previous: Booking | None) -> bool:
    """A past visit is over before now, a coming one starts after; each after the last."""
    if (past and slot.end > now) or (not past and slot.start <= now):
        return False
    return previous is None or slot.start > previous.start_at + timedelta(days=1)


def _preferred(slots: list[Slot], service: Service, previous: Booking | None, number: int):
    """The patient's practitioner where free; a first consultation goes round them all."""
    if previous is not None:
        wanted = previous.practitioner_id
    else:
        offering = availability.practitioners_for(service)
        wanted = offering[number % len(offering)].id if offering else None
    return [s for s in slots if s.practitioner_id == wanted] or slots


def _nearest(slots: list[Slot], day: date, hour: int, zone: ZoneInfo) -> Slot:
    wanted = clock.at(day, time(hour), zone)
    return min(slots, key=lambda s: (abs(s.start - wanted), s.start))


def _answer_and_close(diary: _Diary, visit: Visit, booking: Booking) -> None:
    """The patient's scores before a past visit, then what became of it."""
    if visit.pain is not None:
        peg = (
            (visit.pain, max(visit.pain - 1, 0), visit.pain) if outcomes.peg_due(booking) else None
        )
        outcomes.record(
            booking,
            outcomes.Answers(pain=visit.pain, peg=peg),
            now=booking.start_at - ANSWERED_AHEAD,
        )
    if visit.status in (FULFILLED, ARRIVED, NOSHOW):
        set_status(booking, visit.status, actor=diary.reception, now=diary.now)
    elif visit.status == CANCELLED:
        _cancel(diary, booking)
    elif visit.status == ENTERED_IN_ERROR:
        void_bookings(
            [booking.id], "Entered twice by mistake", actor=diary.reception, now=diary.now
        )
    if visit.plan and booking.course is not None:
        courses.set_planned(booking.course, visit.plan, actor=diary.owner)


def _cancel(diary: _Diary, booking: Booking) -> None:
    """A past visit the patient cancelled online the day after booking it; a coming one
    that reception cancelled on the phone."""
    if booking.start_at < diary.now:
        # The moment it was booked is when its disclaimer was accepted.
        cancelled_at = booking.disclaimer_accepted_at + timedelta(days=1)
        cancel_booking(booking, reason="Feeling much better", now=cancelled_at)
    else:
        cancel_booking(
            booking,
            reason="Called to say they are away that week",
            actor=diary.reception,
            now=diary.now,
        )
