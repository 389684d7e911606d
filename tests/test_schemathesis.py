"""Schemathesis against the running app (gunicorn on loopback, the test's database):
thousands of requests made from /api/v1/openapi.json, valid and not. No answer may be a
5xx, every status must be documented for its operation, and every body must match its
documented schema. The public API anonymously; the staff API signed in as an owner,
with the session cookie and CSRF token a real client would send. It runs on SQLite and
PostgreSQL, like the rest of the suite.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.gunicorn import serve

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# Examples per operation in the fuzzing phase (the coverage phase adds its own cases).
EXAMPLES = "15"
# Flask-Login ties a staff session to the browser that signed in (its user agent):
# the fuzzer speaks as the same one.
AGENT = "schemathesis-staff-fuzz"


@pytest.fixture
def gunicorn(app, make_booking):
    # Some bookings and patients for the ids the fuzzer tries.
    for days in (2, 3, 4):
        make_booking(days_ahead=days, email=f"fuzz{days}@example.com")
        make_booking(days_ahead=days, email=f"desk{days}@example.com", staff=True)
    with serve(
        app,
        workers=2,
        BOOKING_RATE_LIMITS="0",  # explore the code behind the limits, not the 429s
        BOOKING_BOT_MIN_FILL_SECONDS="0",
    ) as port:
        yield port


def schemathesis(port: int, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"http://127.0.0.1:{port}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--seed",
        "15",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "20",
        # The session cookie is the one signed in below, not one made up per request.
        "--generation-with-security-parameters",
        "false",
        *args,
    ]
    return subprocess.run(  # noqa: S603 (our own command line)
        command, cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False
    )


def passed(result: subprocess.CompletedProcess) -> bool:
    print(result.stdout[-6000:])
    print(result.stderr[-2000:])
    return result.returncode == 0


def sign_in(port: int, email: str) -> tuple[str, str]:
    """Sign in through the real form; the session cookie and a CSRF token for the API."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the sign-in form has a CSRF token"
    form = urllib.parse.urlencode(
        {"csrf_token": token[1], "email": email, "password": PASSWORD}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login", data=form))
    csrf = json.loads(opener.open(f"{base}/api/v1/staff/csrf").read())["csrf_token"]
    cookie = next(c for c in jar if c.name == "session")
    return f"{cookie.name}={cookie.value}", csrf


def test_the_public_api_answers_only_what_its_openapi_document_says(gunicorn, tmp_path):
    result = schemathesis(gunicorn, tmp_path, "--exclude-path-regex", "^/api/v1/staff")
    assert passed(result), "Schemathesis found answers the document does not describe"


def test_the_staff_api_signed_in_answers_only_what_its_openapi_document_says(
    gunicorn, tmp_path, make_user
):
    cookie, csrf = sign_in(gunicorn, make_user("owner", email="fuzz-owner@clinic.test"))
    result = schemathesis(
        gunicorn,
        tmp_path,
        "--include-path-regex",
        "^/api/v1/staff",
        "--header",
        f"Cookie: {cookie}",
        "--header",
        f"X-CSRFToken: {csrf}",
        "--header",
        f"User-Agent: {AGENT}",
    )
    assert passed(result), "Schemathesis found answers the document does not describe"
