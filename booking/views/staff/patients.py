"""Finding a patient, and their record: contact details, bookings and course so far;
a whole copy of the record (export) and, for the owner, its erasure."""

from __future__ import annotations

import json
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from booking.domain.money import format_money, parse_cents
from booking.errors import ClinicError
from booking.extensions import db
from booking.forms.staff import DecisionForm, EraseForm, MergeForm, PatientDetailsForm
from booking.models import Course, GoodFaithEstimate, Patient
from booking.models.audit import EXPORTED
from booking.models.base import utcnow
from booking.models.course import PAYMENT_METHODS
from booking.models.service import CONDITIONS
from booking.services import courses, good_faith, outcomes, privacy, record_access, waitlist
from booking.services.bookings import format_reference
from booking.services.patients import (
    bookings_for,
    find_patients,
    merge_patients,
    not_a_duplicate,
    possible_duplicates,
    update_patient,
)
from booking.views.access import owner_required
from booking.views.helpers import outcome_context, to_local
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
    views = courses.views_for(record, now)
    return render_template(
        "staff/patients/patient.html",
        patient=record,
        upcoming=[b for b in reversed(bookings) if b.start_at >= now],
        past=[b for b in bookings if b.start_at < now],
        courses=views,
        progress_of={view.course.id: outcome_context(outcomes.outcome(view)) for view in views},
        decision_form=DecisionForm(formdata=None),
        good_faith=good_faith.applies(),
        estimates={view.course.id: good_faith.estimates_of(view.course) for view in views},
        payment_methods=PAYMENT_METHODS,
        today=to_local(now).date().isoformat(),
        unopened=unopened_conditions(views, bookings),
        conditions=CONDITIONS,
        format_reference=format_reference,
        looks=record_access.recent(record.id),
        duplicates=possible_duplicates(record),
        merge_form=MergeForm(formdata=None),
        waiting=[waitlist.view(entry) for entry in waitlist.entries_of(record)],
    )


def unopened_conditions(views: list[courses.CourseView], bookings) -> list[str]:
    """Conditions the patient has booked for without a course: reception may open one."""
    have = {view.course.condition for view in views}
    return sorted({b.service.condition for b in bookings} - have)


@bp.post("/patients/<id:patient_id>/courses")
def patient_course_open(patient_id: int):
    record = db.get_or_404(Patient, patient_id)
    condition = request.form.get("condition", "")
    if condition not in CONDITIONS or record.erased_at is not None:
        flash("Choose neck pain or back pain.")
    elif courses.open_course_for(record, condition) is not None:
        flash(f"{CONDITIONS[condition]}: a course is already open.")
    else:
        courses.open_course(record, condition, actor=current_user)
        flash(f"{CONDITIONS[condition]} course opened; their bookings for it are in it.")
    return redirect(url_for("staff.patient", patient_id=record.id, _anchor="course"))


@bp.post("/courses/<id:course_id>/plan")
def course_plan(course_id: int):
    course = db.get_or_404(Course, course_id)
    try:
        sessions = int(request.form.get("planned_sessions", "").strip())
    except ValueError:
        flash("Enter the number of sessions planned, e.g. 10.")
    else:
        try:
            changed = courses.set_planned(course, sessions, actor=current_user)
        except ClinicError as error:
            flash(error.message)
        else:
            done = f"Course plan set: {sessions} sessions."
            flash(done if changed else "The plan was already that.")
    return redirect(url_for("staff.patient", patient_id=course.patient_id, _anchor="course"))


@bp.post("/courses/<id:course_id>/packages")
def course_package(course_id: int):
    """Reception records a package paid for at the desk (nothing is charged here)."""
    course = db.get_or_404(Course, course_id)
    form = request.form

    def number(name: str, parse):
        try:
            return parse(form.get(name, "").strip())
        except ValueError:
            return None

    try:
        purchase = courses.record_package(
            course,
            sessions=number("sessions", int),
            amount_cents=number("amount", parse_cents),
            method=form.get("method", ""),
            paid_on=number("paid_on", date.fromisoformat),
            actor=current_user,
        )
    except ClinicError as error:
        flash(error.message)
    else:
        flash(
            f"Package recorded: {purchase.sessions} sessions, "
            f"{format_money(purchase.amount_cents, purchase.currency)} ({purchase.method_label})."
        )
    return redirect(url_for("staff.patient", patient_id=course.patient_id, _anchor="course"))


@bp.post("/courses/<id:course_id>/estimate")
def course_estimate(course_id: int):
    """Reception issues a self-pay patient's Good Faith Estimate (the next version)."""
    course = db.get_or_404(Course, course_id)
    text = request.form.get("date_of_birth", "").strip()
    try:
        born = date.fromisoformat(text) if text else None
    except ValueError:
        born = None
        flash("Give the date of birth as a date, e.g. 1980-04-23.")
    else:
        bookings = courses.bookings_of(course)
        try:
            if not good_faith.applies():
                raise ClinicError("Good Faith Estimates are turned off in the clinic settings.")
            if bookings:
                estimate = good_faith.requested(bookings[-1], born, actor=current_user)
            else:
                estimate = good_faith.issue(
                    course, reason="reception", actor=current_user, date_of_birth=born
                )
        except ClinicError as error:
            flash(error.message)
        else:
            flash(
                f"Good Faith Estimate version {estimate.version} issued: "
                f"{format_money(estimate.total_cents, estimate.currency)}."
            )
    return redirect(url_for("staff.patient", patient_id=course.patient_id, _anchor="course"))


@bp.get("/estimates/<id:estimate_id>")
def estimate(estimate_id: int):
    """One issued Good Faith Estimate, as the patient got it, to read or print."""
    issued = db.get_or_404(GoodFaithEstimate, estimate_id)
    record_access.opened(current_user, issued.course.patient_id)
    return render_template("staff/estimate.html", estimate=issued)


@bp.route("/patients/<id:patient_id>/edit", methods=["GET", "POST"])
def patient_edit(patient_id: int):
    record = db.get_or_404(Patient, patient_id)
    if record.erased_at is not None:
        flash("This patient's details were erased; there is nothing to edit.")
        return redirect(url_for("staff.patient", patient_id=record.id))
    if request.method == "GET":
        record_access.opened(current_user, record.id)
    form = PatientDetailsForm(obj=record)
    if form.validate_on_submit():
        changed = update_patient(
            record, form.name.data, form.email.data, form.phone.data, actor=current_user
        )
        flash("Details saved." if changed else "Nothing was changed.")
        return redirect(url_for("staff.patient", patient_id=record.id))
    status = 422 if form.errors else 200
    return render_template("staff/patients/edit.html", patient=record, form=form), status


@bp.post("/patients/<id:patient_id>/merge")
def patient_merge(patient_id: int):
    record = db.get_or_404(Patient, patient_id)
    form = MergeForm()
    duplicates = {other.id: other for other in possible_duplicates(record)}
    if not form.validate_on_submit() or form.other.data not in duplicates:
        flash("Choose one of the possible duplicates listed to merge.")
        return redirect(url_for("staff.patient", patient_id=record.id))
    other = duplicates[form.other.data]
    name = other.name
    moved = merge_patients(record, other, actor=current_user)
    flash(
        f"Merged {name}'s record into this one: {moved} booking{'s' if moved != 1 else ''} moved."
    )
    return redirect(url_for("staff.patient", patient_id=record.id))


@bp.post("/patients/<id:patient_id>/not-duplicate")
def patient_not_duplicate(patient_id: int):
    record = db.get_or_404(Patient, patient_id)
    not_a_duplicate(record, actor=current_user)
    flash("Marked as a different person: the warning is gone.")
    return redirect(url_for("staff.patient", patient_id=record.id))


@bp.get("/patients/<id:patient_id>/export")
def patient_export(patient_id: int):
    """The whole record as a page to read or print (the right of access)."""
    record = db.get_or_404(Patient, patient_id)
    record_access.opened(current_user, record.id, EXPORTED)
    return render_template(
        "staff/patients/export.html", patient=record, data=privacy.export_patient(record)
    )


@bp.get("/patients/<id:patient_id>/export.json")
def patient_export_json(patient_id: int):
    """The same record as a JSON file to hand to the patient."""
    record = db.get_or_404(Patient, patient_id)
    record_access.opened(current_user, record.id, EXPORTED)
    data = privacy.export_patient(record)
    name = f"patient-{record.id}-{data['exported_at'][:10]}.json"
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/patients/<id:patient_id>/erase", methods=["GET", "POST"])
@owner_required
def patient_erase(patient_id: int):
    """The owner erases a patient's details on their request; the bookings stay, nameless."""
    record = db.get_or_404(Patient, patient_id)
    if request.method == "GET" and record.erased_at is None:
        record_access.opened(current_user, record.id)
    form = EraseForm()
    context = {
        "patient": record,
        "form": form,
        "upcoming": privacy.future_bookings(record, utcnow()),
        "bookings": len(bookings_for(record)),
    }
    if record.erased_at is None and form.validate_on_submit():
        try:
            erased = privacy.erase_patient(record, actor=current_user)
        except ClinicError as error:
            context["error"] = error.message
            return render_template("staff/patients/erase.html", **context), error.status
        kept = "1 booking stays" if erased.bookings == 1 else f"{erased.bookings} bookings stay"
        flash(f"Details erased. {kept} on record without a name, so the reports still add up.")
        return redirect(url_for("staff.patient", patient_id=record.id))
    status = 422 if form.errors else 200
    return render_template("staff/patients/erase.html", **context), status
