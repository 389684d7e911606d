"""The SMART Scheduling Links publisher under /fhir: the manifest and its NDJSON files.

Public and read-only, for slot directories: no sign-in, no cookies, no CSRF (GETs only).
Every answer names its edition with a strong ETag and may be kept until the next edition
begins (`Cache-Control: public, max-age`); a client that sends the ETag it has gets 304
before anything is computed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, request

from booking.models.base import utcnow
from booking.services import fhir
from booking.views.params import parse_since

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
bp.record_once(lambda state: fhir.init_app(state.app))

NDJSON = "application/fhir+ndjson"
ENCODINGS = ("br", "gzip")


def published(build: Callable[[fhir.Edition], bytes], mimetype: str, *tagged: str) -> Response:
    """The edition this request gets: 304 when the client has it, else its body."""
    asked = request.args.get("_since")
    now = utcnow()
    edition = fhir.edition(now, parse_since(asked))
    etag = edition.etag(request.endpoint or "", *tagged)
    headers = {
        "Cache-Control": f"public, max-age={edition.seconds_left(now)}",
        # Public data for any directory, read by browsers too: it carries nobody's secrets.
        "Access-Control-Allow-Origin": "*",
    }
    # A client may hold the compressed copy's tag (`"<tag>:br"`, views/compression.py).
    held = (etag, *(f"{etag}:{encoding}" for encoding in ENCODINGS))
    if any(request.if_none_match.contains_weak(tag) for tag in held):
        response = Response(status=304, headers=headers)
    else:
        response = Response(build(edition), mimetype=mimetype, headers=headers)
    response.set_etag(etag)
    return response


@bp.get("/$bulk-publish")
def bulk_publish():
    """The manifest: when the data is as of, and where each file is."""
    asked = request.args.get("_since") or ""

    def build(edition: fhir.Edition) -> bytes:
        return current_app.json.dumps(fhir.manifest(edition, asked)).encode()

    # The manifest repeats the `_since` asked for, so that text is part of its tag.
    return published(build, "application/json", asked)


@bp.get("/locations.ndjson")
def locations():
    return published(fhir.location_file, NDJSON)


@bp.get("/schedules.ndjson")
def schedules():
    return published(fhir.schedule_file, NDJSON)


@bp.get("/slots.ndjson")
def slots():
    return published(fhir.slot_file, NDJSON)
