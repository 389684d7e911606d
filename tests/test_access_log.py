"""The access log of the production server, read from the real file gunicorn writes."""

from __future__ import annotations

import http.client
import time

import pytest

from booking.access_log import mask_request_line, mask_target
from tests.gunicorn import serve

TOKEN = "Q" * 43


def get(port: int, path: str, headers: dict | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    status = connection.getresponse().status
    connection.close()
    return status


def test_gunicorns_access_log_holds_no_token_and_no_staff_search(app, tmp_path, make_booking):
    booking = make_booking()
    token = booking["manage_token"]
    log = tmp_path / "access.log"
    with serve(app, 2, args=("-c", "gunicorn.conf.py", "--access-logfile", str(log))) as port:
        for path in (
            f"/manage/{token}",
            f"/manage/{token}/calendar.ics",
            f"/api/v1/bookings/{token}",
            f"/feeds/{TOKEN}.ics",
            "/staff/patients?q=alice+smith",
            "/api/v1/staff/patients?q=alice",
            "/admin/reports?from=2026-01-01",
        ):
            get(port, path, {"Referer": f"https://book.example/manage/{token}"})
        time.sleep(0.5)  # gunicorn writes each line as the response ends
    written = log.read_text()
    lines = written.splitlines()
    assert len(lines) >= 7
    assert token not in written and TOKEN not in written
    assert "alice" not in written
    assert '"GET /manage/[token] HTTP/1.1" 200' in written
    assert '"GET /manage/[token]/calendar.ics HTTP/1.1" 200' in written
    assert '"GET /feeds/[token].ics HTTP/1.1" 410' in written
    assert '"GET /staff/patients?[hidden] HTTP/1.1" 302' in written
    assert "/admin/reports?[hidden]" in written
    assert '"https://book.example/manage/[token]"' in written


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/manage/abc", "/manage/[token]"),
        ("/manage/short/cancel?x=1", "/manage/[token]/cancel?x=1"),
        ("/api/v1/bookings", "/api/v1/bookings"),
        ("/api/v1/bookings/tok/cancel", "/api/v1/bookings/[token]/cancel"),
        ("/waitlist/tok/claim", "/waitlist/[token]/claim"),
        ("/api/v1/waitlist/tok", "/api/v1/waitlist/[token]"),
        ("/api/v1/waitlist", "/api/v1/waitlist"),
        (
            "/services/neck-initial/waitlist?from=2026-12-07",
            "/services/neck-initial/waitlist?from=2026-12-07",
        ),
        ("/staff/", "/staff/"),
        ("/staff?q=ann", "/staff?[hidden]"),
        ("/account/password?x=1", "/account/password?[hidden]"),
        (
            "/services/neck-initial/times?from=2026-12-07",
            "/services/neck-initial/times?from=2026-12-07",
        ),
        ("/staffing?q=1", "/staffing?q=1"),
        ("-", "-"),
    ],
)
def test_what_the_log_keeps_of_each_path(target, kept):
    assert mask_target(target) == kept
    assert mask_request_line(f"GET {target} HTTP/1.1") == f"GET {kept} HTTP/1.1"
