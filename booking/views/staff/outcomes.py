"""Is the course working: a visit's scores, a doctor's clearance after a red flag reported
before a visit, the practitioner's decision, and the referral letter."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from booking.domain import outcomes as rules
from booking.errors import ClinicError
from booking.extensions import db
from booking.forms.staff import ClearanceForm, DecisionForm, ScoresForm
from booking.models import Booking, Course, CourseDecision
from booking.models.booking import ARRIVED, FULFILLED
from booking.services import clearances, courses, outcomes, record_access
from booking.services.clinic import get_settings
from booking.views.helpers import outcome_context
from booking.views.params import parse_id
from booking.views.staff import bp


def _back(course: Course):
    """To the booking the form was sent from, else the patient's courses."""
    booking_id = parse_id(request.form.get("from_booking"))
    booking = db.session.get(Booking, booking_id) if booking_id else None
    if booking is not None and booking.course_id == course.id:
        return redirect(url_for("staff.booking", booking_id=booking.id, _anchor="outcome"))
    return redirect(url_for("staff.patient", patient_id=course.patient_id, _anchor="course"))


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0] if form.errors else "Please try again."


@bp.post("/bookings/<id:booking_id>/scores")
def booking_scores(booking_id: int):
    """The practitioner records or corrects this visit's scores."""
    booking = db.get_or_404(Booking, booking_id)
    form = ScoresForm()
    back = redirect(url_for("staff.booking", booking_id=booking.id, _anchor="scores"))
    if not form.validate_on_submit():
        flash(_first_error(form))
        return back
    try:
        outcomes.record(booking, outcomes.Answers(**form.answers()), actor=current_user)
    except ClinicError as error:
        flash(error.message)
    else:
        flash("Scores saved.")
    return back


@bp.post("/bookings/<id:booking_id>/clearance")
def booking_clearance(booking_id: int):
    """A doctor has seen the patient about what they reported before this visit."""
    booking = db.get_or_404(Booking, booking_id)
    form = ClearanceForm()
    back = redirect(url_for("staff.booking", booking_id=booking.id))
    if not form.validate_on_submit():
        flash(_first_error(form))
        return back
    try:
        clearances.clear_reported(booking, form.clearance, actor=current_user)
    except ClinicError as error:
        flash(error.message)
    else:
        flash("Doctor's clearance recorded: the visit is no longer flagged.")
    return back


@bp.post("/courses/<id:course_id>/decision")
def course_decision(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_first_error(form))
        return _back(course)
    try:
        row = outcomes.decide(
            course,
            outcomes.DecisionRequest(
                kind=form.decision.data,
                refer_to=form.refer_to.data or None,
                reason=form.reason.data or "",
                planned_sessions=form.planned,
            ),
            actor=current_user,
        )
    except ClinicError as error:
        flash(error.message)
        return _back(course)
    if row.kind == rules.REFERRED:
        flash("Referral recorded. The letter is ready to print.")
        return redirect(url_for("staff.referral_letter", decision_id=row.id))
    flash(f"Recorded: {row.label}.")
    return _back(course)


@bp.get("/decisions/<id:decision_id>/letter")
def referral_letter(decision_id: int):
    """A printable letter for the GP or therapist the patient is referred to."""
    decision = db.get_or_404(CourseDecision, decision_id)
    course = db.session.get(Course, decision.course_id)
    if decision.kind != rules.REFERRED:
        return redirect(url_for("staff.patient", patient_id=course.patient_id, _anchor="course"))
    record_access.opened(current_user, course.patient_id)
    view = courses.view(course)
    outcome = outcomes.as_decided(outcomes.outcome(view), decision)
    # The sessions attended when the referral was made: the letter does not change later.
    sessions = [
        b
        for b in courses.bookings_of(course)
        if view.progress.number_of(b.id) is not None
        and b.status in (ARRIVED, FULFILLED)
        and b.start_at <= decision.decided_at
    ]
    return render_template(
        "staff/outcomes/letter.html",
        decision=decision,
        course=view,
        patient=course.patient,
        sessions=sessions,
        settings=get_settings(),
        referral=rules.REFERRALS[decision.refer_to],
        letter_to=rules.LETTER_TO[decision.refer_to],
        **outcome_context(outcome),
    )
