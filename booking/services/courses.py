"""Patients' courses: opened by a first consultation (or by reception), followed to the end.

A booking joins its patient's open course for the condition when it is made; a first
consultation opens one if there is none. The progress (`progress`) is worked out by the
pure `domain.course.course_progress` from the course's bookings, its planned sessions
(the condition's typical count until the practitioner sets them) and today's prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from booking.domain import clock
from booking.domain.course import PackageBought, Progress, Session, course_progress
from booking.domain.money import amount
from booking.domain.statuses import ARRIVED, BOOKED, FULFILLED
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import Booking, Course, CoursePlan, PackagePurchase, Patient, Service, User
from booking.models.base import utcnow
from booking.models.course import PAYMENT_METHODS
from booking.services.clinic import get_settings
from booking.services.commands import command

PLANNED_RANGE = (1, 60)
# The statuses of a course's sessions that hold their place in it: booked, under way, done.
IN_DIARY = (BOOKED, ARRIVED, FULFILLED)


@dataclass(frozen=True)
class CourseView:
    """A course with its progress, as pages and the API show it."""

    course: Course
    plan: CoursePlan
    progress: Progress

    packages: tuple[PackagePurchase, ...] = ()

    @property
    def planned_by_practitioner(self) -> bool:
        return self.course.planned_sessions is not None

    @property
    def package_price(self) -> str | None:
        """The plan's fixed package price, to prefill what reception records."""
        cents = self.plan.package_price_cents
        return amount(cents) if cents else None


def open_course_for(patient: Patient, condition: str) -> Course | None:
    """The patient's latest course for the condition, if they have one."""
    return db.session.execute(
        db.select(Course)
        .where(Course.patient_id == patient.id, Course.condition == condition)
        .order_by(Course.opened_at.desc(), Course.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def attach(booking: Booking, service: Service, now: datetime) -> None:
    """Put a new booking in its patient's course; a first consultation opens one if none."""
    patient = booking.patient
    course = open_course_for(patient, service.condition) if patient.id else None
    if course is None and service.kind == "initial":
        course = Course(patient=patient, condition=service.condition, opened_at=now)
        db.session.add(course)
    booking.course = course


def open_course(patient: Patient, condition: str, *, actor: User, now: datetime | None = None):
    """Reception opens a course by hand; the patient's bookings of it not in one join."""
    now = now or utcnow()
    with command("course.open", actor=actor, tracks=None) as change:
        course, joined = gather(patient, condition, now)
        change.subject = course
        change.track(course)
        change.summary = f"{course.condition_label} course opened ({joined} booking(s) in it)"
    return course


def outside_course(patient: Patient, condition: str):
    """Where the patient's bookings for a condition that are in no course stand."""
    return (
        Booking.patient_id == patient.id,
        Booking.course_id.is_(None),
        Booking.service_id.in_(db.select(Service.id).where(Service.condition == condition)),
    )


def gather(patient: Patient, condition: str, now: datetime) -> tuple[Course, int]:
    """A new course, inside the caller's command, with the patient's bookings of the
    condition that were in none; returns it and how many joined."""
    course = Course(patient_id=patient.id, condition=condition, opened_at=now)
    db.session.add(course)
    db.session.flush()
    joined = db.session.execute(
        update(Booking)
        .where(*outside_course(patient, condition))
        .values(course_id=course.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    return course, joined


def set_planned(course: Course, sessions: int, *, actor: User) -> bool:
    """The practitioner's plan after the first visit: how many sessions, first included."""
    low, high = PLANNED_RANGE
    if not low <= sessions <= high:
        raise ValidationError.field(
            "planned_sessions", f"Plan between {low} and {high} sessions, the first included."
        )
    from booking.services import good_faith  # it reads courses; a plan change re-issues

    with command("course.plan", course, actor=actor, only_changed=True) as change:
        changed = course.planned_sessions != sessions
        course.planned_sessions = sessions
        if changed:
            db.session.flush()
            good_faith.after_plan_change(course, actor=actor)
    return change.changed


def packages_of(course: Course) -> list[PackagePurchase]:
    return list(
        db.session.execute(
            db.select(PackagePurchase)
            .where(PackagePurchase.course_id == course.id)
            .order_by(PackagePurchase.paid_at, PackagePurchase.id)
        ).scalars()
    )


def record_package(
    course: Course,
    *,
    sessions: int | None,
    amount_cents: int | None,
    method: str,
    paid_on: date | None,
    actor: User,
) -> PackagePurchase:
    """Reception records a package the patient paid for at the desk; sessions done from
    that day on draw from it. Nothing is charged here."""
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    today = clock.local_date(utcnow(), zone)
    problems = {}
    if sessions is None or not 1 <= sessions <= 60:
        problems["sessions"] = "Give the number of sessions bought, from 1 to 60."
    if amount_cents is None or amount_cents <= 0:
        problems["amount"] = "Give the amount paid, e.g. 400."
    if method not in PAYMENT_METHODS:
        problems["method"] = "Choose how it was paid."
    if paid_on is None or paid_on > today:
        problems["paid_on"] = "Give the day it was paid, today or earlier."
    if problems:
        raise ValidationError(" ".join(problems.values()), problems)
    with command("package.record", actor=actor, tracks=None) as change:
        purchase = PackagePurchase(
            course_id=course.id,
            sessions=sessions,
            amount_cents=amount_cents,
            currency=settings.currency,
            method=method,
            paid_at=clock.day_bounds(paid_on, zone)[0],
            recorded_by_id=actor.id,
        )
        db.session.add(purchase)
        db.session.flush()
        change.subject = purchase
        change.track(purchase)
        change.summary = f"Package of {sessions} sessions recorded for a {course.condition} course"
    return purchase


def bookings_of(course: Course) -> list[Booking]:
    return list(
        db.session.execute(
            db.select(Booking)
            .where(Booking.course_id == course.id)
            .order_by(Booking.start_at, Booking.id)
        ).scalars()
    )


def view(course: Course, now: datetime | None = None) -> CourseView:
    now = now or utcnow()
    plan = db.session.execute(
        db.select(CoursePlan).where(CoursePlan.condition == course.condition)
    ).scalar_one()
    planned = course.planned_sessions or plan.typical_sessions
    sessions = [
        Session(b.id, b.status, b.start_at, b.price_cents, b.service.kind != "initial")
        for b in bookings_of(course)
    ]
    bought = packages_of(course)
    packages = [PackageBought(p.paid_at, p.sessions, p.amount_cents) for p in bought]
    progress = course_progress(sessions, planned, plan.prices(), now, packages)
    return CourseView(course, plan, progress, tuple(bought))


def view_for_booking(booking: Booking, now: datetime | None = None) -> CourseView | None:
    course = db.session.get(Course, booking.course_id) if booking.course_id else None
    return view(course, now) if course else None


def views_for(patient: Patient, now: datetime | None = None) -> list[CourseView]:
    courses = db.session.execute(
        db.select(Course)
        .where(Course.patient_id == patient.id)
        .order_by(Course.opened_at.desc(), Course.id.desc())
    ).scalars()
    return [view(course, now) for course in courses]
