"""Practitioners' calendar subscription feeds at secret, revocable URLs."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from booking.services.practitioners import feed_calendar, practitioner_for_feed

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


@bp.get("/<token>.ics")
def calendar(token: str):
    """No sign-in: the secret in the URL is the credential, so unknown tokens are 404."""
    practitioner = practitioner_for_feed(token)
    if practitioner is None:
        abort(404)
    return Response(
        feed_calendar(practitioner),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, no-store"},
    )
