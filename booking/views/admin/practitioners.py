"""The owner's pages for the practitioners patients can book: add, edit, retire, restore."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from booking.errors import ClinicError
from booking.extensions import db
from booking.forms.practitioners import PractitionerForm
from booking.models import Practitioner
from booking.services import practitioners as service
from booking.views.admin import bp
from booking.views.staff.practitioners import hours_lines


def practitioner_or_404(practitioner_id: int) -> Practitioner:
    return db.get_or_404(Practitioner, practitioner_id)


def practitioner_form(practitioner: Practitioner | None = None) -> PractitionerForm:
    """The details form filled from the practitioner, or empty for a new one."""
    services = service.all_services()
    if practitioner is None:
        return PractitionerForm.with_services(services, formdata=None)
    # Not obj=practitioner: WTForms prefers obj over keywords, and its services are rows.
    return PractitionerForm.with_services(
        services,
        formdata=None,
        name=practitioner.name,
        title=practitioner.title,
        bio=practitioner.bio,
        services=[service.id for service in practitioner.services],
    )


def posted_practitioner_form() -> PractitionerForm:
    return PractitionerForm.with_services(service.all_services())


def add_error(form: PractitionerForm, error: ClinicError) -> None:
    field = form[next(iter(error.fields), "name")]
    field.errors = [*field.errors, error.message]


def render_practitioners(form: PractitionerForm, status: int = 200):
    everyone = service.list_practitioners()
    return render_template(
        "admin/practitioners/index.html",
        active=[p for p in everyone if p.active],
        retired=[p for p in everyone if not p.active],
        hours_lines=hours_lines,
        form=form,
    ), status


def render_practitioner(
    practitioner: Practitioner,
    form: PractitionerForm,
    *,
    error: str | None = None,
    status: int = 200,
):
    return render_template(
        "admin/practitioners/edit.html",
        practitioner=practitioner,
        form=form,
        hours=hours_lines(practitioner.weekly_hours),
        upcoming=service.upcoming_bookings(practitioner) if practitioner.active else [],
        error=error,
    ), status


@bp.get("/practitioners")
def practitioners():
    return render_practitioners(practitioner_form())


@bp.post("/practitioners")
def practitioner_create():
    form = posted_practitioner_form()
    if not form.validate_on_submit():
        return render_practitioners(form, 422)
    try:
        practitioner = service.create_practitioner(*form.details(), actor=current_user)
    except ClinicError as error:
        add_error(form, error)
        return render_practitioners(form, 422)
    flash(f"{practitioner.name} added. Patients cannot book them until their weekly hours are set.")
    return redirect(url_for("admin.practitioner_edit", practitioner_id=practitioner.id))


@bp.route("/practitioners/<id:practitioner_id>", methods=["GET", "POST"])
def practitioner_edit(practitioner_id: int):
    practitioner = practitioner_or_404(practitioner_id)
    if request.method == "GET":
        return render_practitioner(practitioner, practitioner_form(practitioner))
    form = posted_practitioner_form()
    if not form.validate_on_submit():
        return render_practitioner(practitioner, form, status=422)
    try:
        changed = service.update_practitioner(practitioner, *form.details(), actor=current_user)
    except ClinicError as error:
        add_error(form, error)
        return render_practitioner(practitioner, form, status=422)
    flash(f"Saved {practitioner.name}'s details." if changed else "No changes to save.")
    return redirect(url_for("admin.practitioner_edit", practitioner_id=practitioner.id))


@bp.post("/practitioners/<id:practitioner_id>/retire")
def practitioner_retire(practitioner_id: int):
    practitioner = practitioner_or_404(practitioner_id)
    try:
        changed = service.retire_practitioner(practitioner, actor=current_user)
    except ClinicError as refused:
        return render_practitioner(
            practitioner, practitioner_form(practitioner), error=refused.message, status=409
        )
    flash(
        f"{practitioner.name} is retired: no longer offered to patients or shown in the "
        "calendar. Their past bookings are kept."
        if changed
        else f"{practitioner.name} was already retired."
    )
    return redirect(url_for("admin.practitioners"))


@bp.post("/practitioners/<id:practitioner_id>/restore")
def practitioner_restore(practitioner_id: int):
    practitioner = practitioner_or_404(practitioner_id)
    changed = service.restore_practitioner(practitioner, actor=current_user)
    if not changed:
        flash(f"{practitioner.name} was already active.")
    elif practitioner.hours:
        flash(f"{practitioner.name} is back: patients can book them in their weekly hours.")
    else:
        flash(f"{practitioner.name} is back. Set their weekly hours so patients can book them.")
    return redirect(url_for("admin.practitioners"))
