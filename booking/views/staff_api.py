"""The staff calendar's data as JSON under /api/v1/staff, behind the same login.

Session-cookie authenticated, so unlike the patient API it keeps CSRF protection:
send the token from GET /api/v1/staff/csrf in an X-CSRFToken header.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from booking.domain import screening
from booking.domain.clock import week_days
from booking.errors import NotFound, ValidationError
from booking.extensions import db
from booking.forms.staff import StaffBookingForm
from booking.models import Booking, Course, Patient, Practitioner, Service, WaitlistEntry
from booking.models.audit import EXPORTED
from booking.models.base import utcnow
from booking.services import clearances, courses, outcomes, privacy, record_access, waitlist
from booking.services.bookings import (
    MARKABLE,
    BookingRequest,
    cancel_booking,
    create_booking,
    reschedule_booking,
    set_status,
)
from booking.services.patients import find_patients
from booking.services.timetable import day_grid, week_grid
from booking.views.access import owner_required, staff_only
from booking.views.helpers import to_local
from booking.views.params import (
    MAX_ID,
    ParamError,
    check_in_answers,
    check_practitioner,
    clearance_note,
    find_service,
    invalid,
    join_request,
    json_body,
    new_time,
    parse_date,
    parse_id,
    parse_start,
    reason_text,
    screened_answers,
)
from booking.views.serializers import (
    booking_detail,
    calendar_json,
    course_json,
    decision_json,
    outcome_json,
    pain_scores_json,
    patient_json,
    waitlist_json,
)

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1/staff")

# The reception booking form's fields, by the names this API gives them in errors.
FORM_FIELDS = {
    "name": "patient.name",
    "email": "patient.email",
    "phone": "patient.phone",
    **{key: f"screening.{key}" for key in screening.KEYS},
}


staff_only(bp)


def requested_day() -> date:
    """?date=YYYY-MM-DD, clinic-local; today when left out."""
    text = request.args.get("date")
    if not text:
        return to_local(utcnow()).date()
    try:
        return parse_date(text)
    except ParamError as error:
        raise invalid({"date": error.message}) from error


def patient_or_404(patient_id: int) -> Patient:
    record = db.session.get(Patient, patient_id)
    if record is None:
        raise NotFound("No patient has that id.")
    return record


def booking_or_404(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No booking has that id.")
    return booking


def booking_form(
    body: dict, service: Service, answers: dict[str, bool], patient_id: int | None
) -> StaffBookingForm:
    """Reception's booking form filled from JSON, so the page and the API share its rules."""
    patient = body.get("patient") if isinstance(body.get("patient"), dict) else {}
    data = MultiDict({"service": service.slug})
    for key in ("name", "email", "phone"):
        if isinstance(patient.get(key), str):
            data[key] = patient[key]
    if patient_id:
        data["patient_id"] = str(patient_id)
    if isinstance(body.get("source"), str):
        data["source"] = body["source"]
    if body.get("disclaimer_read") is True:
        data["disclaimer_read"] = "y"
    for key, value in answers.items():
        data[key] = "yes" if value else "no"
    form = StaffBookingForm(formdata=data, meta={"csrf": False})
    form.service.choices = [(service.slug, service.name)]
    return form


@bp.get("/csrf")
def csrf_token():
    return jsonify(csrf_token=generate_csrf())


@bp.get("/calendar/day")
def calendar_day():
    day = requested_day()
    body = {"date": day.isoformat(), **calendar_json(*day_grid(day))}
    return jsonify(body)


@bp.get("/calendar/week")
def calendar_week():
    try:
        practitioner_id = parse_id(request.args.get("practitioner"))
    except ParamError as error:
        raise invalid({"practitioner": error.message}) from error
    if practitioner_id is None:
        raise invalid({"practitioner": "Give a practitioner id."})
    day = requested_day()
    practitioner = db.session.get(Practitioner, practitioner_id)
    if practitioner is None:
        raise NotFound("No practitioner has that id.")
    days = week_days(day)
    body = {
        "practitioner": {"id": practitioner.id, "name": practitioner.name},
        "from": days[0].isoformat(),
        "to": days[-1].isoformat(),
        **calendar_json(*week_grid(practitioner, day)),
    }
    return jsonify(body)


@bp.get("/patients")
def patients():
    query = request.args.get("q", "")[:100]
    return jsonify(patients=[patient_json(p) for p in find_patients(query)])


@bp.get("/patients/<id:patient_id>/export")
def patient_export(patient_id: int):
    """The patient's whole record (the right of access), as the staff page shows it."""
    record = patient_or_404(patient_id)
    record_access.opened(current_user, record.id, EXPORTED)
    return jsonify(privacy.export_patient(record))


@bp.post("/patients/<id:patient_id>/erase")
@owner_required
def patient_erase(patient_id: int):
    """The owner erases the patient's details; 409 has_future_bookings while any remain."""
    record = patient_or_404(patient_id)
    erased = privacy.erase_patient(record, actor=current_user)
    return jsonify(
        erased=True,
        patient=record.id,
        erased_at=record.erased_at.isoformat(),
        bookings_kept=erased.bookings,
        audit_entries_scrubbed=erased.audit_entries,
    )


@bp.get("/bookings/<id:booking_id>")
def booking(booking_id: int):
    item = booking_or_404(booking_id)
    record_access.opened_booking(current_user, item)
    return jsonify(booking_detail(item))


@bp.post("/bookings")
def book():
    """A phone or walk-in booking: may fall inside the minimum notice, never on a taken time."""
    body = json_body()
    service = find_service(body.get("service"))
    clearance, fields_of_clearance = clearance_note(body.get("clearance"))
    answers, fields = screened_answers(body.get("screening"), cleared=clearance is not None)
    fields.update(fields_of_clearance)
    try:
        patient_id = parse_id(body.get("patient_id"))
    except ParamError:
        fields["patient_id"] = "Give an existing patient's id, or the new patient's details."
        patient_id = None
    if patient_id and (patient_id > MAX_ID or db.session.get(Patient, patient_id) is None):
        fields["patient_id"] = "No patient has that id."
    form = booking_form(body, service, answers, patient_id)
    if not form.validate():
        for name, messages in form.errors.items():
            if name in screening.FOLLOW_UP_KEYS:
                continue  # optional here: left out, a yes to cancer is a red flag
            fields.setdefault(FORM_FIELDS.get(name, name), messages[0])
    try:
        start = parse_start(body.get("start"))
    except ParamError as error:
        fields["start"] = error.message
    try:
        practitioner_id = check_practitioner(service, body.get("practitioner"))
    except ValidationError as error:
        fields.update(error.fields)
    if fields:
        raise invalid(fields)
    booking, _token = create_booking(
        BookingRequest(
            service=service,
            start=start,
            practitioner_id=practitioner_id,
            name=form.name.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            answers=answers,
            source=form.source.data,
            patient_id=patient_id,
            clearance=clearance,
        ),
        enforce_notice=False,
        actor=current_user,
    )
    response = jsonify(booking_detail(booking))
    response.headers["Location"] = url_for("staff_api.booking", booking_id=booking.id)
    return response, 201


@bp.post("/bookings/<id:booking_id>/move")
def move(booking_id: int):
    booking = booking_or_404(booking_id)
    start, practitioner_id = new_time(booking.service, json_body())
    moved = reschedule_booking(booking, start, practitioner_id=practitioner_id, actor=current_user)
    return jsonify(booking_detail(moved))


@bp.post("/bookings/<id:booking_id>/cancel")
def cancel(booking_id: int):
    booking = booking_or_404(booking_id)
    reason = reason_text(json_body(), required=True)
    return jsonify(booking_detail(cancel_booking(booking, reason=reason, actor=current_user)))


@bp.post("/bookings/<id:booking_id>/status")
def status(booking_id: int):
    booking = booking_or_404(booking_id)
    value = json_body().get("status")
    if value not in MARKABLE:
        raise invalid(
            {
                "status": f"Give one of: {', '.join(MARKABLE)}. "
                "To cancel, POST to the booking's /cancel."
            }
        )
    return jsonify(booking_detail(set_status(booking, value, actor=current_user)))


def course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound("No course has that id.")
    return course


@bp.get("/courses/<id:course_id>/outcome")
def course_outcome(course_id: int):
    """How the course is going: scores, the improvement, the prompt, the decisions."""
    course = course_or_404(course_id)
    record_access.opened(current_user, course.patient_id)
    view = courses.view(course)
    outcome = outcomes.outcome(view)
    body = course_json(view)
    body.update(id=course.id, patient=course.patient_id, outcome=outcome_json(outcome, staff=True))
    body["pain_scores"] = pain_scores_json(None, outcome)
    return jsonify(body)


@bp.post("/courses/<id:course_id>/decision")
def course_decision(course_id: int):
    """{"kind": "continue" | "refer" | "discharge", "refer_to", "reason",
    "planned_sessions"}: what the practitioner decided."""
    course = course_or_404(course_id)
    body = json_body()
    unknown = sorted(set(body) - {"kind", "refer_to", "reason", "planned_sessions"})
    if unknown:
        raise invalid({key: "Not a field of a decision." for key in unknown})
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise invalid({"reason": "Must be text."})
    row = outcomes.decide(
        course,
        outcomes.DecisionRequest(
            kind=body.get("kind") if isinstance(body.get("kind"), str) else "",
            refer_to=body.get("refer_to") if isinstance(body.get("refer_to"), str) else None,
            reason=reason,
            planned_sessions=body.get("planned_sessions"),
        ),
        actor=current_user,
    )
    answer = decision_json(row, staff=True)
    if row.referral:
        answer["letter_url"] = url_for("staff.referral_letter", decision_id=row.id)
    response = jsonify(answer)
    response.headers["Location"] = url_for("staff_api.course_outcome", course_id=course.id)
    return response, 201


@bp.post("/bookings/<id:booking_id>/check-in")
def booking_check_in(booking_id: int):
    """Staff record or correct a visit's scores (and a licensed disability index)."""
    booking = booking_or_404(booking_id)
    outcomes.record(booking, check_in_answers(json_body(), staff=True), actor=current_user)
    return jsonify(booking_detail(booking))


@bp.post("/bookings/<id:booking_id>/clearance")
def booking_clearance(booking_id: int):
    """A doctor has seen the patient about what they reported before this visit."""
    booking = booking_or_404(booking_id)
    note, fields = clearance_note(json_body())
    if fields:
        raise invalid({key.removeprefix("clearance."): text for key, text in fields.items()})
    clearances.clear_reported(booking, note, actor=current_user)
    return jsonify(booking_detail(booking))


# --- the waitlist ---------------------------------------------------------------------


def entry_or_404(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound("No waitlist entry has that id.")
    return entry


@bp.get("/waitlist")
def waitlist_entries():
    """The line: ?service=ID&practitioner=ID&date=YYYY-MM-DD narrow it."""
    chosen = {}
    try:
        chosen["service_id"] = parse_id(request.args.get("service"))
        chosen["practitioner_id"] = parse_id(request.args.get("practitioner"))
        text = request.args.get("date")
        chosen["day"] = parse_date(text) if text else None
    except ParamError as error:
        raise invalid({"filter": error.message}) from error
    return jsonify(
        {
            "entries": [
                waitlist_json(waitlist.view(entry), staff=True)
                for entry in waitlist.entries(**chosen)
            ]
        }
    )


@bp.post("/waitlist")
def waitlist_join():
    """Reception adds a patient by phone: the public body, with `disclaimer_read`."""
    entry, _token = waitlist.join(join_request(json_body(), staff=True), actor=current_user)
    response = jsonify(waitlist_json(waitlist.view(entry), staff=True))
    response.headers["Location"] = url_for("staff_api.waitlist_entry", entry_id=entry.id)
    return response, 201


@bp.get("/waitlist/<id:entry_id>")
def waitlist_entry(entry_id: int):
    return jsonify(waitlist_json(waitlist.view(entry_or_404(entry_id)), staff=True))


@bp.post("/waitlist/<id:entry_id>/move-up")
def waitlist_move_up(entry_id: int):
    """{"reason": "...", "to_front": bool}: one place up, or to the front."""
    entry = entry_or_404(entry_id)
    body = json_body()
    reason = reason_text(body, required=True)
    to_front = body.get("to_front", False)
    if not isinstance(to_front, bool):
        raise invalid({"to_front": "Give true or false."})
    waitlist.move_up(entry, reason=reason, actor=current_user, to_front=to_front)
    return jsonify(waitlist_json(waitlist.view(entry), staff=True))


@bp.post("/waitlist/<id:entry_id>/remove")
def waitlist_remove(entry_id: int):
    """{"reason": "..."}: off the waitlist (a time held for them goes down the line)."""
    entry = entry_or_404(entry_id)
    waitlist.leave(entry, actor=current_user, reason=reason_text(json_body(), required=True))
    return jsonify(waitlist_json(waitlist.view(entry), staff=True))


@bp.post("/waitlist/<id:entry_id>/offer")
def waitlist_offer(entry_id: int):
    """{"start": ISO 8601, "practitioner": id}: hold that free time for them and email."""
    entry = entry_or_404(entry_id)
    start, practitioner_id = new_time(entry.service, json_body())
    if practitioner_id is None:
        raise invalid({"practitioner": "Say whose time to offer."})
    waitlist.offer_time(entry, practitioner_id, start, actor=current_user)
    response = jsonify(waitlist_json(waitlist.view(entry), staff=True))
    response.headers["Location"] = url_for("staff_api.waitlist_entry", entry_id=entry.id)
    return response, 201


@bp.post("/waitlist/<id:entry_id>/withdraw")
def waitlist_withdraw(entry_id: int):
    """Take back the time held for them: free for the desk for 15 minutes."""
    entry = entry_or_404(entry_id)
    offer = waitlist.open_offer(entry)
    if offer is None:
        raise waitlist.OfferExpired("No time is held for this entry.")
    waitlist.withdraw(offer, actor=current_user)
    return jsonify(waitlist_json(waitlist.view(entry), staff=True))
