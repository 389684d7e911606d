"""Book the rest of a patient's course in one go: propose the series, then book it at once.

`rest_of_course` proposes (reads only): the follow-up every N days at the time of day of
the course's last session in the diary, with the same practitioner, each session marked
free or given the nearest free alternatives (the pure `domain.series`). `book_rest` books
the chosen times in one command: every session or none, under the same overlap guard as
any booking, one confirmation email, and one request against the online limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from booking.domain import clock, screening
from booking.domain import series as domain
from booking.domain.course import Progress, Session, course_progress
from booking.domain.statuses import ARRIVED, BOOKED, CANCELLED, ENTERED_IN_ERROR
from booking.errors import Conflict, SlotTaken, ValidationError
from booking.extensions import db
from booking.models import Booking, Course, CoursePlan, Practitioner, Service, User
from booking.models.base import utcnow
from booking.services import (
    availability,
    booking_limits,
    clearances,
    courses,
    emails,
    good_faith,
    webhooks,
)
from booking.services.bookings import (
    BookingError,
    BookingRequest,
    NotChangeable,
    SlotNotOffered,
    _new_booking,
    check_not_erased,
    offered_but_taken,
)
from booking.services.clinic import get_settings
from booking.services.commands import command, is_overlap
from booking.services.courses import IN_DIARY, PLANNED_RANGE
from booking.services.tokens import new_manage_token


class SameAsBefore:
    """The practitioner of the course's last session (the default)."""

    def __repr__(self) -> str:
        return "SAME"


SAME = SameAsBefore()


class CourseFullyBooked(Conflict):
    code = "course_fully_booked"


class NotOffered(Conflict):
    code = "follow_up_not_offered"


@dataclass(frozen=True)
class RestOfCourse:
    """What the series would be, before anything is booked."""

    booking: Booking  # the booking whose page (or link) asked
    anchor: Booking  # the course's last session in the diary: the series follows it
    service: Service  # the condition's follow-up
    practitioners: tuple[Practitioner, ...]  # who gives the follow-up
    course: Course | None  # None until the first series opens one
    progress: Progress
    every_days: int
    count: int
    most: int  # the most sessions the series may hold
    practitioner_id: int | None  # None: whoever is free
    at: time  # the series' time of day, clinic wall-clock
    series: domain.Series
    opens_at: datetime | None = None  # when the first session past the horizon can be booked

    @property
    def practitioner(self) -> Practitioner | None:
        return next((p for p in self.practitioners if p.id == self.practitioner_id), None)


@dataclass(frozen=True)
class BookedSeries:
    bookings: tuple[tuple[Booking, str], ...]  # each new booking with its manage token
    course: Course


def _plan(condition: str) -> CoursePlan:
    return db.session.execute(
        db.select(CoursePlan).where(CoursePlan.condition == condition)
    ).scalar_one()


def _sessions_of(booking: Booking) -> list[Booking]:
    """The course's bookings, or (no course yet) the ones a new course would gather."""
    if booking.course_id:
        return courses.bookings_of(db.session.get(Course, booking.course_id))
    return list(
        db.session.execute(
            db.select(Booking)
            .where(*courses.outside_course(booking.patient, booking.service.condition))
            .order_by(Booking.start_at, Booking.id)
        ).scalars()
    )


def _progress(booking: Booking, plan: CoursePlan, now: datetime) -> Progress:
    if booking.course_id:
        return courses.view_for_booking(booking, now).progress
    sessions = [
        Session(b.id, b.status, b.start_at, b.price_cents, b.service.kind != "initial")
        for b in _sessions_of(booking)
    ]
    return course_progress(sessions, plan.typical_sessions, plan.prices(), now)


def most_sessions(progress: Progress, plan: CoursePlan, *, staff: bool) -> int:
    """How many more sessions may be booked: up to the plan's most (or the practitioner's
    plan, if longer) online; reception may go on to the longest plan there is."""
    ceiling = PLANNED_RANGE[1] if staff else max(progress.planned, plan.max_sessions)
    return max(ceiling - in_diary(progress), 0)


class RedFlagWaiting(Conflict):
    code = "red_flag_waiting"


def check_link(booking: Booking, *, staff: bool = False) -> None:
    """Only a booking that still stands books the rest of its course; online, only for
    a patient with no red flag waiting for a doctor (reception books once cleared)."""
    check_not_erased(booking)
    if booking.status in (CANCELLED, ENTERED_IN_ERROR):
        raise NotChangeable(
            "This booking was cancelled, so the rest of the course cannot be booked from it. "
            "Use the link of another of your bookings, or call the clinic on "
            f"{get_settings().phone}."
        )
    if not staff and clearances.waiting_flags(booking.patient):
        raise RedFlagWaiting(
            "Something you told us before a visit needs a doctor first, so no more sessions "
            "can be booked online for now. Once a doctor has seen you, please call the "
            f"clinic on {get_settings().phone}: we will note it and book the rest with you."
        )


def patient_days(booking: Booking, zone: ZoneInfo) -> frozenset:
    """The days the patient already has an appointment on (any condition)."""
    starts = db.session.execute(
        db.select(Booking.start_at).where(
            Booking.patient_id == booking.patient_id, Booking.status.in_((BOOKED, ARRIVED))
        )
    ).scalars()
    return frozenset(clock.local_date(start, zone) for start in starts)


def last_in_diary(bookings: list[Booking], fallback: Booking) -> Booking:
    """The last session booked, under way or done: the series follows it."""
    in_diary = [b for b in bookings if b.status in IN_DIARY]
    return max(in_diary, key=lambda b: (b.start_at, b.id)) if in_diary else fallback


def follow_up_of(booking: Booking) -> Service:
    """The service the rest of this booking's course is booked as."""
    return _follow_up(_plan(booking.service.condition), booking)


def _follow_up(plan: CoursePlan, booking: Booking) -> Service:
    service = plan.follow_up_service or booking.service
    if not service.active:
        raise NotOffered(
            f"{service.name} is not offered online just now. "
            f"Please call the clinic on {get_settings().phone} to book your sessions."
        )
    return service


def rest_of_course(
    booking: Booking,
    *,
    every_days: int = domain.EVERY_DAYS,
    count: int | None = None,
    practitioner_id: int | None | SameAsBefore = SAME,
    at: time | None = None,
    now: datetime | None = None,
    staff: bool = False,
) -> RestOfCourse:
    """The series a patient (or reception, with `staff`) would book, with nothing booked.

    Raises ValidationError for a spacing, count, practitioner or time that cannot be
    used, CourseFullyBooked when the plan has no session left to book.
    """
    now = now or utcnow()
    chosen = practitioner_id is not SAME and practitioner_id is not None
    check_link(booking, staff=staff)
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    plan = _plan(booking.service.condition)
    service = _follow_up(plan, booking)
    progress = _progress(booking, plan, now)
    most = most_sessions(progress, plan, staff=staff)
    if most == 0:
        raise CourseFullyBooked(
            f"All {progress.planned} sessions of this course are done or booked. "
            f"To add more, please call the clinic on {settings.phone}."
        )
    problems = {}
    if problem := domain.every_days_problem(every_days):
        problems["every_days"] = problem
    count = min(progress.to_book, most) or 1 if count is None else count
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        problems["count"] = f"Choose from 1 to {most} sessions."
    anchor = last_in_diary(_sessions_of(booking), booking)
    practitioners = tuple(availability.practitioners_for(service))
    offering = {p.id for p in practitioners}
    if practitioner_id is SAME:
        practitioner_id = anchor.practitioner_id if anchor.practitioner_id in offering else None
    elif practitioner_id is not None and practitioner_id not in offering:
        problems["practitioner"] = f"Choose someone who gives {service.name}, or anyone."
    if problems:
        raise ValidationError.of(problems)
    local_anchor = anchor.start_at.astimezone(zone)
    at = at or local_anchor.time().replace(tzinfo=None, second=0, microsecond=0)
    wanted = domain.wanted_times(local_anchor.date(), at, every_days, count, zone, after=now)
    latest = now + timedelta(days=settings.horizon_days)
    free = []
    reachable = [moment for moment in wanted if moment < latest]
    if reachable:
        first = clock.local_date(reachable[0], zone)
        last = clock.local_date(reachable[-1], zone) + timedelta(days=domain.ALTERNATIVE_DAYS - 1)
        # With the practitioner chosen, only theirs; by default another is offered where
        # the same one has nothing near.
        free = availability.free_slots(
            service,
            first,
            last,
            practitioner_id=practitioner_id if chosen else None,
            now=now,
            enforce_notice=not staff,
        )
    proposed = domain.propose(
        wanted,
        free,
        practitioner_id=practitioner_id,
        latest=latest,
        tz=zone,
        avoid_days=patient_days(booking, zone),
    )
    return RestOfCourse(
        booking=booking,
        anchor=anchor,
        service=service,
        practitioners=practitioners,
        course=db.session.get(Course, booking.course_id) if booking.course_id else None,
        progress=progress,
        every_days=every_days,
        count=count,
        most=most,
        practitioner_id=practitioner_id,
        at=at,
        series=proposed,
        opens_at=(
            proposed.beyond_horizon[0] - timedelta(days=settings.horizon_days)
            if proposed.beyond_horizon
            else None
        ),
    )


def _check_starts(starts: Sequence[datetime], most: int, zone: ZoneInfo, now: datetime):
    if not starts:
        raise ValidationError.field("starts", "Choose at least one session to book.")
    if len(starts) > most:
        raise ValidationError.field("starts", f"Choose {most} sessions at most.")
    days = [clock.local_date(start, zone) for start in starts]
    if len(set(days)) != len(days):
        raise ValidationError.field("starts", "Choose one session a day at most.")
    if any(start <= now for start in starts):
        raise ValidationError.field("starts", "Choose times that are still to come.")


def in_diary(progress: Progress) -> int:
    """Sessions of the course done, under way or booked: the series' numbers follow them."""
    return progress.done + progress.booked_ahead + progress.unmarked


def _check_against_diary(
    booking: Booking,
    sessions: list[Booking],
    starts: Sequence[datetime],
    offset: int,
    zone: ZoneInfo,
) -> None:
    """No session on a day the patient already comes in, nor before the first
    consultation among the course's `sessions`."""
    taken_days = patient_days(booking, zone)
    first = _first_consultation(sessions)
    for number, start in enumerate(starts, offset + 1):
        if clock.local_date(start, zone) in taken_days:
            message = (
                f"{describe(number, start, zone)} falls on a day you already have an "
                "appointment. Nothing was booked: choose another day for it."
            )
            raise ValidationError.field("starts", message)
        if first is not None and start < first:
            message = (
                f"{describe(number, start, zone)} is before the first consultation. "
                "Nothing was booked: follow-ups come after it."
            )
            raise ValidationError.field("starts", message)


def _first_consultation(sessions: list[Booking]) -> datetime | None:
    """When the course's first consultation (booked or done) starts, if it has one."""
    firsts = [b.start_at for b in sessions if b.status in IN_DIARY and b.service.kind == "initial"]
    return min(firsts) if firsts else None


def describe(number: int, start: datetime, zone: ZoneInfo) -> str:
    """'Session 3, Monday 12 January 2026 at 10:00 am'."""
    local = start.astimezone(zone)
    return f"Session {number}, {clock.long_day(local.date())} at {clock.twelve_hour(local)}"


def book_rest(
    booking: Booking,
    starts: Sequence[datetime],
    *,
    practitioner_id: int | None | SameAsBefore = SAME,
    offered_with: Mapping[datetime, int] | None = None,
    actor: User | None = None,
    client: str | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> BookedSeries:
    """Book follow-ups at these times for the booking's patient: all of them, or none.

    Each time must be one the booking pages offer (reception may book inside the notice);
    a time taken meanwhile raises SlotTaken naming its session. The patient is sent one
    confirmation with every session; online (a `client`), the series is one request
    against the address and the inbox, and the patient's upcoming bookings may not pass
    the owner's ceiling for a course.

    `offered_with` names the practitioner a start was offered with: that start is booked
    with them or not at all, never quietly with someone else.
    """
    offered_with = offered_with or {}
    now = now or utcnow()
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    staff = actor is not None
    starts = sorted(starts)
    plan = _plan(booking.service.condition)
    service = _follow_up(plan, booking)
    with command("course.book", actor=actor, tracks=None, by_patient=not staff) as change:
        check_link(booking, staff=staff)
        progress = _progress(booking, plan, now)
        _check_starts(starts, most_sessions(progress, plan, staff=staff), zone, now)
        offset = in_diary(progress)
        # The course's bookings, or those a new course gathers: the same rows either way.
        sessions = _sessions_of(booking)
        _check_against_diary(booking, sessions, starts, offset, zone)
        patient = booking.patient
        if client and not staff:
            booking_limits.new_online_booking(
                client, patient.email, patient.phone, now, sessions=len(starts)
            )
        course = (
            db.session.get(Course, booking.course_id, with_for_update=True)
            if booking.course_id
            else courses.gather(patient, service.condition, now)[0]
        )
        wanted_practitioner = (
            last_in_diary(sessions, booking).practitioner_id
            if practitioner_id is SAME
            else practitioner_id
        )
        request = BookingRequest(
            service=service,
            start=starts[0],
            practitioner_id=None,
            name=patient.name,
            email=patient.email,
            phone=patient.phone,
            # The answers and the disclaimer the patient gave with the booking whose link
            # asked stand for the series (a doctor's clearance under it included); each
            # visit asks again, before it, whether anything is new.
            answers=screening.stored(booking.screening or {}),
            source=(source or "phone") if staff else "online",
            patient_id=patient.id,
            client_address=client if not staff else None,
        )
        made: list[tuple[Booking, str]] = []
        for number, start in enumerate(starts, 1):
            only = offered_with.get(start)
            if only is None and isinstance(practitioner_id, int):
                only = practitioner_id
            free = availability.slots_at(
                service, start, practitioner_id=only, now=now, enforce_notice=not staff
            )
            if not free:
                raise _unavailable(service, start, offset + number, zone, now, staff)
            slot = next((s for s in free if s.practitioner_id == wanted_practitioner), free[0])
            token, salt = new_manage_token()
            new = _new_booking(request, slot, token, salt, now=now, actor=actor)
            new.course = course
            new.uses_insurance = booking.uses_insurance
            if not staff:
                new.disclaimer_version = booking.disclaimer_version
                new.disclaimer_accepted_at = booking.disclaimer_accepted_at
            with command(
                "booking.create", actor=actor, tracks=None, by_patient=not staff
            ) as created:
                db.session.add(new)
                try:
                    db.session.flush()
                except IntegrityError as error:
                    if is_overlap(error):
                        message = taken_message(offset + number, start)
                        raise SlotTaken(message, {"starts": message}) from error
                    raise
                created.subject = new
                created.track(new)
                created.summary = f"course booking {new.reference} ({number} of {len(starts)})"
                created.send(webhooks.booking_created, new, now=now)
            made.append((new, token))
        # The estimate lists what is scheduled: more sessions issue its next version.
        if good_faith.current(course) is not None:
            good_faith.after_plan_change(course, actor=actor, now=now, reason="sessions_booked")
        else:
            good_faith.after_booking(made[0][0], now)
        change.subject = course
        change.before = None
        change.after = {"bookings": [b.reference for b, _ in made]}
        change.summary = (
            f"{len(made)} session{'s' if len(made) != 1 else ''} of a {course.condition} "
            f"course booked at once"
        )
        change.send(emails.course_booked, [b for b, _ in made], now=now, by_patient=not staff)
    return BookedSeries(tuple(made), course)


def taken_message(number: int, start: datetime) -> str:
    zone = ZoneInfo(get_settings().timezone)
    return (
        f"{describe(number, start, zone)} has just been taken. Nothing was booked: "
        "look at the dates again and choose another time for it."
    )


def _unavailable(
    service: Service, start: datetime, number: int, zone: ZoneInfo, now: datetime, staff: bool
) -> BookingError:
    if offered_but_taken(service, start, None, now, not staff):
        message = taken_message(number, start)
        return SlotTaken(message, {"starts": message})
    message = (
        f"{describe(number, start, zone)} is not a time that can be booked. Nothing was "
        "booked: choose one of the times offered."
    )
    return SlotNotOffered(message, {"starts": message})
