"""The JSON API under /api/v1: services, availability, estimates and bookings.

This is a stable contract: field names and codes change only with a new version.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.datastructures import MultiDict

from booking.domain import screening
from booking.domain.availability import MAX_RANGE_DAYS
from booking.domain.estimates import MAX_SESSIONS, Line
from booking.domain.money import amount
from booking.extensions import db
from booking.forms.public import PatientForm
from booking.models import Booking, Service
from booking.models.base import utcnow
from booking.services import availability
from booking.services.availability_cache import ResponseCache, current_version
from booking.services.bookings import (
    BookingError,
    BookingRequest,
    RedFlag,
    cancel_booking,
    change_deadline,
    create_booking,
    find_by_token,
    reschedule_booking,
)
from booking.services.clinic import current_disclaimer
from booking.views.helpers import clinic, clinic_zone, to_local
from booking.views.params import ParamError, parse_date, parse_id, parse_start

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Invalid(BookingError):
    code = "validation_error"


def invalid(fields: dict[str, str]) -> Invalid:
    return Invalid("Some of the details need correcting.", fields)


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
            "min_sessions": service.course_min,
            "typical_sessions": service.course_typical,
            "max_sessions": service.course_max,
        },
    }


def booking_json(booking: Booking) -> dict:
    return {
        "reference": booking.reference,
        "status": booking.status,
        "service": {"slug": booking.service.slug, "name": booking.service.name},
        "start": to_local(booking.start_at).isoformat(),
        "end": to_local(booking.end_at).isoformat(),
        "practitioner": {"id": booking.practitioner.id, "name": booking.practitioner.name},
        "price": price(booking.price_cents, booking.currency),
        "change_deadline": to_local(change_deadline(booking)).isoformat(),
    }


def find_service(slug: object, field: str = "service") -> Service:
    service = None
    if isinstance(slug, str) and 0 < len(slug) <= 60:
        service = db.session.execute(
            db.select(Service).where(Service.slug == slug, Service.active.is_(True))
        ).scalar_one_or_none()
    if service is None:
        raise invalid({field: "Unknown service. GET /api/v1/services lists them."})
    return service


def check_practitioner(service: Service, value: object) -> int | None:
    try:
        practitioner_id = parse_id(value)
    except ParamError as error:
        raise invalid({"practitioner": str(error)}) from error
    if practitioner_id is not None and practitioner_id not in {
        p.id for p in availability.practitioners_for(service)
    }:
        raise invalid({"practitioner": "No such practitioner gives this service."})
    return practitioner_id


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BookingError("The request body must be a JSON object.")
    return body


def booking_for(token: str) -> Booking:
    booking = find_by_token(token)
    if booking is None:
        raise NotFound("No booking matches that link.")
    return booking


class NotFound(BookingError):
    code = "not_found"
    status = 404


@bp.get("/services")
def services():
    rows = db.session.execute(
        db.select(Service).where(Service.active.is_(True)).order_by(Service.position)
    ).scalars()
    return jsonify([service_json(s) for s in rows])


@bp.get("/availability")
def free_times():
    fields = {}
    dates = {}
    for name in ("from", "to"):
        try:
            dates[name] = parse_date(request.args.get(name), f"'{name}'")
        except ParamError as error:
            fields[name] = str(error)
    if not fields and dates["to"] < dates["from"]:
        fields["to"] = "'to' must be on or after 'from'."
    if not fields and dates["to"] - dates["from"] >= timedelta(days=MAX_RANGE_DAYS):
        fields["to"] = f"Ask for at most {MAX_RANGE_DAYS} days at a time."
    # Answers are computed for the start of the minute, so a cached one stays exact
    # for its whole minute (a booking itself is always checked at the real time).
    now = utcnow().replace(second=0, microsecond=0)
    cache: ResponseCache = current_app.extensions["availability_cache"]
    version = current_version()
    # Only valid questions are ever stored, so a hit needs no further checks.
    key = (request.args.get("service"), request.args.get("practitioner"), now, *dates.values())
    if not fields and (body := cache.get(key, version)) is not None:
        return current_app.response_class(body, mimetype="application/json")
    service = find_service(request.args.get("service"))
    if fields:
        raise invalid(fields)
    practitioner_id = check_practitioner(service, request.args.get("practitioner"))
    slots = availability.free_slots(
        service, dates["from"], dates["to"], practitioner_id=practitioner_id, now=now
    )
    document = {"service": service.slug, "timezone": clinic().timezone, "slots": slots_json(slots)}
    body = current_app.json.dumps(document).encode()
    cache.put(key, version, body)
    return current_app.response_class(body, mimetype="application/json")


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


@bp.get("/estimate")
def estimate():
    service = find_service(request.args.get("service"))
    sessions = None
    raw = request.args.get("sessions")
    if raw is not None:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_SESSIONS:
            raise invalid(
                {"sessions": f"Give a whole number of sessions from 1 to {MAX_SESSIONS}."}
            )
        sessions = int(raw)
    currency = clinic().currency
    result = service.estimate(currency, sessions)

    def line(item: Line) -> dict:
        return {
            "sessions": item.sessions,
            "total": price(item.total_cents, currency),
            "market_total": {
                "low": price(item.market_low_cents, currency),
                "high": price(item.market_high_cents, currency),
            },
        }

    body = {
        "service": service.slug,
        "price_per_session": price(service.price_cents, currency),
        "market_per_session": {
            "low": price(result.lines[0].market_low_cents // result.lines[0].sessions, currency),
            "high": price(result.lines[0].market_high_cents // result.lines[0].sessions, currency),
        },
        "sessions": {item.label: item.sessions for item in result.lines},
        "totals": {item.label: line(item) for item in result.lines},
        "disclaimer": current_disclaimer().text,
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
    return jsonify(body)


def patient_fields(patient: object) -> tuple[dict, dict]:
    if not isinstance(patient, dict):
        return {}, {"patient": "Give the patient's name, email and phone."}
    values, fields = {}, {}
    for key in ("name", "email", "phone"):
        value = patient.get(key, "")
        if not isinstance(value, str):
            fields[f"patient.{key}"] = "Must be text."
        values[key] = value if isinstance(value, str) else ""
    form = PatientForm(formdata=MultiDict(values))
    if not form.validate():
        for key, messages in form.errors.items():
            fields.setdefault(f"patient.{key}", messages[0])
    return {key: form[key].data for key in values}, fields


def screening_answers(answers: object) -> tuple[dict, dict]:
    if not isinstance(answers, dict):
        return {}, {"screening": "Answer each screening question with true or false."}
    values, fields = {}, {}
    for key in screening.KEYS:
        if isinstance(answers.get(key), bool):
            values[key] = answers[key]
        else:
            fields[f"screening.{key}"] = "Answer true or false."
    return values, fields


def screened_answers(answers: object) -> tuple[dict, dict]:
    """The screening answers and field errors; a red flag raises before anything else.

    Safety first: someone who should see a doctor is told so before being asked to
    fix a typo anywhere else in the request.
    """
    values, fields = screening_answers(answers)
    if not fields:
        result = screening.screen(values)
        if not result.clear:
            raise RedFlag(result)
    return values, fields


@bp.post("/bookings")
def book():
    body = json_body()
    service = find_service(body.get("service"))
    answers, fields = screened_answers(body.get("screening"))
    patient, patient_errors = patient_fields(body.get("patient"))
    fields.update(patient_errors)
    try:
        start = parse_start(body.get("start"))
    except ParamError as error:
        fields["start"] = str(error)
    if body.get("disclaimer_accepted") is not True:
        fields["disclaimer_accepted"] = (
            "Please confirm you understand acupuncture complements, and does not replace, "
            "seeing your GP or doctor."
        )
    if fields:
        raise invalid(fields)
    practitioner_id = check_practitioner(service, body.get("practitioner"))
    booking, token = create_booking(
        BookingRequest(
            service=service,
            start=start,
            practitioner_id=practitioner_id,
            answers=answers,
            **patient,
        )
    )
    body = booking_json(booking)
    body["manage_token"] = token
    body["manage_url"] = url_for("public.manage", token=token, _external=True)
    return jsonify(body), 201


@bp.get("/bookings/<token>")
def show_booking(token: str):
    return jsonify(booking_json(booking_for(token)))


@bp.post("/bookings/<token>/cancel")
def cancel(token: str):
    booking = booking_for(token)
    body = request.get_json(silent=True) if request.data else {}
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    if not isinstance(reason, str) or len(reason) > 300:
        raise invalid({"reason": "Give the reason as text of at most 300 characters."})
    return jsonify(booking_json(cancel_booking(booking, reason=reason)))


@bp.post("/bookings/<token>/reschedule")
def reschedule(token: str):
    booking = booking_for(token)
    body = json_body()
    try:
        start = parse_start(body.get("start"))
    except ParamError as error:
        raise invalid({"start": str(error)}) from error
    practitioner_id = check_practitioner(booking.service, body.get("practitioner"))
    return jsonify(
        booking_json(reschedule_booking(booking, start, practitioner_id=practitioner_id))
    )
