"""Template filters, the clinic in every template, security headers and log redaction."""

from __future__ import annotations

import ipaddress
import logging
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask, current_app, flash, g, request
from sqlalchemy import inspect

from booking.access_log import RedactTokens
from booking.domain import clock as wall
from booking.domain import outcomes as outcome_rules
from booking.domain.money import format_money
from booking.errors import ValidationError
from booking.models import Booking
from booking.models.base import utcnow
from booking.models.booking import STATUS_LABELS
from booking.presenters.outcomes import patient_summary, staff_summary, trend_chart
from booking.services import clinic as clinic_rules
from booking.services import series
from booking.services.clinic import get_settings
from booking.services.links import absolute_url
from booking.views.params import series_choice


def clinic():
    """The clinic's settings, loaded once per request (again if the session was ended)."""
    if "clinic" not in g or inspect(g.clinic).detached:
        g.clinic = get_settings()
    return g.clinic


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(clinic().timezone)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(clinic_zone())


def clock(moment: datetime | time) -> str:
    """9:30 am, in clinic time (a wall-clock time as it is)."""
    return wall.twelve_hour(moment if isinstance(moment, time) else to_local(moment))


def _local_day(value: datetime | date) -> date:
    return to_local(value).date() if isinstance(value, datetime) else value


def long_date(value: datetime | date) -> str:
    """Monday 23 November 2026, in clinic time."""
    return wall.long_day(_local_day(value))


def short_date(value: datetime | date) -> str:
    """Mon 23 Nov."""
    return wall.short_day(_local_day(value))


def when(value: datetime | str | None) -> str:
    """Monday 23 November 2026, 9:30 am, in clinic time; an ISO 8601 string is read first."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{long_date(moment)}, {clock(moment)}"


def change_rule() -> str:
    """When patients can still cancel or move online, as a sentence to show before booking."""
    hours = clinic().cancellation_notice_hours
    if hours == 0:
        return "You can cancel or move online up to the start of your appointment."
    window = (
        f"{hours // 24} days"
        if hours % 24 == 0 and hours > 24
        else ("24 hours" if hours == 24 else f"{hours} hour{'s' if hours != 1 else ''}")
    )
    return (
        f"You can cancel or move online until {window} before your appointment; "
        "after that, please call us."
    )


def changes_close(start: datetime) -> datetime:
    """The clinic's rule (services.clinic.changes_close) with this request's settings."""
    return clinic_rules.changes_close(start, clinic())


def zone_label(moment: datetime | None = None) -> str:
    """How times are labelled, e.g. 'New York time (EST)'."""
    tz = clinic_zone()
    city = tz.key.split("/")[-1].replace("_", " ")
    abbreviation = (moment or datetime.now(tz)).astimezone(tz).tzname()
    return f"{city} time ({abbreviation})"


def tel(number: str) -> str:
    """A phone number as a tel: link target: digits and a leading plus only."""
    digits = re.sub(r"[^0-9+]", "", number)
    return f"tel:{digits}"


def money(cents: int, currency: str | None = None) -> str:
    return format_money(cents, currency or clinic().currency)


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


# Pages anyone may see and any cache may keep: nothing personal, no token. Every
# other response (staff and owner pages, manage links, bookings, feeds) is no-store.
SHAREABLE = frozenset(
    {
        "static",
        "public.favicon",
        "public.home",
        "public.service",
        "public.times",
        "api.services",
        "api.free_times",
        "api.estimate",
        "api.openapi",
        "api.docs",
        "fhir.bulk_publish",
        "fhir.locations",
        "fhir.schedules",
        "fhir.slots",
    }
)
HSTS = "max-age=31536000; includeSubDomains"


def client_address() -> str:
    """Who is asking, for the limits: the remote address (ProxyFix sets it behind proxies).

    An IPv6 client usually holds a whole /64, so that is counted as one address.
    """
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def public_client() -> str | None:
    """The anonymous client the online limits count, or None for signed-in staff."""
    from flask_login import current_user

    return None if current_user.is_authenticated else client_address()


SERIES_SPACINGS = (3, 4, 5, 7, 10, 14, 21, 28)


def series_page(booking: Booking, *, staff: bool, back_url: str):
    """The rest of the course as proposed, for `public/course.html` and the staff page."""
    choice, problems = series_choice(request.args)
    for problem in problems:
        flash(problem)
    try:
        rest = series.rest_of_course(booking, staff=staff, **choice)
    except ValidationError as error:  # a choice out of range: the defaults instead
        for message in error.fields.values():
            flash(message)
        choice = {"practitioner_id": series.SAME}
        rest = series.rest_of_course(booking, staff=staff)
    return {"rest": rest, "choice": choice, "spacings": SERIES_SPACINGS, "back_url": back_url}


def security_headers(response):
    if request.endpoint not in SHAREABLE:
        response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("PRODUCTION"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Manage links carry a secret: never send the URL on to another site.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(tel)
    app.add_template_filter(clock)
    app.add_template_filter(long_date)
    app.add_template_filter(short_date)
    app.add_template_filter(when)
    app.add_template_filter(to_local, "local")
    app.add_template_global(zone_label)
    app.add_template_global(outcome_rules.number, "score_text")
    app.add_template_global(change_rule)
    app.add_template_global(changes_close)
    app.add_template_global(utcnow)
    app.add_template_global(clinic)
    # Absolute links come from BASE_URL only, never from the request's Host.
    app.add_template_global(absolute_url)
    app.add_template_global(STATUS_LABELS, "status_names")
    app.after_request(security_headers)
    logging.getLogger("werkzeug").addFilter(RedactTokens())


def outcome_context(outcome, *, patient: bool = False) -> dict:
    """What the trend partial shows for a course's OutcomeView (or None)."""
    if outcome is None:
        return {"outcome": None, "trend": None, "trend_summary": "", "trend_for_patient": patient}
    summary = patient_summary if patient else staff_summary
    return {
        "trend_for_patient": patient,
        "outcome": outcome,
        "trend": trend_chart(outcome.trend),
        "trend_summary": summary(outcome.trend),
    }
