"""The owner's webhook endpoints: the list with recent deliveries, add, edit, turn off and
on, delete, rotate the secret, send a test event."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from booking.domain.webhooks import EVENTS
from booking.errors import ClinicError, ValidationError
from booking.extensions import db
from booking.forms.webhooks import WebhookForm
from booking.models import WebhookEndpoint
from booking.models.base import utcnow
from booking.services.webhooks import endpoints as service
from booking.views.admin import bp


def endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    return db.get_or_404(WebhookEndpoint, endpoint_id)


def render_form(form: WebhookForm, endpoint: WebhookEndpoint | None = None, status: int = 200):
    return render_template("admin/webhooks/form.html", form=form, endpoint=endpoint), status


def render_secret(endpoint: WebhookEndpoint, secret: str, *, rotated: bool, status: int = 200):
    response = make_response(
        render_template(
            "admin/webhooks/secret.html", endpoint=endpoint, secret=secret, rotated=rotated
        ),
        status,
    )
    # The secret is shown this once: keep the page out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def refused(form: WebhookForm, error: ClinicError) -> None:
    """Put a service's refusal next to the field it is about (the address, the events)."""
    if isinstance(error, ValidationError) and error.fields:
        for name, message in error.fields.items():
            field = form._fields.get(name, form.url)
            field.errors = [*field.errors, message]
    else:
        form.url.errors = [*form.url.errors, error.message]


def validated(form: WebhookForm) -> bool:
    """The form's own checks, and the address's rules even when another field failed, so
    every problem is told at once."""
    valid = form.validate_on_submit()
    if form.is_submitted() and not form.url.errors:
        try:
            service.check_destination(form.url.data or "")
        except ValidationError as error:
            refused(form, error)
            return False
    return valid


@bp.get("/webhooks")
def webhooks():
    listed = service.endpoints()
    return render_template(
        "admin/webhooks/index.html",
        endpoints=[(endpoint, service.recent(endpoint)) for endpoint in listed],
        events=EVENTS,
        now=utcnow(),
        room=len(listed) < service.MAX_ENDPOINTS,
    )


@bp.get("/webhooks/new")
def webhook_new():
    return render_form(WebhookForm(formdata=None))


@bp.post("/webhooks")
def webhook_create():
    form = WebhookForm()
    if not validated(form):
        return render_form(form, status=422)
    try:
        endpoint, secret = service.create(form.details(), actor=current_user)
    except ClinicError as error:
        refused(form, error)
        return render_form(form, status=422)
    return render_secret(endpoint, secret, rotated=False, status=201)


@bp.route("/webhooks/<id:endpoint_id>/edit", methods=["GET", "POST"])
def webhook_edit(endpoint_id: int):
    endpoint = endpoint_or_404(endpoint_id)
    form = WebhookForm(obj=endpoint)
    if not validated(form):
        return render_form(form, endpoint, status=422 if form.errors else 200)
    try:
        changed = service.update(endpoint, form.details(), actor=current_user)
    except ClinicError as error:
        db.session.rollback()
        refused(form, error)
        return render_form(form, endpoint, status=422)
    flash("Endpoint saved." if changed else "No changes.")
    return redirect(url_for("admin.webhooks", _anchor=f"endpoint-{endpoint.id}"))


# What turning an endpoint off or on says: (when it changed, when it was so already).
SWITCHED = {
    False: (
        "Endpoint turned off: nothing more is sent to it, not even webhooks already waiting.",
        "The endpoint was already off.",
    ),
    True: (
        "Endpoint turned on: events from now on are sent to it.",
        "The endpoint was already on.",
    ),
}


def switch(endpoint_id: int, enabled: bool):
    endpoint = endpoint_or_404(endpoint_id)
    changed = service.set_enabled(endpoint, enabled, actor=current_user)
    flash(SWITCHED[enabled][0 if changed else 1])
    return redirect(url_for("admin.webhooks", _anchor=f"endpoint-{endpoint.id}"))


@bp.post("/webhooks/<id:endpoint_id>/disable")
def webhook_disable(endpoint_id: int):
    return switch(endpoint_id, False)


@bp.post("/webhooks/<id:endpoint_id>/enable")
def webhook_enable(endpoint_id: int):
    return switch(endpoint_id, True)


@bp.post("/webhooks/<id:endpoint_id>/delete")
def webhook_delete(endpoint_id: int):
    endpoint = endpoint_or_404(endpoint_id)
    url = endpoint.url
    service.delete(endpoint, actor=current_user)
    flash(f"Endpoint {url} deleted, with its secret and its delivery history.")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<id:endpoint_id>/rotate")
def webhook_rotate(endpoint_id: int):
    endpoint = endpoint_or_404(endpoint_id)
    secret = service.rotate_secret(endpoint, actor=current_user)
    return render_secret(endpoint, secret, rotated=True)


@bp.post("/webhooks/<id:endpoint_id>/test")
def webhook_test(endpoint_id: int):
    endpoint = endpoint_or_404(endpoint_id)
    try:
        service.send_test(endpoint, actor=current_user)
    except ClinicError as error:
        flash(error.message)
    else:
        flash(
            "Test event queued: it goes with the next send-outbox run (every minute). "
            "Reload this page to see how it went."
        )
    return redirect(url_for("admin.webhooks", _anchor=f"endpoint-{endpoint.id}"))
