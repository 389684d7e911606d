"""One set of error handlers: JSON for API clients, pages for browsers."""

from __future__ import annotations

import contextlib

from flask import (
    Flask,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc
from werkzeug.exceptions import HTTPException

from booking.errors import ClinicError, RateLimited
from booking.extensions import db
from booking.services.health import outage

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "The request was too large.",
    429: "Too many requests. Please wait a little and try again.",
    500: "Something went wrong on our side. Please try again, or call the clinic.",
    503: "We can't take bookings for a moment. Please try again in a minute, or call the clinic.",
}
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}
# Seconds a client is told to wait when the database is out (Retry-After).
RETRY_AFTER = 60


def wants_json() -> bool:
    # The FHIR files' clients are programs too (slot directories).
    return request.path.startswith(("/api/", "/fhir/"))


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        body: dict = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return jsonify(error=body), status
    if request_ctx.url_adapter is None:
        # The Host could not be read (outside TRUSTED_HOSTS, or not a host name at all):
        # no URL can be built for it, so no page with links.
        return bare_response(status, code, message)
    return render_template("errors/error.html", status=status, message=message), status


def _staff_area() -> bool:
    return request.path.startswith(("/staff", "/admin", "/account", "/api/v1/staff"))


def unauthorized():
    """Not signed in: JSON 401 for the API, the sign-in page for browsers."""
    if wants_json():
        return error_response(401, "unauthorized", "Sign in as staff to use this.")
    flash("Please sign in to see staff pages.")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def bare_response(status: int, code: str, message: str, title: str = "Something went wrong"):
    """The error without the page around it, for when the page itself cannot be built."""
    if wants_json():
        return jsonify(error={"code": code, "message": message}), status
    page = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
        f"<h1>{message}</h1></html>"
    )
    return page, status, {"Content-Type": "text/html; charset=utf-8"}


def handle_http(error: HTTPException):
    status = error.code or 500
    code, message = CODES.get(status, "error"), MESSAGES.get(status, error.name)
    response = make_response(error_response(status, code, message))
    if status == 405 and getattr(error, "valid_methods", None):
        # RFC 9110 15.5.6: a 405 names the methods the resource does take.
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def handle_csrf(error: CSRFError):
    if _staff_area() and not current_user.is_authenticated:
        # Who is asking comes before whether the form is theirs: 401 (or the sign-in
        # page), as a signed-out GET would get.
        return unauthorized()
    return error_response(
        400,
        "csrf_failed",
        "This form has expired or was sent from somewhere else. Please go back, "
        "reload the page and try again.",
    )


def handle_clinic_error(error: ClinicError):
    """Anything a person or client caused, answered with its own status, code and message."""
    response = make_response(error_response(error.status, error.code, error.message, error.fields))
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def handle_unexpected(error: Exception):
    # Log the type and place only: request bodies and SQL parameters can hold patient details.
    current_app.logger.error(
        "Unhandled %s on %s %s", type(error).__name__, request.method, request.url_rule
    )
    # The failed transaction must not be asked anything more: end it first.
    with contextlib.suppress(Exception):  # the database itself may be what failed
        db.session.rollback()
    try:
        return error_response(500, "server_error", MESSAGES[500])
    except Exception:  # noqa: BLE001  (the page needs the database too: answer without it)
        return bare_response(500, "server_error", MESSAGES[500])


def handle_database_error(error: exc.SQLAlchemyError):
    """The database out (unreachable, locked, read-only, full): 503, try again in a minute.

    Any other database error is a mistake in the code and stays one (500).
    """
    kind = outage(error)
    if kind is None:
        if current_app.testing:
            raise error
        return handle_unexpected(error)
    current_app.logger.warning("Database %s on %s %s", kind, request.method, request.url_rule)
    with contextlib.suppress(Exception):  # the database is what failed
        db.session.rollback()
    # The page around the message would ask the database for the clinic's phone.
    response = make_response(
        bare_response(503, CODES[503], MESSAGES[503], title="Please try again in a minute")
    )
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(ClinicError, handle_clinic_error)
    # On in tests too: an outage is an answer, not a crash.
    app.register_error_handler(exc.DBAPIError, handle_database_error)
    app.register_error_handler(exc.TimeoutError, handle_database_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
