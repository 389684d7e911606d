"""A patient's record for reception: their bookings and their course so far."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import joinedload

from booking.domain.course import CourseSoFar, Visit, course_so_far
from booking.domain.estimates import CoursePlan
from booking.extensions import db
from booking.models import Booking, Patient, Service


def bookings_for(patient: Patient) -> list[Booking]:
    """All the patient's bookings, cancelled ones too, latest first."""
    return list(
        db.session.execute(
            db.select(Booking)
            .where(Booking.patient_id == patient.id)
            .options(joinedload(Booking.practitioner), joinedload(Booking.service))
            .order_by(Booking.start_at.desc())
        ).scalars()
    )


def course_plans() -> dict[str, CoursePlan]:
    """Each condition's course plan: the one agreed at its first consultation."""
    services = db.session.execute(db.select(Service).order_by(Service.position)).scalars()
    plans: dict[str, CoursePlan] = {}
    for service in sorted(services, key=lambda s: s.kind != "initial"):
        plans.setdefault(service.condition, service.course_plan)
    return plans


def course_for(bookings: list[Booking], now: datetime) -> tuple[CourseSoFar, ...]:
    visits = [Visit(b.service.condition, b.status, b.start_at) for b in bookings]
    return course_so_far(visits, course_plans(), now)
