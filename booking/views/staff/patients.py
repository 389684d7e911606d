"""Finding a patient, and their record: contact details, bookings and course so far."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from booking.extensions import db
from booking.models import Patient
from booking.models.base import utcnow
from booking.models.service import CONDITIONS
from booking.services import record_access
from booking.services.bookings import format_reference
from booking.services.patients import bookings_for, course_for, find_patients
from booking.views.staff import bp


@bp.get("/patients")
def patients():
    query = request.args.get("q", "").strip()[:100]
    return render_template(
        "staff/patients/search.html", query=query, matches=find_patients(query) if query else []
    )


# The bound keeps a huge id in the URL a 404: SQLite cannot even look it up.
@bp.get("/patients/<id:patient_id>")
def patient(patient_id: int):
    record = db.get_or_404(Patient, patient_id)
    record_access.opened(current_user, record.id)
    now = utcnow()
    bookings = bookings_for(record)
    return render_template(
        "staff/patients/patient.html",
        patient=record,
        upcoming=[b for b in reversed(bookings) if b.start_at >= now],
        past=[b for b in bookings if b.start_at < now],
        course=course_for(bookings, now),
        conditions=CONDITIONS,
        format_reference=format_reference,
        looks=record_access.recent(record.id),
    )
