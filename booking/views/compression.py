"""Brotli or gzip, as the client accepts, for what anyone may see: the public catalogue
pages, the public API's reads and the static files.

Nothing that carries a secret is compressed. A page holding a CSRF token, a manage or
feed token or a patient's details beside something the request chose (a search, a
re-shown form) is what BREACH reads through the size of compressed answers; those are
exactly the answers sent `no-store` (`helpers.SHAREABLE`), so they go as they are. The
public ones carry nothing per person, and are larger and asked for far more often.
"""

from __future__ import annotations

from flask import Flask, Response, request

from booking.extensions import compress
from booking.views.helpers import SHAREABLE

# Text only: the favicon's PNGs and the like are compressed already.
MIMETYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/fhir+ndjson",
    "image/svg+xml",
]


def shareable(response: Response) -> bool:
    """An answer any cache may keep: a public endpoint's, not marked no-store."""
    return request.endpoint in SHAREABLE and not response.cache_control.no_store


def compress_public(response: Response) -> Response:
    """Compress a public 200 (Flask-Compress: `Vary`, `Content-Encoding`, the ETag
    `"<tag>:br"` of the compressed bytes, and 304 for a client that holds them)."""
    if not shareable(response):
        return response
    if response.status_code != 200:
        # A 304 (or a partial answer) names the Vary that the full answer would carry.
        response.vary.add("Accept-Encoding")
        return response
    if response.is_streamed and request.endpoint == "static":
        # A static file is sent from disk in pieces; read it whole to compress it like
        # any other answer (the stylesheets and scripts are small).
        response.direct_passthrough = False
        response.make_sequence()
    return compress.after_request(response)


def init_app(app: Flask) -> None:
    # This module's hook decides what is compressed, not one of Flask-Compress's own.
    app.config["COMPRESS_REGISTER"] = False
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Smaller answers gain nothing worth the work (and a header or two).
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # A streamed answer (a download) goes as it is made, never gathered up to compress.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)
    # Registered before the other after_request hooks, so it runs after them: it
    # compresses the body as it finally is.
    app.after_request(compress_public)
