"""Reception's pages under /staff: calendar, bookings, practitioners, patients, audit."""

from __future__ import annotations

from flask import Blueprint

from booking.views.access import staff_only

bp = Blueprint("staff", __name__, url_prefix="/staff")
staff_only(bp)


# The views register themselves on bp.
from booking.views.staff import (  # noqa: E402
    audit_log,
    bookings,
    calendar,
    outcomes,
    patients,
    practitioners,
    void,
    waitlist,
)

__all__ = [
    "audit_log",
    "bookings",
    "bp",
    "calendar",
    "outcomes",
    "patients",
    "practitioners",
    "void",
    "waitlist",
]
