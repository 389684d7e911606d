"""POST /api/v1/bookings and managing a booking by its token."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from booking.extensions import db
from booking.models import Booking, ClinicSettings, Patient, Service
from booking.services.bookings import hash_token


def count(app, model):
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def test_booking_a_free_slot_returns_201_with_reference_and_token(app, client, booking_payload):
    body = booking_payload()
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 201
    data = response.get_json()
    assert len(data["reference"]) == 8
    assert len(data["manage_token"]) >= 40
    assert datetime.fromisoformat(data["start"]) == datetime.fromisoformat(body["start"])
    assert data["practitioner"]["id"] == body["practitioner"]
    assert data["price"] == {"amount": "95.00", "currency": "USD"}
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        assert booking.status == "booked"
        assert booking.source == "online"
        assert booking.price_cents == 9500
        assert booking.disclaimer_version == 1
        assert booking.screening == {key: False for key in body["screening"]}
        # The token itself is never stored, only its hash.
        assert booking.manage_token_hash == hash_token(data["manage_token"])
        assert data["manage_token"] not in booking.manage_token_hash
        assert booking.blocked_until - booking.end_at == timedelta(minutes=15)


def test_any_practitioner_is_assigned_when_none_is_given(client, booking_payload):
    body = booking_payload()
    del body["practitioner"]
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 201
    assert response.get_json()["practitioner"]["name"]


def test_second_booking_of_the_same_practitioner_and_time_gets_409(app, client, booking_payload):
    body = booking_payload()
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    again = client.post(
        "/api/v1/bookings",
        json={
            **body,
            "patient": {"name": "Bo Chen", "email": "bo@example.com", "phone": "5550101"},
        },
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "slot_taken"
    assert count(app, Booking) == 1


def test_overlapping_time_inside_the_buffer_is_also_refused(
    app, client, free_slot, booking_payload
):
    slot = free_slot()
    assert client.post("/api/v1/bookings", json=booking_payload(slot)).status_code == 201
    # 60 minutes + 15 buffer: starting 45 minutes later overlaps the first booking.
    later = (slot.start + timedelta(minutes=45)).isoformat()
    response = client.post("/api/v1/bookings", json=booking_payload(slot, start=later))
    assert response.status_code == 409
    assert count(app, Booking) == 1


def test_red_flag_is_refused_with_advice_and_nothing_is_stored(app, client, booking_payload):
    body = booking_payload()
    body["screening"]["bowel_bladder"] = True
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "red_flag"
    assert "GP or doctor" in error["message"]
    assert "emergency" in error["message"]
    assert "bowel_bladder" in error["fields"]
    assert count(app, Booking) == 0
    assert count(app, Patient) == 0


def long(n):
    return "x" * n


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"disclaimer_accepted": False}, "disclaimer_accepted"),
        ({"disclaimer_accepted": "yes"}, "disclaimer_accepted"),
        ({"patient": {"name": "", "email": "a@b.co", "phone": "5550100"}}, "patient.name"),
        ({"patient": {"name": long(121), "email": "a@b.co", "phone": "5550100"}}, "patient.name"),
        ({"patient": {"name": "Al", "email": "not-an-email", "phone": "5550100"}}, "patient.email"),
        (
            {"patient": {"name": "Al", "email": long(250) + "@b.co", "phone": "5550100"}},
            "patient.email",
        ),
        ({"patient": {"name": "Al", "email": "a@b.co", "phone": "call me"}}, "patient.phone"),
        ({"patient": {"name": "Al", "email": "a@b.co", "phone": "1" * 31}}, "patient.phone"),
        ({"patient": {"name": 5, "email": "a@b.co", "phone": "5550100"}}, "patient.name"),
        ({"patient": "Ann"}, "patient"),
        ({"screening": {}}, "screening.fever"),
        ({"screening": "none"}, "screening"),
        ({"start": "tomorrow"}, "start"),
        ({"start": "2026-12-01T10:00:00"}, "start"),
        ({"start": None}, "start"),
        ({"service": "knee-initial"}, "service"),
        ({"practitioner": 999}, "practitioner"),
        ({"practitioner": "one"}, "practitioner"),
    ],
    ids=[
        "disclaimer-false",
        "disclaimer-not-boolean",
        "empty-name",
        "over-long-name",
        "bad-email",
        "over-long-email",
        "phone-with-letters",
        "over-long-phone",
        "name-not-text",
        "patient-not-object",
        "screening-unanswered",
        "screening-not-object",
        "start-not-a-time",
        "start-without-offset",
        "start-missing",
        "unknown-service",
        "unknown-practitioner",
        "practitioner-not-id",
    ],
)
def test_invalid_booking_gets_422_with_field_message_and_stores_nothing(
    app, client, booking_payload, change, field
):
    response = client.post("/api/v1/bookings", json=booking_payload(**change))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert count(app, Booking) == 0
    assert count(app, Patient) == 0


@pytest.mark.parametrize(
    "move",
    [
        lambda start: start.replace(year=2020),
        lambda start: start.replace(hour=8, minute=0),  # 03:00 or 04:00 in New York
        lambda start: start + timedelta(minutes=7),
        lambda start: start + timedelta(days=400),
    ],
    ids=["past", "outside-hours", "off-the-slot-grid", "beyond-horizon"],
)
def test_times_not_offered_get_422_and_store_nothing(app, client, free_slot, booking_payload, move):
    slot = free_slot()
    response = client.post(
        "/api/v1/bookings", json=booking_payload(slot, start=move(slot.start).isoformat())
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "slot_not_offered"
    assert "start" in error["fields"]
    assert count(app, Booking) == 0


def test_time_inside_minimum_notice_is_not_offered(app, client, booking_payload):
    body = booking_payload()
    with app.app_context():
        db.session.execute(db.update(ClinicSettings).values(min_notice_minutes=60 * 24 * 30))
        db.session.commit()
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert count(app, Booking) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("", "text/plain", 415),
    ],
    ids=["malformed", "array", "empty"],
)
def test_malformed_json_gets_a_json_error_not_500(client, data, content_type, status):
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_oversized_request_is_refused(client):
    response = client.post(
        "/api/v1/bookings", data="{" + " " * 70_000 + "}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_manage_token_shows_the_booking(client, make_booking):
    made = make_booking()
    shown = client.get(f"/api/v1/bookings/{made['manage_token']}").get_json()
    assert shown["reference"] == made["reference"]
    assert shown["status"] == "booked"
    assert shown["start"] == made["start"]


def test_unknown_token_gets_404_json(client):
    response = client.get("/api/v1/bookings/not-a-real-token-at-all")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_patient_can_cancel_and_the_slot_is_free_again(
    app, client, free_slot, booking_payload, make_booking
):
    slot = free_slot()
    made = make_booking(slot)
    response = client.post(f"/api/v1/bookings/{made['manage_token']}/cancel", json={})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    again = client.post(
        "/api/v1/bookings",
        json=booking_payload(slot, patient={"name": "Bo", "email": "bo@x.org", "phone": "5550199"}),
    )
    assert again.status_code == 201
    second = client.post(f"/api/v1/bookings/{made['manage_token']}/cancel", json={})
    assert second.status_code == 409


def test_patient_can_reschedule_to_another_free_time_keeping_the_price(
    app, client, free_slot, make_booking
):
    made = make_booking()
    other = free_slot(days_ahead=5, practitioner_id=made["practitioner"]["id"])
    with app.app_context():
        db.session.execute(db.update(Service).values(price_cents=12000))
        db.session.commit()
    response = client.post(
        f"/api/v1/bookings/{made['manage_token']}/reschedule",
        json={"start": other.start.isoformat()},
    )
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()
    assert moved["start"] == other.start.astimezone(ZoneInfo("America/New_York")).isoformat()
    assert moved["price"]["amount"] == "95.00"
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        assert booking.start_at == other.start
        assert booking.sequence == 1


def test_reschedule_onto_a_taken_time_gets_409_and_keeps_the_old_time(
    app, client, free_slot, make_booking
):
    first = make_booking()
    slot = free_slot(days_ahead=6, practitioner_id=first["practitioner"]["id"])
    make_booking(slot, patient={"name": "Bo", "email": "bo@x.org", "phone": "5550199"})
    response = client.post(
        f"/api/v1/bookings/{first['manage_token']}/reschedule",
        json={"start": slot.start.isoformat(), "practitioner": slot.practitioner_id},
    )
    assert response.status_code == 409
    shown = client.get(f"/api/v1/bookings/{first['manage_token']}").get_json()
    assert shown["start"] == first["start"]


def test_changes_inside_the_cancellation_window_are_refused_with_the_phone_number(
    app, client, clinic, make_booking
):
    made = make_booking()
    with app.app_context():
        db.session.execute(db.update(ClinicSettings).values(cancellation_notice_hours=24 * 60))
        db.session.commit()
    token = made["manage_token"]
    for path, body in [("cancel", {}), ("reschedule", {"start": made["start"]})]:
        response = client.post(f"/api/v1/bookings/{token}/{path}", json=body)
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "too_late"
        assert clinic.phone in error["message"]
    assert client.get(f"/api/v1/bookings/{token}").get_json()["status"] == "booked"


def test_reschedule_needs_a_valid_start(client, make_booking):
    made = make_booking()
    response = client.post(
        f"/api/v1/bookings/{made['manage_token']}/reschedule", json={"start": "soon"}
    )
    assert response.status_code == 422
    assert "start" in response.get_json()["error"]["fields"]


def test_calendar_file_for_a_booking_parses_and_matches(app, client, clinic, make_booking):
    made = make_booking()
    response = client.get(f"/manage/{made['manage_token']}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    event = calendar.walk("VEVENT")[0]
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        assert event.decoded("dtstart") == booking.start_at
        assert event.decoded("dtend") == booking.end_at
    assert clinic.name in str(event["summary"])
    assert clinic.address.split(",")[0] in str(event["location"])
    assert made["manage_token"] in str(event["description"])


def test_rescheduling_to_the_same_time_is_refused_and_changes_nothing(app, client, make_booking):
    made = make_booking()
    response = client.post(
        f"/api/v1/bookings/{made['manage_token']}/reschedule",
        json={"start": made["start"], "practitioner": made["practitioner"]["id"]},
    )
    assert response.status_code == 422
    assert "current time" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.execute(db.select(Booking)).scalar_one().sequence == 0
