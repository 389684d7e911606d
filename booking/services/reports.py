"""Load what the owner's reports count, and hand it to the pure report arithmetic."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from booking.domain.availability import Interval
from booking.domain.clock import range_bounds
from booking.domain.outcomes import outcome_table
from booking.domain.reports import (
    BookingFact,
    PractitionerHours,
    Report,
    build_report,
    check_range,
    default_range,
)
from booking.extensions import db
from booking.models import Booking, Practitioner, Service, TimeOff
from booking.models.base import utcnow
from booking.models.booking import CANCELLED, VOIDED_STATUSES
from booking.models.service import CONDITIONS
from booking.services.clinic import get_settings, local
from booking.services.outcomes import course_outcomes

# Bookings that do not make a patient 'seen': cancelled ones and voided ones.
NOT_SEEN = (CANCELLED, *VOIDED_STATUSES)


def last_full_weeks(now: datetime | None = None) -> tuple[date, date]:
    """The default report dates in clinic time: four weeks back, this week, four ahead."""
    return default_range(local(now or utcnow(), get_settings()).date())


def _facts(start: datetime, end: datetime) -> list[BookingFact]:
    # Only the columns the reports count; the service table is a handful of rows.
    rows = db.session.execute(
        db.select(
            Booking.start_at,
            Booking.end_at,
            Booking.status,
            Service.condition,
            Booking.practitioner_id,
            Booking.patient_id,
            Booking.price_cents,
            Booking.currency,
        )
        .join(Service, Booking.service_id == Service.id)
        .where(
            Booking.start_at >= start,
            Booking.start_at < end,
            Booking.status.not_in(VOIDED_STATUSES),
        )
    )
    return [BookingFact(*row) for row in rows]


def _first_seen(start: datetime, end: datetime) -> dict[int, datetime]:
    """When each patient with a booking in the dates first booked (cancellations aside)."""
    in_range = (
        db.select(Booking.patient_id)
        .where(Booking.start_at >= start, Booking.start_at < end, Booking.status.not_in(NOT_SEEN))
        .scalar_subquery()
    )
    rows = db.session.execute(
        db.select(Booking.patient_id, func.min(Booking.start_at))
        .where(Booking.status.not_in(NOT_SEEN), Booking.patient_id.in_(in_range))
        .group_by(Booking.patient_id)
    )
    return {patient_id: first for patient_id, first in rows}


def _practitioners(start: datetime, end: datetime, booked_ids: set[int]) -> list[PractitionerHours]:
    """Active practitioners, and any other who has bookings in the dates."""
    practitioners = db.session.execute(
        db.select(Practitioner)
        .where(or_(Practitioner.active.is_(True), Practitioner.id.in_(booked_ids)))
        .options(selectinload(Practitioner.hours))
        .order_by(Practitioner.name)
    ).scalars()
    off: dict[int, list[Interval]] = defaultdict(list)
    for row in db.session.execute(
        db.select(TimeOff.practitioner_id, TimeOff.start_at, TimeOff.end_at).where(
            TimeOff.start_at < end, TimeOff.end_at > start
        )
    ):
        off[row.practitioner_id].append(Interval(row.start_at, row.end_at))
    return [
        PractitionerHours(p.id, p.name, p.weekly_hours, tuple(off[p.id])) for p in practitioners
    ]


def clinic_report(
    first_day: date, last_day: date, *, now: datetime | None = None, outcomes: bool = True
) -> Report:
    """Every report for bookings starting between two clinic-local dates, both included
    (the course outcomes, which read every course's sessions, only with `outcomes`).

    Raises ReportRangeError, with a message for the owner, for dates it cannot cover.
    """
    check_range(first_day, last_day)
    settings = get_settings()
    start, end = range_bounds(first_day, last_day, settings.timezone)
    facts = _facts(start, end)
    now = now or utcnow()
    figures = ()
    if outcomes:
        courses = course_outcomes(start, end, now)
        figures = outcome_table(courses, now, CONDITIONS)
    report = build_report(
        facts,
        _practitioners(start, end, {f.practitioner_id for f in facts}),
        _first_seen(start, end),
        first_day=first_day,
        last_day=last_day,
        timezone=settings.timezone,
        currency=settings.currency,
        conditions=tuple(CONDITIONS),
        now=now,
    )
    return replace(report, outcomes=figures)
