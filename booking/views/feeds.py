"""Practitioners' calendar subscription feeds at secret, revocable URLs."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from booking.services.practitioners import feed_calendar, feed_changed_at, practitioner_for_feed

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

GONE = (
    "This calendar link no longer works: it was replaced or turned off. "
    "Ask the clinic for the new link.\n"
)


@bp.get("/<token>.ics")
def calendar(token: str):
    """No sign-in: the secret in the URL is the credential.

    A link that works no more (replaced, turned off, or never one) answers 410 Gone,
    which tells calendar apps to stop asking. A poll that has the current file (its
    ETag, or nothing changed since Last-Modified) is answered 304 without a body.
    """
    practitioner = practitioner_for_feed(token)
    if practitioner is None:
        return Response(
            GONE, status=410, mimetype="text/plain", headers={"Cache-Control": "no-store"}
        )
    body = feed_calendar(practitioner)
    response = Response(body, mimetype="text/calendar")
    # The link is a credential: no shared cache keeps it, but the app may revalidate.
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    changed = feed_changed_at(practitioner)
    if changed is not None:
        response.last_modified = changed
    return response.make_conditional(request)
