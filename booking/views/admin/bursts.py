"""The owner's list of recent bursts: many online bookings from one address or email."""

from __future__ import annotations

from flask import render_template

from booking.models.base import utcnow
from booking.services import bursts as burst_service
from booking.views.admin import bp


@bp.get("/bursts")
def bursts():
    now = utcnow()
    found = burst_service.recent_bursts(now)
    return render_template(
        "admin/bursts.html",
        bursts=found,
        size=burst_service.BURST_SIZE,
        days=burst_service.WINDOW.days,
    )
