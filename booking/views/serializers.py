"""Bookings, services, slots and calendars as the two JSON APIs give them.

The patient API (`/api/v1`) and the staff API (`/api/v1/staff`) both answer from
here, so one booking reads the same in each. Field names are a stable contract.
"""

from __future__ import annotations

from datetime import date, datetime, time
from fractions import Fraction

from booking.domain import clock, screening
from booking.domain import waitlist as waitlist_rules
from booking.domain.estimates import Estimate, Line
from booking.domain.money import amount
from booking.domain.timetable import Column, Grid
from booking.models import Booking, Patient, Service
from booking.models.base import utcnow
from booking.presenters.outcomes import patient_summary, staff_summary
from booking.services import courses, good_faith, outcomes
from booking.services.bookings import TRANSITIONS
from booking.services.clinic import change_deadline
from booking.services.timetable import HELD, bookings_by_id
from booking.views.helpers import clinic, clinic_zone, to_local


def price(cents: int, currency: str) -> dict:
    return {"amount": amount(cents), "currency": currency}


def service_json(service: Service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "condition": service.condition,
        "kind": service.kind,
        "duration_minutes": service.duration_minutes,
        "price": price(service.price_cents, clinic().currency),
        "course": {
            "min_sessions": service.course_plan.min_sessions,
            "typical_sessions": service.course_plan.typical_sessions,
            "max_sessions": service.course_plan.max_sessions,
        },
    }


def estimate_json(service: Service, result: Estimate, currency: str, disclaimer: str) -> dict:
    """A course estimate: the condition's two prices, each course length, a requested one,
    the package. The same figures for either service of a condition."""

    def line(item: Line) -> dict:
        return {
            "sessions": item.sessions,
            "total": price(item.total_cents, currency),
            "market_total": {
                "low": price(item.market_low_cents, currency),
                "high": price(item.market_high_cents, currency),
            },
        }

    first = result.lines[0]
    body = {
        "service": service.slug,
        "condition": service.condition,
        "price_per_session": price(service.price_cents, currency),
        "first_consultation": price(result.first_cents, currency),
        "follow_up": price(result.follow_up_cents, currency),
        "market_per_session": {
            "low": price(first.market_low_cents // first.sessions, currency),
            "high": price(first.market_high_cents // first.sessions, currency),
        },
        "sessions": {item.label: item.sessions for item in result.lines},
        "totals": {item.label: line(item) for item in result.lines},
        "disclaimer": disclaimer,
        "insurance_note": screening.INSURANCE_NOTE,
    }
    if result.requested:
        body["requested"] = line(result.requested)
    if result.package:
        body["package"] = {
            "sessions": result.package.sessions,
            "total": price(result.package.total_cents, currency),
            "pay_as_you_go_total": price(result.package.pay_as_you_go_cents, currency),
            "saving": price(result.package.saving_cents, currency),
        }
    return body


def booking_json(booking: Booking) -> dict:
    course, scores, check_in = course_and_scores(booking)
    return {
        "reference": booking.reference,
        "status": booking.status,
        "service": {"slug": booking.service.slug, "name": booking.service.name},
        "start": to_local(booking.start_at).isoformat(),
        "end": to_local(booking.end_at).isoformat(),
        "practitioner": {"id": booking.practitioner.id, "name": booking.practitioner.name},
        "price": price(booking.price_cents, booking.currency),
        "change_deadline": to_local(change_deadline(booking)).isoformat(),
        "course": course,
        "uses_insurance": booking.uses_insurance,
        "good_faith_estimate": estimate_summary(booking),
        "pain_scores": scores,
        "check_in": check_in,
    }


def fraction(value) -> float | None:
    """A score or change as JSON gives it: a whole number, or one decimal place."""
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 1)


def course_and_scores(booking: Booking, *, staff: bool = False) -> tuple[dict | None, list, dict]:
    """The booking's course with how it is going, its scores by session and its
    check-in: the course and its outcome worked out once for all three."""
    view = courses.view_for_booking(booking)
    if view is None:
        return None, pain_scores_json(booking, None), check_in_json(booking)
    outcome = outcomes.outcome(view)
    body = course_json(view, booking)
    body["outcome"] = outcome_json(outcome, staff=staff)
    return body, pain_scores_json(booking, outcome), check_in_json(booking, view)


def pain_scores_json(booking: Booking, outcome) -> list[dict]:
    """The scores of the booking's course by session (or of the booking alone)."""
    if outcome is not None:
        rows = [(r.session, r.booking, r.check_in) for r in outcome.rows]
    else:
        own = outcomes.check_in_of(booking)
        rows = [(outcomes.session_of(booking), booking, own)] if own else []
    return [
        {
            "session": session,
            "booking": b.reference,
            "start": to_local(b.start_at).isoformat(),
            "pain": c.pain,
            "peg": fraction(Fraction(c.peg_total, 3)) if c.peg_total is not None else None,
            "entered_by": "staff" if c.entered_by_id else "patient",
            "entered_at": to_local(c.entered_at).isoformat(),
        }
        for session, b, c in rows
        if c.pain is not None or c.peg_total is not None
    ]


def check_in_json(booking: Booking, view=None) -> dict:
    """Whether the patient can answer before this visit now, and what they said (`view`:
    the booking's course view, when the caller has it already)."""
    row = outcomes.check_in_of(booking)
    return {
        "open": outcomes.patient_can_answer(booking, utcnow()),
        "opens_at": to_local(outcomes.opens_at(booking)).isoformat(),
        "peg_due": outcomes.peg_due(booking, view),
        "pain": row.pain if row else None,
        "new_red_flags": list(row.new_red_flags) if row and row.new_red_flags is not None else None,
    }


def change_json(change) -> dict | None:
    if change is None:
        return None
    return {
        "first": fraction(change.first),
        "first_session": change.first_session,
        "latest": fraction(change.latest),
        "latest_session": change.latest_session,
        "change_points": fraction(change.points),
        "change_percent": fraction(change.percent),
        "meaningful_improvement": change.meaningful,
    }


def outcome_json(outcome, *, staff: bool = False) -> dict:
    """How the course is going; staff also see the prompt and every decision."""
    t = outcome.trend
    body = {
        "status": outcome.status,
        "measured_by": t.measured,
        "pain": change_json(t.pain),
        "peg": change_json(t.peg),
        "meaningful_improvement": t.improved,
        "worse_than_at_start": t.worse,
        "sessions_to_improvement": t.sessions_to_improvement,
        "summary": staff_summary(t) if staff else patient_summary(t),
        "decision": decision_json(outcome.decision, staff=staff) if outcome.decision else None,
    }
    if staff:
        p = outcome.prompt
        body["prompt"] = (
            {"level": p.level, "reason": p.reason, "heading": p.heading, "message": p.message}
            if p
            else None
        )
        body["decisions"] = [decision_json(d, staff=True) for d in outcome.decisions]
    return body


def decision_json(row, *, staff: bool = False) -> dict:
    body = {
        "kind": row.kind,
        "refer_to": row.refer_to,
        "decided_at": to_local(row.decided_at).isoformat(),
    }
    if staff:
        body.update(
            id=row.id,
            label=row.label,
            reason=row.reason,
            planned_sessions=row.planned_sessions,
            at_session=row.at_session,
            prompted=row.prompted,
            decided_by=row.decided_by.display_name if row.decided_by else None,
        )
    return body


def estimate_summary(booking: Booking) -> dict | None:
    """The course's current Good Faith Estimate, where the clinic gives them."""
    issued = good_faith.current(booking.course) if good_faith.applies() else None
    if issued is None:
        return None
    return {
        "version": issued.version,
        "issued_at": to_local(issued.issued_at).isoformat(),
        "total": price(issued.total_cents, issued.currency),
    }


def booking_course(booking: Booking, *, staff: bool = False) -> dict | None:
    return course_and_scores(booking, staff=staff)[0]


def course_json(view, booking: Booking | None = None) -> dict:
    """A patient's course: the plan, where they are, what it has cost and about what remains."""
    progress, course = view.progress, view.course
    body = {
        "condition": course.condition,
        "opened_at": to_local(course.opened_at).isoformat(),
        "planned_sessions": progress.planned,
        "planned_by_practitioner": view.planned_by_practitioner,
        "done": progress.done,
        "booked_ahead": progress.booked_ahead,
        "missed": progress.missed,
        "to_book": progress.to_book,
        "package_sessions": progress.package_sessions,
        "package_sessions_left": progress.package_left,
        "charged_so_far": price(progress.charged_cents, booking.currency if booking else "USD"),
        "remaining_estimate": price(
            progress.remaining_cents, booking.currency if booking else "USD"
        ),
    }
    if booking is not None:
        body["session_number"] = progress.number_of(booking.id)
    return body


def slots_json(slots) -> list[dict]:
    """Slots as the API gives them; practitioners share start times, so each is formatted once."""
    zone = clinic_zone()
    texts: dict = {}

    def text(moment):
        value = texts.get(moment)
        if value is None:
            value = texts[moment] = moment.astimezone(zone).isoformat()
        return value

    people: dict = {}
    return [
        {
            "start": text(slot.start),
            "end": text(slot.end),
            "practitioner": people.setdefault(
                slot.practitioner_id, {"id": slot.practitioner_id, "name": slot.practitioner_name}
            ),
        }
        for slot in slots
    ]


def iso(moment: datetime) -> str:
    return to_local(moment).isoformat()


def span(day: date, start: time, end: time) -> dict:
    """Clinic wall-clock times on a day as instants with their offset."""
    first, last = clock.span(day, start, end, clinic_zone())
    return {"start": iso(first), "end": iso(last)}


def calendar_booking_json(booking: Booking) -> dict:
    """A booking as the staff calendar shows it."""
    return {
        "id": booking.id,
        "reference": booking.reference,
        "start": iso(booking.start_at),
        "end": iso(booking.end_at),
        "status": booking.status,
        "practitioner": {"id": booking.practitioner.id, "name": booking.practitioner.name},
        "patient": {"id": booking.patient.id, "name": booking.patient.name},
        "service": {"slug": booking.service.slug, "name": booking.service.name},
    }


def booking_detail(booking: Booking) -> dict:
    """A booking opened by reception: contact details, price, source, note, next statuses."""
    body = calendar_booking_json(booking)
    course, scores, check_in = course_and_scores(booking, staff=True)
    body["patient"].update(email=booking.patient.email, phone=booking.patient.phone)
    body.update(
        price=price(booking.price_cents, booking.currency),
        source=booking.source,
        note=booking.note,
        cancel_reason=booking.cancel_reason,
        created_at=iso(booking.created_at),
        transitions=list(TRANSITIONS[booking.status]),
        course=course,
        pain_scores=scores,
        check_in=check_in,
    )
    return body


def patient_json(patient: Patient) -> dict:
    return {"id": patient.id, "name": patient.name, "email": patient.email, "phone": patient.phone}


def column_json(column: Column, bookings: dict[int, Booking]) -> dict:
    hours = [h for h in column.hours if h.weekday == column.day.weekday()]
    return {
        "practitioner": {"id": column.practitioner_id, "name": column.practitioner_name},
        "date": column.day.isoformat(),
        "hours": [span(column.day, h.start, h.end) for h in hours],
        "breaks": [
            span(column.day, h.break_start, h.break_end)
            for h in hours
            if h.break_start and h.break_end
        ],
        "time_off": [{"start": iso(off.start), "end": iso(off.end)} for off in column.time_off],
        "bookings": [
            calendar_booking_json(bookings[block.id])
            for block in column.bookings
            if block.status != HELD
        ],
        # Times held for a waitlist patient's answer: nobody else can book them.
        "held": [
            {"start": iso(block.start), "end": iso(block.end), "waitlist_entry": block.id}
            for block in column.bookings
            if block.status == HELD
        ],
    }


def calendar_json(grid: Grid, cancelled: list[Booking]) -> dict:
    bookings = bookings_by_id(
        block.id for column in grid.columns for block in column.bookings if block.status != HELD
    )
    return {
        "timezone": clinic().timezone,
        "columns": [column_json(column, bookings) for column in grid.columns],
        "cancelled": [calendar_booking_json(booking) for booking in cancelled],
    }


def _slot_json(slot) -> dict:
    return {
        "start": iso(slot.start),
        "end": iso(slot.end),
        "practitioner": {"id": slot.practitioner_id, "name": slot.practitioner_name},
    }


def series_json(rest) -> dict:
    """The proposed rest of a course (`services.series.RestOfCourse`): nothing booked yet."""
    practitioner = rest.practitioner
    sessions = []
    for proposal in rest.series.proposals:
        entry = {"number": proposal.number, "start": iso(proposal.wanted), "free": proposal.free}
        if proposal.slot is not None:
            entry.update(_slot_json(proposal.slot))
        entry["alternatives"] = [_slot_json(slot) for slot in proposal.alternatives]
        sessions.append(entry)
    return {
        "service": {"slug": rest.service.slug, "name": rest.service.name},
        "every_days": rest.every_days,
        "count": rest.count,
        "most": rest.most,
        "time": rest.at.strftime("%H:%M"),
        "practitioner": (
            {"id": practitioner.id, "name": practitioner.name} if practitioner else None
        ),
        "sessions": sessions,
        "beyond_horizon": [iso(moment) for moment in rest.series.beyond_horizon],
        "course": booking_course(rest.booking),
    }


def booked_series_json(booked, manage_url) -> dict:
    """The sessions just booked, each with its own manage link, and the course after them."""
    first = booked.bookings[0][0]
    return {
        "bookings": [
            {
                "reference": booking.reference,
                "start": iso(booking.start_at),
                "end": iso(booking.end_at),
                "practitioner": {"id": booking.practitioner.id, "name": booking.practitioner.name},
                "service": {"slug": booking.service.slug, "name": booking.service.name},
                "price": price(booking.price_cents, booking.currency),
                "manage_token": token,
                "manage_url": manage_url(token),
            }
            for booking, token in booked.bookings
        ],
        "course": booking_course(first),
    }


def offer_json(offer) -> dict:
    """A time held for a waitlist entry."""
    return {
        "status": offer.status,
        "start": iso(offer.start_at),
        "end": iso(offer.end_at),
        "practitioner": {"id": offer.practitioner_id, "name": offer.practitioner.name},
        "service": offer.service.slug,
        "held_until": iso(offer.expires_at),
    }


def waitlist_json(view, *, staff: bool = False) -> dict:
    """A waitlist entry as its patient (or reception) sees it."""
    entry = view.entry
    wish = view.wish
    body = {
        "status": entry.status,
        "position": view.position,
        "service": entry.service.slug,
        "practitioner": (
            {"id": entry.practitioner_id, "name": entry.practitioner.name}
            if entry.practitioner_id
            else None
        ),
        "earliest": entry.earliest.isoformat(),
        "latest": entry.latest.isoformat(),
        "days": [waitlist_rules.WEEKDAY_NAMES[d] for d in sorted(wish.days)],
        "parts_of_day": [p for p in waitlist_rules.PARTS_OF_DAY if p in wish.parts],
        "between": (
            {"from": wish.between[0].strftime("%H:%M"), "to": wish.between[1].strftime("%H:%M")}
            if wish.between
            else None
        ),
        "described": view.described,
        "closes_on": entry.closes_on.isoformat(),
        "offer": offer_json(view.offer) if view.offer else None,
        "booking": entry.booking.reference if entry.booking_id else None,
    }
    if staff:
        body["id"] = entry.id
        body["patient"] = patient_json(entry.patient)
        body["source"] = entry.source
    return body
