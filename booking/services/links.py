"""Absolute links for emails, calendar files and pages, always under BASE_URL.

Never from the request's Host header: a link built from it would point wherever the
sender of the request chose, and land in a patient's email or calendar.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL under BASE_URL, the same inside a request or a cron job."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)
