"""The owner's audit log: who changed what and when, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import flash, render_template, request, url_for

from booking.models import AuditEntry, Patient, Practitioner, Service
from booking.services import audit as audit_log
from booking.services.bookings import format_reference
from booking.views.access import owner_required
from booking.views.helpers import clinic, clock, short_date
from booking.views.params import ParamError, parse_date
from booking.views.staff import bp

PER_PAGE = 50
MAX_PAGE = 1_000_000  # keeps the offset inside SQLite's integers
# Action prefixes the log can be narrowed to: "booking.move" is under "booking".
AREAS = {
    "booking": "Bookings",
    "hours": "Working hours",
    "time_off": "Time off",
    "feed": "Calendar feeds",
    "service": "Services and prices",
    "practitioner": "Practitioners",
    "account": "Staff accounts",
    "sign_in": "Sign-ins",
    "settings": "Clinic settings",
    "disclaimer": "Disclaimer",
    "webhook": "Webhooks",
}
# Snapshot keys that hold another row's id, shown by that row's name.
NAMED = {"practitioner_id": Practitioner, "service_id": Service, "patient_id": Patient}
# Where each kind of subject opens: (endpoint, its id argument, the NAMED key for its name).
SUBJECTS = {
    "booking": ("staff.booking", "booking_id", None),
    "practitioner": ("staff.practitioner", "practitioner_id", "practitioner_id"),
    "patient": ("staff.patient", "patient_id", "patient_id"),
    "service": ("admin.service_edit", "service_id", "service_id"),
    "account": ("admin.account", "user_id", None),
    "webhook_endpoint": ("admin.webhook_edit", "endpoint_id", None),
}


class Change(NamedTuple):
    """One field of an entry: its label, and the value before and after, as people read them."""

    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Line:
    """An audit entry as the log shows it."""

    entry: AuditEntry
    subject: str
    subject_url: str | None
    changes: list[Change]


def _blank(value: object) -> bool:
    return value is None or value == ""


def label(key: str) -> str:
    return key.removesuffix("_id").replace("_", " ").capitalize()


def readable(key: str, value: object, names: dict[str, dict[int, str]]) -> str:
    """A snapshot value as a person reads it: names for ids, clinic time for instants."""
    if _blank(value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in names and isinstance(value, int):
        return names[key].get(value, f"#{value}")
    if isinstance(value, str) and len(value) > 10 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return f"{short_date(moment)} {moment.year} {clock(moment)}"
    if isinstance(value, dict):
        return ", ".join(
            f"{label(k).lower()} {readable(k, v, names)}" for k, v in value.items() if not _blank(v)
        )
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def changes(entry: AuditEntry, names: dict[str, dict[int, str]]) -> list[Change]:
    """Only the keys whose value differs between before and after; blank equals missing."""
    before, after = entry.before or {}, entry.after or {}
    result = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new or (_blank(old) and _blank(new)):
            continue
        result.append(Change(label(key), readable(key, old, names), readable(key, new, names)))
    return result


def line(entry: AuditEntry, names: dict[str, dict[int, str]]) -> Line:
    subject, url = entry.subject_type, None
    if entry.subject_type in SUBJECTS and entry.subject_id:
        endpoint, argument, name_key = SUBJECTS[entry.subject_type]
        url = url_for(endpoint, **{argument: entry.subject_id})
        reference = (entry.after or entry.before or {}).get("reference")
        if name_key:
            subject = names[name_key].get(entry.subject_id, f"{subject} #{entry.subject_id}")
        elif reference:
            subject = f"{subject} {format_reference(reference)}"
        else:
            subject = f"{subject} #{entry.subject_id}"
    return Line(entry, subject, url, changes(entry, names))


@bp.get("/audit")
@owner_required
def audit():
    area = request.args.get("action", "")
    if area not in AREAS:
        area = ""
    day = None
    if request.args.get("date"):
        try:
            day = parse_date(request.args["date"])
        except ParamError:
            flash("That date was not recognised; showing every date.")
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    page = audit_log.log_page(area, day, clinic().timezone, page=number, per_page=PER_PAGE)
    entries = list(page.items)
    names = audit_log.names_for(entries, NAMED, {k: v[2] for k, v in SUBJECTS.items() if v[2]})
    return render_template(
        "staff/audit.html",
        page=page,
        lines=[line(entry, names) for entry in entries],
        areas=AREAS,
        area=area,
        day=day,
    )
