"""The owner's area under /admin: prices, course plans, settings, staff, reports, webhooks."""

from __future__ import annotations

from flask import Blueprint, render_template

from booking.views.access import owners_only

bp = Blueprint("admin", __name__, url_prefix="/admin")
owners_only(bp)


@bp.get("/")
def index():
    return render_template("admin/index.html")


# The views register themselves on bp.
from booking.views.admin import (  # noqa: E402
    accounts,
    bursts,
    catalogue,
    course_plans,
    estimates,
    practitioners,
    reports,
    settings,
    webhooks,
)

__all__ = [
    "accounts",
    "bp",
    "bursts",
    "catalogue",
    "course_plans",
    "estimates",
    "practitioners",
    "reports",
    "settings",
    "webhooks",
]
