"""Services and prices: the list, adding and editing a service, retiring it, price history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from booking.extensions import db
from booking.forms.catalogue import NewServiceForm, ServiceForm
from booking.models import Service
from booking.services import catalogue
from booking.services.catalogue import CatalogueError
from booking.views.admin import bp
from booking.views.helpers import clinic, money


def service_or_404(service_id: int) -> Service:
    return db.get_or_404(Service, service_id)


@bp.get("/services")
def services():
    rows = catalogue.list_services()
    settings = clinic()
    return render_template(
        "admin/services/index.html",
        services=rows,
        givers=catalogue.practitioners_by_service(rows),
        # Prices set before the clinic narrowed its bounds stand until the owner changes them.
        outside_bounds={s.id for s in rows if catalogue.price_problem(s.price_cents, settings)},
        bounds=catalogue.price_bounds_message(settings),
    )


def valid_submission(form: ServiceForm, service: Service | None = None) -> bool:
    """A submitted form passes its own checks and the catalogue's rules.

    The rules run even when the form has other mistakes, so every one is listed at once.
    """
    if not form.is_submitted():
        return False
    form.validate()
    slug = (form.slug.data or "") if isinstance(form, NewServiceForm) else None
    if slug is not None:
        form.add_errors(catalogue.slug_problems(slug))
    if form.has_values():
        form.add_errors(catalogue.check(form.details(), service=service, slug=slug))
    return not form.errors


def render_form(form: ServiceForm, service: Service | None = None):
    return render_template(
        "admin/services/form.html",
        form=form,
        service=service,
        bounds=catalogue.price_bounds_message(clinic()),
        upcoming=catalogue.upcoming_booking_count(service) if service else 0,
    ), 422 if form.errors else 200


@bp.route("/services/new", methods=["GET", "POST"])
def service_new():
    form = NewServiceForm()
    form.offer(catalogue.all_practitioners())
    if not valid_submission(form):
        return render_form(form)
    try:
        service = catalogue.create_service(form.slug.data, form.details(), actor=current_user)
    except CatalogueError as error:
        form.add_errors(error.fields)
        return render_form(form)
    flash(f"{service.name} added: patients can book it now.")
    return redirect(url_for("admin.services"))


@bp.route("/services/<id:service_id>", methods=["GET", "POST"])
def service_edit(service_id: int):
    service = service_or_404(service_id)
    # A POST is read as sent: a field missing from it must not fall back to the saved value.
    form = (
        ServiceForm()
        if request.method == "POST"
        else ServiceForm.for_service(service, catalogue.practitioner_ids(service))
    )
    form.offer(catalogue.all_practitioners())
    if not valid_submission(form, service):
        return render_form(form, service)
    old_price = service.price_cents
    try:
        changed = catalogue.update_service(service, form.details(), actor=current_user)
    except CatalogueError as error:
        form.add_errors(error.fields)
        return render_form(form, service)
    if not changed:
        flash("No changes to save.")
    elif service.price_cents != old_price:
        flash(
            f"{service.name} saved. It costs {money(service.price_cents)} a session from now "
            "on; bookings already made keep the price they were made at."
        )
    else:
        flash(f"{service.name} saved.")
    return redirect(url_for("admin.services"))


@bp.post("/services/<id:service_id>/retire")
def service_retire(service_id: int):
    service = service_or_404(service_id)
    if not catalogue.set_active(service, False, actor=current_user):
        flash(f"{service.name} was already retired.")
        return redirect(url_for("admin.service_edit", service_id=service.id))
    upcoming = catalogue.upcoming_booking_count(service)
    kept = {
        0: "",
        1: " The booking already made stays booked.",
    }.get(upcoming, f" The {upcoming} bookings already made stay booked.")
    flash(f"{service.name} retired: patients no longer see it.{kept}")
    return redirect(url_for("admin.service_edit", service_id=service.id))


@bp.post("/services/<id:service_id>/restore")
def service_restore(service_id: int):
    service = service_or_404(service_id)
    if not catalogue.set_active(service, True, actor=current_user):
        flash(f"{service.name} is already offered to patients.")
    else:
        flash(f"{service.name} is offered to patients again.")
        if not any(p.active for p in catalogue.practitioners_by_service([service])[service.id]):
            flash("Nobody gives it yet: tick who does, or patients will find no times.")
    return redirect(url_for("admin.service_edit", service_id=service.id))


@bp.get("/services/<id:service_id>/prices")
def service_prices(service_id: int):
    service = service_or_404(service_id)
    return render_template(
        "admin/services/prices.html", service=service, changes=catalogue.price_history(service)
    )
