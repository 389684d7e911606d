"""The owner's list of self-pay bookings still without a Good Faith Estimate."""

from __future__ import annotations

from flask import render_template

from booking.models.base import utcnow
from booking.services import good_faith
from booking.services.clinic import get_settings
from booking.views.admin import bp


@bp.get("/estimates")
def estimates():
    settings = get_settings()
    missing = [name for name, value in (("NPI", settings.npi), ("TIN", settings.tin)) if not value]
    return render_template(
        "admin/estimates.html",
        on=good_faith.applies(),
        lacking=good_faith.lacking(utcnow()),
        missing=missing,
        uncoded=good_faith.uncoded_services(),
    )
