"""HTTP as RFC 9110 has it: Allow on 405, 400 and 415 for bodies, Location on 201,
ETag and Cache-Control with 304 on public reads, no-store on anything with a token."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking
from tests.conftest import NO_FLAGS


def test_a_405_names_the_methods_the_resource_takes(client):
    response = client.put("/api/v1/services")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ('{"service": ', "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        ('"text"', "application/json", 400, "invalid_json"),
        ('{"service": "neck-initial"}', "text/plain", 415, "unsupported_media_type"),
        (
            "service=neck-initial",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400_and_not_json_at_all_is_415(
    app, client, data, content_type, status, code
):
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    with app.app_context():
        assert db.session.execute(db.select(Booking)).first() is None


def test_every_201_says_where_the_new_thing_is(client, make_booking, booking_payload):
    response = client.post("/api/v1/bookings", json=booking_payload())
    assert response.status_code == 201
    token = response.get_json()["manage_token"]
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{token}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_public_reads_carry_an_etag_and_answer_304_when_unchanged(client, make_booking):
    first = client.get("/api/v1/services")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/api/v1/services", headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    first_day = date.today() + timedelta(days=10)
    last_day = first_day + timedelta(days=6)
    path = f"/api/v1/availability?service=neck-initial&from={first_day}&to={last_day}"
    month = client.get(path)
    assert month.headers["Cache-Control"] == "public, no-cache"
    etag = month.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # A booking in that week changes the answer, and the ETag with it.
    slots = month.get_json()["slots"]
    if slots:
        slot = slots[0]
        made = client.post(
            "/api/v1/bookings",
            json={
                "service": "neck-initial",
                "start": slot["start"],
                "practitioner": slot["practitioner"]["id"],
                "patient": {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"},
                "screening": dict(NO_FLAGS),
                "disclaimer_accepted": True,
            },
        )
        assert made.status_code == 201
        changed = client.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != etag


def test_anything_that_carries_a_token_is_never_stored(client, make_booking, booking_payload):
    made = client.post("/api/v1/bookings", json=booking_payload())
    assert made.headers["Cache-Control"] == "no-store"
    token = made.get_json()["manage_token"]
    read = client.get(f"/api/v1/bookings/{token}")
    assert read.headers["Cache-Control"] == "no-store"
    assert "ETag" not in read.headers
