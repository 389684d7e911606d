"""Compressed answers: the public pages, API reads and static files, never a secret."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


def fetch(client, path: str, **headers):
    """The answer's status, headers and body bytes (the file closed behind it)."""
    with client.get(path, headers=headers) as response:
        return response.status_code, response.headers, response.get_data()


@pytest.mark.parametrize("encoding", ["gzip", "br"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/services/back-initial",
        "/api/v1/services",
        "/static/css/site.css",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/fhir/slots.ndjson",
    ],
)
def test_public_answers_are_compressed_when_the_client_accepts_it(client, path, encoding):
    status, plain_headers, plain = fetch(client, path)
    assert status == 200 and "Content-Encoding" not in plain_headers
    assert "Accept-Encoding" in plain_headers["Vary"]
    status, headers, body = fetch(client, path, **{"Accept-Encoding": encoding})
    assert status == 200
    assert headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in headers["Vary"]
    assert int(headers["Content-Length"]) == len(body) < len(plain)
    assert DECODE[encoding](body) == plain
    if path.startswith("/static/"):
        assert plain == (STATIC / path.removeprefix("/static/")).read_bytes()


def test_the_client_chooses_by_its_preferences(client):
    _, headers, _ = fetch(client, "/", **{"Accept-Encoding": "gzip;q=1.0, br;q=0.5"})
    assert headers["Content-Encoding"] == "gzip"
    _, headers, _ = fetch(client, "/", **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in headers
    _, headers, _ = fetch(client, "/", **{"Accept-Encoding": "compress, zstd;q=0"})
    assert "Content-Encoding" not in headers


def test_small_answers_go_as_they_are(client):
    status, headers, body = fetch(client, "/static/favicon.svg", **{"Accept-Encoding": "gzip"})
    assert status == 200 and len(body) < 500
    assert "Content-Encoding" not in headers


def test_a_compressed_answer_still_answers_304(client):
    _, headers, body = fetch(client, "/api/v1/services", **{"Accept-Encoding": "gzip"})
    tag = headers["ETag"]
    # Strong, and not the uncompressed answer's: these are other bytes.
    assert tag.startswith('"') and tag.endswith(':gzip"')
    _, plain_headers, _ = fetch(client, "/api/v1/services")
    assert plain_headers["ETag"] != tag
    for etag, encoding in ((tag, "gzip"), (plain_headers["ETag"], "")):
        status, again, body = fetch(
            client, "/api/v1/services", **{"Accept-Encoding": encoding, "If-None-Match": etag}
        )
        assert (status, body) == (304, b"")
        assert again["ETag"] == etag
        assert "Accept-Encoding" in again["Vary"]
    # The brotli copy is another representation again: sent whole, not 304.
    status, headers, _ = fetch(
        client, "/api/v1/services", **{"Accept-Encoding": "br", "If-None-Match": tag}
    )
    assert (status, headers["Content-Encoding"]) == (200, "br")


def test_a_static_file_answers_304_compressed_too(client):
    _, headers, _ = fetch(client, "/static/css/site.css", **{"Accept-Encoding": "br"})
    status, again, body = fetch(
        client,
        "/static/css/site.css",
        **{"Accept-Encoding": "br", "If-None-Match": headers["ETag"]},
    )
    assert (status, body) == (304, b"")


def test_pages_with_a_secret_are_never_compressed(client, auth, make_booking):
    """BREACH reads secrets through compressed sizes: a CSRF token, a manage link, a
    patient's details beside what the request chose are sent as they are."""
    booking = make_booking()
    manage = booking["manage_url"].removeprefix("http://clinic.test")
    for path in ["/login", manage, f"/api/v1/bookings/{booking['manage_token']}"]:
        assert_sent_as_is(client, path)
    auth.login("owner")
    for path in ["/staff/", "/staff/patients?q=Ann", "/admin/reports"]:
        assert_sent_as_is(client, path)


def assert_sent_as_is(client, path: str) -> None:
    status, headers, body = fetch(client, path, **{"Accept-Encoding": "gzip, br"})
    assert status == 200, path
    assert len(body) > 500, path
    assert "Content-Encoding" not in headers, path
    assert headers["Cache-Control"] == "no-store", path


def test_downloads_are_not_compressed(client, auth, make_booking):
    make_booking()
    auth.login("owner")
    status, headers, body = fetch(
        client, "/admin/reports/bookings-by-week.csv", **{"Accept-Encoding": "gzip"}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "Content-Encoding" not in headers
