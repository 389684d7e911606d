"""Patients' courses: opened by a first consultation (or by reception), followed to the end.

A booking joins its patient's open course for the condition when it is made; a first
consultation opens one if there is none. The progress (`progress`) is worked out by the
pure `domain.course.course_progress` from the course's bookings, its planned sessions
(the condition's typical count until the practitioner sets them) and today's prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from booking.domain.course import Progress, Session, course_progress
from booking.errors import ValidationError
from booking.extensions import db
from booking.models import Booking, Course, CoursePlan, Patient, Service, User
from booking.models.base import utcnow
from booking.services.commands import command

PLANNED_RANGE = (1, 60)


@dataclass(frozen=True)
class CourseView:
    """A course with its progress, as pages and the API show it."""

    course: Course
    plan: CoursePlan
    progress: Progress

    @property
    def planned_by_practitioner(self) -> bool:
        return self.course.planned_sessions is not None


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
        course = Course(patient_id=patient.id, condition=condition, opened_at=now)
        db.session.add(course)
        db.session.flush()
        joined = db.session.execute(
            update(Booking)
            .where(
                Booking.patient_id == patient.id,
                Booking.course_id.is_(None),
                Booking.service_id.in_(db.select(Service.id).where(Service.condition == condition)),
            )
            .values(course_id=course.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        change.subject = course
        change.track(course)
        change.summary = f"{course.condition_label} course opened ({joined} booking(s) in it)"
    return course


def set_planned(course: Course, sessions: int, *, actor: User) -> bool:
    """The practitioner's plan after the first visit: how many sessions, first included."""
    low, high = PLANNED_RANGE
    if not low <= sessions <= high:
        raise ValidationError.field(
            "planned_sessions", f"Plan between {low} and {high} sessions, the first included."
        )
    with command("course.plan", course, actor=actor, only_changed=True) as change:
        course.planned_sessions = sessions
    return change.changed


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
    sessions = [Session(b.id, b.status, b.start_at, b.price_cents) for b in bookings_of(course)]
    return CourseView(course, plan, course_progress(sessions, planned, plan.prices(), now))


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
