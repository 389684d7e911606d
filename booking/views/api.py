"""The JSON API under /api/v1: services, availability, estimates and bookings.

This is a stable contract: field names and codes change only with a new version.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from booking.domain import screening
from booking.domain.estimates import MAX_SESSIONS
from booking.errors import NotFound
from booking.models import Booking, WaitlistEntry
from booking.models.base import utcnow
from booking.presenters import api_docs
from booking.services import availability, clearances, good_faith, outcomes, series, waitlist
from booking.services.availability_cache import ResponseCache, current_version
from booking.services.bookings import (
    BookingRequest,
    cancel_booking,
    create_booking,
    find_by_token,
    reschedule_booking,
)
from booking.services.catalogue import offered_services
from booking.services.clinic import current_disclaimer
from booking.services.links import absolute_url
from booking.views.helpers import clinic, public_client
from booking.views.openapi import document
from booking.views.params import (
    ParamError,
    check_in_answers,
    check_practitioner,
    date_range,
    find_service,
    insurance_fields,
    invalid,
    join_request,
    json_body,
    new_time,
    parse_start,
    patient_fields,
    reason_text,
    screened_answers,
    series_body,
)
from booking.views.serializers import (
    booked_series_json,
    booking_json,
    estimate_json,
    series_json,
    service_json,
    slots_json,
    waitlist_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Public answers any cache may keep a moment: the catalogue and estimates change only
# when the owner edits them. Availability is revalidated on every use (304 when the
# answer is the same), and anything under a patient's token is never stored.
CACHE_FOR = {
    "api.services": "public, max-age=60",
    "api.estimate": "public, max-age=60",
    "api.openapi": "public, max-age=300",
    "api.docs": "public, max-age=300",
}
REVALIDATE = "public, no-cache"


@bp.after_request
def http_caching(response):
    """ETag and Cache-Control on GETs (304 for a client that has the answer already);
    `no-store` on everything that carries a token or changes something."""
    endpoint = request.endpoint or ""
    carries_token = "token" in (request.view_args or {})
    if request.method != "GET" or carries_token or response.status_code != 200:
        response.headers["Cache-Control"] = "no-store"
        return response
    response.headers["Cache-Control"] = CACHE_FOR.get(endpoint, REVALIDATE)
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/openapi.json")
def openapi():
    """The API's contract, OpenAPI 3.1."""
    return jsonify(document())


@bp.get("/docs")
def docs():
    """The contract for people: drawn from the same document, with no script."""
    spec = document()
    schemas = api_docs.schemas(spec)
    return render_template(
        "api/docs.html",
        info=spec["info"],
        sections=api_docs.sections(spec),
        schemas=schemas,
        schema_names={schema.name for schema in schemas},
        blocks=api_docs.blocks,
        spans=api_docs.spans,
    )


@bp.get("/services")
def services():
    return jsonify([service_json(s) for s in offered_services()])


@bp.get("/availability")
def free_times():
    dates, fields = date_range(request.args)
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


@bp.get("/estimate")
def estimate():
    service = find_service(request.args.get("service"))
    sessions = None
    raw = request.args.get("sessions")
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_SESSIONS:
            raise invalid(
                {"sessions": f"Give a whole number of sessions from 1 to {MAX_SESSIONS}."}
            )
        sessions = int(raw)
    currency = clinic().currency
    result = service.estimate(currency, sessions)
    return jsonify(estimate_json(service, result, currency, current_disclaimer().text))


def booking_for(token: str) -> Booking:
    booking = find_by_token(token)
    if booking is None:
        raise NotFound("No booking matches that link.")
    return booking


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
        fields["start"] = error.message
    insurance, fields_of_estimate = insurance_fields(body)
    fields.update(fields_of_estimate)
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
            client_address=public_client(),
            **insurance,
            **patient,
        )
    )
    body = booking_json(booking)
    body["manage_token"] = token
    body["manage_url"] = absolute_url("public.manage", token=token)
    if good_faith.current(booking.course) is not None:
        body["good_faith_estimate_url"] = absolute_url("public.estimate", token=token)
    return created(body, url_for("api.show_booking", token=token))


def created(body: dict, location: str):
    """201 with the new resource's address (RFC 9110 15.3.2)."""
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@bp.get("/bookings/<token>")
def show_booking(token: str):
    return jsonify(booking_json(booking_for(token)))


@bp.post("/bookings/<token>/cancel")
def cancel(token: str):
    booking = booking_for(token)
    reason = reason_text(json_body(optional=True), required=False)
    return jsonify(booking_json(cancel_booking(booking, reason=reason, client=public_client())))


@bp.post("/bookings/<token>/reschedule")
def reschedule(token: str):
    booking = booking_for(token)
    start, practitioner_id = new_time(booking.service, json_body())
    return jsonify(
        booking_json(
            reschedule_booking(
                booking, start, practitioner_id=practitioner_id, client=public_client()
            )
        )
    )


@bp.post("/bookings/<token>/course")
def book_course(token: str):
    """Propose (`"preview": true`) or book the rest of the booking's course in one go."""
    booking = booking_for(token)
    body = json_body(optional=True)
    values, fields = series_body(body)
    if fields:
        raise invalid(fields)
    practitioner = series.SAME
    if "practitioner" in body:
        practitioner = check_practitioner(series.follow_up_of(booking), body["practitioner"])
    rest = series.rest_of_course(
        booking,
        every_days=values["every_days"],
        count=values["count"],
        practitioner_id=practitioner,
        at=values["at"],
    )
    if values["preview"]:
        return jsonify(series_json(rest))
    starts = values["starts"]
    if starts is None and values["count"] is None and rest.progress.to_book == 0:
        # Every planned session is booked: a retry must not quietly add one more.
        raise series.CourseFullyBooked(
            f"All {rest.progress.planned} planned sessions are booked. To book more, give "
            "count (or starts)."
        )
    if starts is None:
        # The proposed times as they are: a taken one is named, with nothing booked.
        if rest.series.taken:
            first = rest.series.taken[0]
            number = series.in_diary(rest.progress) + first.number
            message = series.taken_message(number, first.wanted)
            raise series.SlotTaken(message, {"starts": message})
        starts = [proposal.wanted for proposal in rest.series.proposals]
        values["offered_with"] = {p.wanted: p.slot.practitioner_id for p in rest.series.proposals}
    booked = series.book_rest(
        booking,
        starts,
        practitioner_id=practitioner,
        offered_with=values["offered_with"],
        client=public_client(),
    )
    body = booked_series_json(booked, lambda t: absolute_url("public.manage", token=t))
    if values["starts"] is None and rest.series.beyond_horizon:
        body["beyond_horizon"] = series_json(rest)["beyond_horizon"]
    return created(body, url_for("api.show_booking", token=booked.bookings[0][1]))


@bp.post("/bookings/<token>/check-in")
def check_in(token: str):
    """Before a visit: {"pain": 0-10, "peg": {...}, "new_red_flags": {every screening key:
    bool}}. A red flag reported as new cancels nothing: the answer says to see a doctor,
    and reception is told."""
    booking = booking_for(token)
    outcomes.record(booking, check_in_answers(json_body()))
    body = booking_json(booking)
    # What still waits for a doctor: a flag a clearance answered is not reported again.
    result = screening.Result(tuple(clearances.waiting_flags(booking.patient)))
    body["red_flags"] = (
        None
        if result.clear
        else {
            "reported": list(result.red_flags),
            "urgent": result.urgent,
            "advice": screening.RECHECK_ADVICE,
            "urgent_advice": screening.URGENT_ADVICE if result.urgent else None,
            "booking_kept": True,
        }
    )
    return jsonify(body)


# --- the waitlist ---------------------------------------------------------------------


def entry_for(token: str) -> WaitlistEntry:
    entry = waitlist.find_by_token(token)
    if entry is None:
        raise NotFound("No place on the waitlist matches that link.")
    return entry


@bp.post("/waitlist")
def join_waitlist():
    """Join the waitlist: 201 {token, position}; the private link is emailed too."""
    entry, token = waitlist.join(join_request(json_body(), client=public_client()))
    body = {"token": token, "position": waitlist.position(entry)}
    body["url"] = absolute_url("public.waitlist_entry", token=token)
    return created(body, url_for("api.show_waitlist_entry", token=token))


@bp.get("/waitlist/<token>")
def show_waitlist_entry(token: str):
    return jsonify(waitlist_json(waitlist.view(entry_for(token))))


@bp.delete("/waitlist/<token>")
def leave_waitlist(token: str):
    """Leave the waitlist (a time held for you goes to the next person): 204."""
    waitlist.leave(entry_for(token))
    return "", 204


@bp.post("/waitlist/<token>/claim")
def claim_offer(token: str):
    """Book the time held for you: 201 with the booking, as POST /bookings answers;
    409 offer_expired or slot_taken."""
    booking, manage = waitlist.claim(entry_for(token))
    body = booking_json(booking)
    body["manage_token"] = manage
    body["manage_url"] = absolute_url("public.manage", token=manage)
    return created(body, url_for("api.show_booking", token=manage))


@bp.post("/waitlist/<token>/decline")
def decline_offer(token: str):
    """Let the time held for you go to the next person; you keep your place."""
    entry = entry_for(token)
    waitlist.decline(entry)
    return jsonify(waitlist_json(waitlist.view(entry)))
