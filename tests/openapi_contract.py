"""Every answer the API gives in any test is checked against the OpenAPI document.

The `app` fixture registers `Contract.check` as the app's last after-request hook, so
each of the suite's API calls also asserts that its status is documented for the
operation and its JSON body matches the documented schema; a test that passes while the
API says something the document does not, fails at teardown, naming the call.
"""

from __future__ import annotations

import re
from functools import cache

from flask import request
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from booking.views.openapi import document

# Served by the API blueprint but not operations of the API.
NOT_OPERATIONS = frozenset({"api.openapi", "api.docs"})
CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def openapi_path(rule: str) -> str:
    """Flask's /bookings/<id:booking_id> as OpenAPI's /bookings/{booking_id}."""
    return CONVERTER.sub(r"{\1}", rule)


@cache
def registry() -> Registry:
    resource = Resource.from_contents(document(), default_specification=_draft())
    return Registry().with_resource("urn:openapi", resource)


def _draft():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


@cache
def validator(path: str, method: str, status: str) -> Draft202012Validator | None:
    response = document()["paths"][path][method]["responses"][status]
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, method, "responses", status, "content")
    )
    wrapped = {"$ref": f"urn:openapi#/{pointer}/application~1json/schema"}
    return Draft202012Validator(wrapped, registry=registry())


def documented(path: str, method: str) -> dict | None:
    return document()["paths"].get(path, {}).get(method)


class Contract:
    def __init__(self):
        self.failures: list[str] = []

    def check(self, response):
        rule = request.url_rule
        if rule is None or not rule.rule.startswith("/api/v1"):
            return response
        if request.endpoint in NOT_OPERATIONS or request.method in ("HEAD", "OPTIONS"):
            return response
        path, method = openapi_path(rule.rule), request.method.lower()
        where = f"{request.method} {request.path} -> {response.status_code}"
        operation = documented(path, method)
        if operation is None:
            self.failures.append(f"{where}: the operation is not in the OpenAPI document")
            return response
        status = str(response.status_code)
        if status not in operation["responses"]:
            self.failures.append(f"{where}: status {status} is not documented")
            return response
        check = validator(path, method, status)
        if check is not None:
            if response.mimetype != "application/json":
                self.failures.append(f"{where}: answered {response.mimetype}, not JSON")
                return response
            body = response.get_json()
            for error in sorted(check.iter_errors(body), key=str)[:3]:
                at = "/".join(str(p) for p in error.absolute_path) or "(body)"
                self.failures.append(f"{where}: at {at}: {error.message[:300]}")
        return response
