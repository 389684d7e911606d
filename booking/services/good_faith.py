"""Good Faith Estimates: issued for a self-pay patient's course, frozen, versioned.

Where the clinic gives them (`ClinicSettings.good_faith_estimates`, on for a clinic in US
dollars), a booking whose patient will not use health insurance issues one for its course
in the booking's own transaction, once the patient's date of birth is known. The content
is built by the pure `domain.good_faith.build` and stored whole, so an estimate reads the
same however prices or wording change later; a changed plan issues the next version.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from booking.domain import clock
from booking.domain import good_faith as domain
from booking.domain.statuses import BOOKED
from booking.errors import Conflict, ValidationError
from booking.extensions import db
from booking.models import Booking, Course, CoursePlan, GoodFaithEstimate, Patient, Service, User
from booking.models.base import utcnow
from booking.services import courses
from booking.services.clinic import get_settings
from booking.services.commands import command


def applies() -> bool:
    return bool(get_settings().good_faith_estimates)


def estimates_of(course: Course) -> list[GoodFaithEstimate]:
    """Every version issued for the course, the newest first."""
    return list(
        db.session.execute(
            db.select(GoodFaithEstimate)
            .where(GoodFaithEstimate.course_id == course.id)
            .order_by(GoodFaithEstimate.version.desc())
        ).scalars()
    )


def current(course: Course | None) -> GoodFaithEstimate | None:
    if course is None:
        return None
    return db.session.execute(
        db.select(GoodFaithEstimate)
        .where(GoodFaithEstimate.course_id == course.id)
        .order_by(GoodFaithEstimate.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def self_pay(course: Course) -> bool:
    """Whether the course's patient said they pay for it themselves (the latest answer)."""
    answers = [
        b.uses_insurance for b in courses.bookings_of(course) if b.uses_insurance is not None
    ]
    return bool(answers) and answers[-1] is False


def _entry(booking_or_service, price_cents: int) -> tuple[str, str, int]:
    service = getattr(booking_or_service, "service", booking_or_service)
    return (service.name, service.service_code, price_cents)


def _tin(tin: str) -> str:
    """An EIN as it is written: 12-3456789."""
    return f"{tin[:2]}-{tin[2:]}" if len(tin) == 9 else tin


def content(course: Course, patient: Patient, *, version: int, now: datetime) -> dict:
    """What the estimate for this course says today (nothing stored)."""
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    plan = db.session.execute(
        db.select(CoursePlan).where(CoursePlan.condition == course.condition)
    ).scalar_one()
    bookings = [b for b in courses.bookings_of(course) if b.status in courses.IN_DIARY]
    planned = max(course.planned_sessions or plan.typical_sessions, len(bookings))
    first = plan.first_service or plan.follow_up_service
    follow_up = plan.follow_up_service or first
    items = domain.course_items(
        [_entry(b, b.price_cents) for b in bookings],
        planned,
        _entry(first, first.price_cents),
        _entry(follow_up, follow_up.price_cents),
    )
    # Everyone the course's sessions are with, in the order the patient first sees them.
    practitioner = ", ".join(dict.fromkeys(b.practitioner.name for b in bookings))
    upcoming = [b for b in bookings if b.status == BOOKED and b.start_at > now]
    scheduled = [
        f"{clock.long_day(clock.local_date(b.start_at, zone))} at "
        f"{clock.twelve_hour(b.start_at.astimezone(zone))}: {b.service.name}"
        for b in upcoming
    ]
    left = planned - len(bookings)
    frequency = (
        f"{planned} sessions in all, {domain.how_often([b.start_at for b in upcoming])}"
        + (f"; {left} not booked yet" if left > 0 else "")
        + ". Your practitioner reviews the plan as you go."
    )
    return domain.build(
        patient_name=patient.name,
        date_of_birth=patient.date_of_birth,
        provider=domain.Provider(
            name=settings.name,
            address=settings.address,
            phone=settings.phone,
            npi=settings.npi,
            tin=_tin(settings.tin),
            practitioner=practitioner,
        ),
        condition=course.condition_label,
        diagnosis_codes=domain.split_codes(plan.diagnosis_codes),
        items=items,
        currency=settings.currency,
        scheduled=scheduled,
        frequency=frequency,
        issued_on=clock.local_date(now, zone),
        version=version,
    )


def issue(
    course: Course,
    *,
    reason: str,
    actor: User | None = None,
    date_of_birth: date | None = None,
    now: datetime | None = None,
) -> GoodFaithEstimate:
    """Issue the next version of the course's estimate; one command (nests in another).

    A date of birth given is kept on the patient's record; without one on file the
    estimate cannot be issued (ValidationError on `date_of_birth`).
    """
    now = now or utcnow()
    patient = course.patient
    if patient.erased_at is not None:
        raise Conflict(
            "This patient's details were erased: no estimate can be issued for them.",
            code="not_changeable",
        )
    if actor is None and patient.date_of_birth is not None:
        date_of_birth = None  # online, a date of birth on file is never changed
    today = clock.local_date(now, ZoneInfo(get_settings().timezone))
    checked = date_of_birth is not None or patient.date_of_birth is None
    if checked and (problem := domain.date_of_birth_problem(date_of_birth, today)):
        raise ValidationError.field("date_of_birth", problem)
    with command("estimate.issue", actor=actor, tracks=None, by_patient=actor is None) as change:
        if date_of_birth is not None and patient.date_of_birth != date_of_birth:
            # Reception's correction, or the patient's first: audited as the record's own.
            with command(
                "patient.update", patient, actor=actor, only_changed=True, by_patient=not actor
            ):
                patient.date_of_birth = date_of_birth
        latest = current(course)
        version = latest.version + 1 if latest else 1
        body = content(course, patient, version=version, now=now)
        estimate = GoodFaithEstimate(
            course_id=course.id,
            version=version,
            issued_at=now,
            issued_by_id=actor.id if actor else None,
            reason=reason,
            total_cents=body["total_cents"],
            currency=body["currency"],
            content=body,
        )
        db.session.add(estimate)
        db.session.flush()
        change.subject = estimate
        change.track(estimate)
        change.summary = f"Good Faith Estimate v{version} for a {course.condition} course"
    return estimate


def after_booking(booking: Booking, now: datetime) -> GoodFaithEstimate | None:
    """Inside a booking's command: the estimate its self-pay course is due, if one can be
    issued now (the date of birth on file) and the course has none yet."""
    if not applies() or booking.uses_insurance is not False or booking.course is None:
        return None
    if booking.patient.date_of_birth is None:
        return None  # owners see it among the self-pay bookings lacking one
    course = booking.course
    if current(course) is not None:
        return None
    return issue(course, reason="booked", now=now)


def after_plan_change(
    course: Course,
    *,
    actor: User | None,
    now: datetime | None = None,
    reason: str = "plan_changed",
):
    """The plan (or what is booked of it) changed: an estimate already issued is issued
    again, as the next version."""
    patient = course.patient
    if current(course) is None or patient.date_of_birth is None or patient.erased_at:
        return None
    return issue(course, reason=reason, actor=actor, now=now)


def lacking(now: datetime | None = None) -> list[Booking]:
    """Upcoming self-pay bookings whose course has no estimate yet, soonest first."""
    now = now or utcnow()
    if not applies():
        return []
    issued = db.select(GoodFaithEstimate.course_id)
    return list(
        db.session.execute(
            db.select(Booking)
            .join(Patient, Booking.patient_id == Patient.id)
            .where(
                Booking.uses_insurance.is_(False),
                Booking.status == BOOKED,
                Booking.start_at > now,
                Patient.erased_at.is_(None),
                (Booking.course_id.is_(None)) | (Booking.course_id.not_in(issued)),
            )
            .order_by(Booking.start_at)
        ).scalars()
    )


def requested(
    booking: Booking, date_of_birth: date | None, *, actor: User | None = None, now=None
) -> GoodFaithEstimate:
    """The patient (or reception for them) says they pay for the course themselves and
    asks for its estimate: recorded on the booking, and the next version issued."""
    now = now or utcnow()
    if booking.course is None:
        raise ValidationError(
            "This booking is not part of a course yet, so there is no course to estimate. "
            f"Please call the clinic on {get_settings().phone}."
        )
    with command("booking.self_pay", booking, actor=actor, by_patient=actor is None):
        booking.uses_insurance = False
        estimate = issue(
            booking.course,
            reason="reception" if actor else "patient",
            actor=actor,
            date_of_birth=date_of_birth,
            now=now,
        )
    return estimate


def uncoded_services() -> list:
    """Services offered with no service code: their estimate lines print a dash."""
    return list(
        db.session.execute(
            db.select(Service)
            .where(Service.active.is_(True), Service.service_code == "")
            .order_by(Service.position)
        ).scalars()
    )
