"""Reception's pages under /staff: calendar, bookings, practitioners, patients, audit."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_staff():
    """Every /staff page needs a signed-in, active staff member."""


def owner_required(view):
    """For the few staff pages only an owner may see."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# The views register themselves on bp.
from booking.views.staff import (  # noqa: E402
    audit_log,
    bookings,
    calendar,
    patients,
    practitioners,
)

__all__ = ["audit_log", "bookings", "bp", "calendar", "owner_required", "patients", "practitioners"]
