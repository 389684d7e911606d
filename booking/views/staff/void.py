"""Voiding many bookings at once as entered in error: a day, a patient, a burst."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_login import current_user

from booking.errors import ValidationError
from booking.extensions import db
from booking.forms.staff import VoidForm
from booking.models import Patient
from booking.services import void as void_service
from booking.services.bookings import format_reference
from booking.views.params import ParamError, parse_date, parse_id
from booking.views.staff import bp

MAX_TEXT = 254


def _text(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value):
        raise ParamError(f"That {name} is not one the clinic could hold.", {name: "Not valid"})
    return value or None


def selection_from_args() -> void_service.Selection:
    day = request.args.get("date")
    since = request.args.get("since")
    return void_service.Selection(
        day=parse_date(day) if day else None,
        patient_id=parse_id(request.args.get("patient")),
        address=_text("address"),
        email=_text("email"),
        since=parse_date(since, "since") if since else None,
    )


@bp.route("/void", methods=["GET", "POST"])
def void():
    try:
        selection = selection_from_args()
    except ParamError as error:
        flash(error.message)
        selection = void_service.Selection()
    bookings = void_service.select(selection)
    too_many = len(bookings) > void_service.MAX_AT_ONCE
    bookings = bookings[: void_service.MAX_AT_ONCE]
    form = VoidForm()
    form.booking.choices = [(b.id, format_reference(b.reference)) for b in bookings]
    status = 200
    if form.validate_on_submit():
        try:
            voided = void_service.void_bookings(form.chosen(), form.reason.data, actor=current_user)
        except ValidationError as error:
            form.booking.errors = [*form.booking.errors, error.message]
        else:
            count = len(voided)
            flash(
                f"Voided {count} booking{'s' if count != 1 else ''} as entered in error. "
                "No one was emailed, and their times are free again."
            )
            return redirect(request.full_path.rstrip("?"))
    if form.errors:
        status = 422
    patient = db.session.get(Patient, selection.patient_id) if selection.patient_id else None
    return render_template(
        "staff/void.html",
        form=form,
        selection=selection,
        bookings=bookings,
        too_many=too_many,
        patient=patient,
        format_reference=format_reference,
    ), status
