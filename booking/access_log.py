"""Access logs without secrets: gunicorn's logger, and the filter for the development server.

A path can carry a credential: a patient's manage token (`/manage/<token>`,
`/api/v1/bookings/<token>`) or a calendar feed's (`/feeds/<token>.ics`). Each is
replaced by `[token]`, whatever its length. A staff page's query string can carry
patient data (`/staff/patients?q=alice`), so for staff, owner and account pages, and
the staff API, the query string is dropped. A request that arrives from one of those
pages (the Referer) is treated the same way. Imports nothing of Flask, so
`gunicorn.conf.py` can use it in the master process.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

TOKEN_IN_PATH = re.compile(
    r"(/(?:manage|api/v1/bookings|feeds|waitlist|api/v1/waitlist)/)[^/?#\s\".]+"
)
# Pages whose query strings may hold patient data: nothing after "?" is kept.
PRIVATE = re.compile(r"^(?:[a-z]+://[^/]+)?/(?:staff|admin|account|api/v1/staff)(?:[/?]|$)")
# Request headers and environ entries that carry credentials or the raw address.
HIDDEN = ("cookie", "authorization", "x-csrftoken")
RAW = ("raw_uri", "request_uri", "path_info", "query_string", "http_referer", "http_cookie")


def mask_target(target: str) -> str:
    """A path (or URL) with any query as the log may keep it."""
    if not target or target == "-":
        return target
    path, sep, query = target.partition("?")
    path = TOKEN_IN_PATH.sub(r"\1[token]", path)
    if sep and PRIVATE.match(path):
        return f"{path}?[hidden]"
    return path + sep + TOKEN_IN_PATH.sub(r"\1[token]", query)


def mask_request_line(line: str) -> str:
    """'GET /manage/abc HTTP/1.1' with its target masked."""
    method, _, rest = line.partition(" ")
    target, _, protocol = rest.rpartition(" ")
    if not target:  # not a request line: mask it as a whole
        return mask_target(line)
    return f"{method} {mask_target(target)} {protocol}"


class Logger(GunicornLogger):
    """gunicorn's logger, with every token and private query string masked (see above)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = mask_request_line(atoms["r"])
        path = mask_target(environ.get("PATH_INFO") or "")
        atoms["U"] = path
        query = environ.get("QUERY_STRING") or ""
        atoms["q"] = "[hidden]" if query and PRIVATE.match(path) else mask_target("?" + query)[1:]
        atoms["f"] = mask_target(atoms.get("f", "-"))
        for name in HIDDEN:
            if f"{{{name}}}i" in atoms:
                atoms[f"{{{name}}}i"] = "[hidden]"
        for name in RAW:
            if f"{{{name}}}e" in atoms:
                atoms[f"{{{name}}}e"] = "[hidden]"
        atoms["{referer}i"] = atoms["f"]
        return atoms


class RedactTokens(logging.Filter):
    """The same masking for the development server's log lines (werkzeug's logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_request_line(a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_PATH.sub(r"\1[token]", record.msg)
        return True
