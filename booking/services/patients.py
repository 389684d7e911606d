"""A patient's record for reception: their bookings and their course so far."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from booking.domain.course import CourseSoFar, Visit, course_so_far
from booking.domain.estimates import CoursePlan
from booking.domain.text import one_line
from booking.extensions import db
from booking.models import Booking, Patient, Service
from booking.models.booking import VOIDED_STATUSES


def find_patients(query: str, limit: int = 20) -> list[Patient]:
    """Patients whose name, email or phone contains the query (phone digits only)."""
    # Nothing typed holds control characters (and PostgreSQL cannot even compare a NUL).
    query = one_line(query).strip()
    if len(query) < 2:
        return []
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    conditions = [
        func.lower(Patient.name).like(like, escape="\\"),
        func.lower(Patient.email).like(like, escape="\\"),
    ]
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3:
        stripped = Patient.phone
        for ch in (" ", "-", "(", ")", ".", "+"):
            stripped = func.replace(stripped, ch, "")
        conditions.append(stripped.like(f"%{digits}%"))
    return list(
        db.session.execute(
            db.select(Patient).where(or_(*conditions)).order_by(Patient.name).limit(limit)
        ).scalars()
    )


def bookings_for(patient: Patient) -> list[Booking]:
    """All the patient's bookings, cancelled ones too, latest first."""
    return list(
        db.session.execute(
            db.select(Booking)
            .where(Booking.patient_id == patient.id, Booking.status.not_in(VOIDED_STATUSES))
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
