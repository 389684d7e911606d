"""The owner's area under /admin: prices, course plans, settings, staff and reports."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_owner():
    """Owners only: reception is refused (403), anonymous visitors sent to sign in."""
    if not current_user.is_owner:
        abort(403)


@bp.get("/")
def index():
    return render_template("admin/index.html")


# The views register themselves on bp.
from booking.views.admin import (  # noqa: E402
    accounts,
    catalogue,
    practitioners,
    reports,
    settings,
)

__all__ = ["accounts", "bp", "catalogue", "practitioners", "reports", "settings"]
