"""Phone and walk-in bookings, and opening a booking to move, cancel, mark or annotate it."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields import SelectChoice

from booking.domain import screening
from booking.domain.outcomes import DISABILITY_MEASURES
from booking.errors import ClinicError, ValidationError
from booking.extensions import db
from booking.forms.public import ConfirmForm
from booking.forms.staff import (
    ClearanceForm,
    DecisionForm,
    MoveForm,
    NoteForm,
    ScoresForm,
    StaffBookingForm,
    StaffCancelForm,
    StatusForm,
)
from booking.models import Booking, Patient, Practitioner
from booking.models.base import utcnow
from booking.models.booking import STATUS_ACTIONS
from booking.services import (
    availability,
    clearances,
    courses,
    good_faith,
    outcomes,
    record_access,
    series,
)
from booking.services.audit import history
from booking.services.bookings import (
    BookingRequest,
    RedFlag,
    cancel_booking,
    create_booking,
    format_reference,
    next_statuses,
    reschedule_booking,
    set_note,
    set_status,
)
from booking.services.clinic import current_disclaimer
from booking.services.patients import find_patients, usual_service
from booking.views.helpers import clock, outcome_context, series_page, short_date, to_local
from booking.views.params import ParamError, chosen_starts, parse_date, parse_id, parse_start
from booking.views.staff import bp

# The clearance's fields, by the names services.clearances gives them in errors.
CLEARANCE_FIELDS = {
    "cleared_by": "cleared_by",
    "cleared_on": "cleared_on",
    "note": "clearance_note",
}


def red_flag_context(result: screening.Result) -> dict:
    return {
        "red_flags": result,
        "advice": screening.ADVICE,
        "urgent_advice": screening.URGENT_ADVICE,
        "flag_labels": {key: screening.flag_label(key) for key in screening.KEYS},
    }


def booking_or_404(booking_id: int) -> Booking:
    return db.get_or_404(Booking, booking_id)


def fitting_services(services, start, practitioner) -> list:
    """The consultations that fit at `start`: free for long enough, buffer included."""
    return [
        service
        for service in services
        if availability.slots_at(
            service, start, practitioner_id=practitioner.id, enforce_notice=False
        )
    ]


def flagged_form(form: StaffBookingForm) -> dict:
    """The red-flag part of the page for a form sent with every safety answer given and a
    red flag among them; nothing otherwise."""
    if request.method != "POST":
        return {}
    if any(form[key].data not in ("yes", "no") for key in screening.KEYS):
        return {}
    result = screening.screen(form.screening_answers())
    return {} if result.clear else red_flag_context(result)


def book_from_form(form: StaffBookingForm, service, start, practitioner):
    """The booking made from reception's form, or (None, status, what the page adds):
    after a red flag, the page again with the way to record a doctor's clearance."""
    try:
        booking, _token = create_booking(
            BookingRequest(
                service=service,
                start=start,
                practitioner_id=practitioner.id,
                name=form.name.data or "",
                email=form.email.data or "",
                phone=form.phone.data or "",
                answers=form.screening_answers(),
                source=form.source.data,
                patient_id=form.patient_id.data or None,
                uses_insurance=form.uses_insurance if good_faith.applies() else None,
                date_of_birth=form.birth_date if good_faith.applies() else None,
                clearance=form.clearance,
            ),
            enforce_notice=False,
            actor=current_user,
        )
    except RedFlag as red_flag:
        # The same page again, everything kept, with the way to record a clearance.
        return None, 422, red_flag_context(red_flag.result)
    except ValidationError as error:
        if not set(error.fields or ()) & CLEARANCE_FIELDS.keys():
            return None, error.status, {"error": error.message}
        for name, message in error.fields.items():
            form[CLEARANCE_FIELDS.get(name, name)].errors = [message]
        result = screening.screen(form.screening_answers())
        return None, 422, red_flag_context(result)
    except ClinicError as error:
        return None, error.status, {"error": error.message}
    return booking


@bp.route("/bookings/new", methods=["GET", "POST"])
def new_booking():
    try:
        start = parse_start(request.args.get("start"))
        practitioner_id = parse_id(request.args.get("practitioner"))
    except ParamError:
        flash("Choose a free time in the calendar first.")
        return redirect(url_for("staff.day"))
    practitioner = db.session.get(Practitioner, practitioner_id) if practitioner_id else None
    if practitioner is None or not practitioner.active:
        flash("Choose a free time in the calendar first.")
        return redirect(url_for("staff.day"))
    services = [s for s in practitioner.services if s.active]
    fitting = fitting_services(services, start, practitioner)
    form = StaffBookingForm()
    form.service.choices = [
        SelectChoice(s.slug, f"{s.name} ({s.duration_minutes} min)")
        if s in fitting
        else SelectChoice(
            s.slug,
            f"{s.name} ({s.duration_minutes} min), does not fit at {clock(start)}",
            {"disabled": True},
        )
        for s in services
    ]
    # Nothing is chosen for reception unless it is all but certain: a placeholder first.
    form.service.choices.insert(0, SelectChoice("", "Choose a consultation…"))
    query = request.args.get("q", "")
    matches = find_patients(query) if query else []
    if request.method == "GET" and len(matches) == 1:
        form.patient_id.data = matches[0].id  # the one patient the search found
    chosen_patient = db.session.get(Patient, form.patient_id.data) if form.patient_id.data else None
    if chosen_patient and chosen_patient not in matches:
        matches.insert(0, chosen_patient)
    if not form.service.data and request.args.get("service"):
        form.service.data = request.args.get("service")
    if not form.service.data and chosen_patient:
        usual = usual_service(chosen_patient, fitting)
        form.service.data = usual.slug if usual else None
    if not form.service.data and len(fitting) == 1:
        form.service.data = fitting[0].slug  # the only one that fits here
    context = {
        "form": form,
        "start": start,
        "practitioner": practitioner,
        "query": query,
        "matches": matches,
        "disclaimer": current_disclaimer(),
        "nothing_fits": not fitting,
        "good_faith": good_faith.applies(),
    }
    if not form.validate_on_submit():
        # A mistake elsewhere on a red-flag form keeps the clearance fields in view.
        context.update(flagged_form(form))
        return render_template("staff/new_booking.html", **context), 422 if form.errors else 200
    service = next(s for s in services if s.slug == form.service.data)
    booking = book_from_form(form, service, start, practitioner)
    if not isinstance(booking, Booking):
        _, status, extra = booking
        return render_template("staff/new_booking.html", **context, **extra), status
    flash(
        f"Booked {booking.patient.name} for {short_date(booking.start_at)} "
        f"at {clock(booking.start_at)}."
    )
    return redirect(url_for("staff.booking", booking_id=booking.id))


@bp.get("/bookings/<id:booking_id>")
def booking(booking_id: int):
    item = booking_or_404(booking_id)
    record_access.opened_booking(current_user, item)
    course = courses.view_for_booking(item)
    check_in = outcomes.check_in_of(item)
    return render_template(
        "staff/booking.html",
        booking=item,
        reference=format_reference(item.reference),
        actions=[(status, STATUS_ACTIONS[status]) for status in next_statuses(item, utcnow())],
        cancel_form=StaffCancelForm(),
        note_form=NoteForm(note=item.note),
        status_form=StatusForm(),
        history=history(item),
        course=course,
        **outcome_panels(item, course, check_in),
    )


SCORE_FIELDS = ("pain", "peg_pain", "peg_enjoyment", "peg_activity", "disability")


def _text(value) -> str:
    return "" if value is None else str(value)


def outcome_panels(item: Booking, course, check_in) -> dict:
    """What the booking page shows of how the course is going, and its forms."""
    waiting = clearances.waiting(item.patient)
    uncleared = [key for key in screening.KEYS if any(key in flags for _, flags in waiting)]
    scores = ScoresForm(
        formdata=None,
        **{key: _text(getattr(check_in, key, None)) for key in SCORE_FIELDS},
    )
    return {
        "check_in": check_in,
        "session_number": outcomes.session_of(item, course),
        "peg_due": outcomes.peg_due(item, course),
        "measure": outcomes.disability_measure(item.service.condition),
        "measures": DISABILITY_MEASURES,
        "uncleared": uncleared,
        "reported_at": [b for b, _ in waiting],
        "flag_labels": {key: screening.flag_label(key) for key in screening.KEYS},
        "cleared": clearances.of_booking(item),
        "booked_under": clearances.booked_under(item),
        "scores_form": scores,
        "clearance_form": ClearanceForm(formdata=None),
        "decision_form": DecisionForm(formdata=None),
        **outcome_context(outcomes.outcome(course) if course else None),
    }


@bp.post("/bookings/<id:booking_id>/status")
def booking_status(booking_id: int):
    item = booking_or_404(booking_id)
    form = StatusForm()
    if form.validate_on_submit() and form.status.data in STATUS_ACTIONS:
        try:
            set_status(item, form.status.data, actor=current_user)
            flash(f"Marked {STATUS_ACTIONS[form.status.data].split()[-1].lower()}.")
        except ClinicError as error:
            flash(error.message)
    else:
        flash("That change was not understood; please try again.")
    return redirect(url_for("staff.booking", booking_id=booking_id))


@bp.post("/bookings/<id:booking_id>/cancel")
def booking_cancel(booking_id: int):
    item = booking_or_404(booking_id)
    form = StaffCancelForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "Please try again.")
        return redirect(url_for("staff.booking", booking_id=booking_id))
    try:
        cancel_booking(item, reason=form.reason.data, actor=current_user)
        flash("Booking cancelled.")
    except ClinicError as error:
        flash(error.message)
    return redirect(url_for("staff.booking", booking_id=booking_id))


@bp.post("/bookings/<id:booking_id>/note")
def booking_note(booking_id: int):
    item = booking_or_404(booking_id)
    form = NoteForm()
    if form.validate_on_submit():
        set_note(item, form.note.data or "", actor=current_user)
        flash("Note saved.")
    else:
        flash(form.note.errors[0] if form.note.errors else "Please try again.")
    return redirect(url_for("staff.booking", booking_id=booking_id))


@bp.route("/bookings/<id:booking_id>/move", methods=["GET", "POST"])
def booking_move(booking_id: int):
    item = booking_or_404(booking_id)
    form = MoveForm()
    status = 200
    if form.validate_on_submit():
        try:
            start = parse_start(form.start.data)
            practitioner_id = parse_id(form.practitioner.data)
            reschedule_booking(item, start, practitioner_id=practitioner_id, actor=current_user)
        except ParamError:
            flash("Choose one of the free times shown.")
            status = 422
        except ClinicError as error:
            flash(error.message)
            status = error.status
        else:
            flash("Booking moved.")
            return redirect(url_for("staff.booking", booking_id=booking_id))
    day = to_local(item.start_at).date()
    if request.args.get("date"):
        try:
            day = parse_date(request.args["date"])
        except ParamError:
            flash("That date was not recognised.")
    slots = availability.free_slots(
        item.service, day, day, exclude_booking_id=item.id, enforce_notice=False
    )
    by_practitioner: dict[int, list] = {}
    for slot in slots:
        by_practitioner.setdefault(slot.practitioner_id, []).append(slot)
    practitioners = {p.id: p for p in availability.practitioners_for(item.service)}
    return render_template(
        "staff/move.html",
        booking=item,
        day=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        by_practitioner=by_practitioner,
        practitioners=practitioners,
        form=MoveForm(),
    ), status


@bp.route("/bookings/<id:booking_id>/course", methods=["GET", "POST"])
def booking_course(booking_id: int):
    """Reception books the rest of the patient's course from one of its bookings."""
    item = booking_or_404(booking_id)
    back = url_for("staff.booking", booking_id=booking_id)
    form = ConfirmForm()
    try:
        context = series_page(item, staff=True, back_url=back)
    except ClinicError as error:
        flash(error.message)
        return redirect(back)
    context.update(booking=item, form=form, reference=format_reference(item.reference))
    if not form.validate_on_submit():
        return render_template("staff/course.html", **context)
    try:
        starts, offered_with = chosen_starts(request.form)
        booked = series.book_rest(
            item,
            starts,
            practitioner_id=context["choice"]["practitioner_id"],
            offered_with=offered_with,
            actor=current_user,
            source="phone",
        )
    except ClinicError as error:
        context["problem"] = error.message
        return render_template("staff/course.html", **context), (
            error.status if error.status in (409, 422, 429) else 422
        )
    count = len(booked.bookings)
    first = booked.bookings[0][0]
    flash(
        f"Booked {count} session{'s' if count != 1 else ''} from "
        f"{short_date(first.start_at)} at {clock(first.start_at)}. The patient is sent one "
        "email with every date."
    )
    return redirect(back)
