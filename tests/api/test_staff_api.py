"""The staff JSON API under /api/v1/staff: calendar, phone bookings and changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from booking import create_app
from booking.extensions import db
from booking.models import Booking, ClinicSettings, Patient, Service, TimeOff
from booking.models.base import utcnow
from booking.services import availability
from booking.views.helpers import to_local
from tests.audit import changes
from tests.conftest import NO_FLAGS, PASSWORD
from tests.database import database_uri, fresh_database

API = "/api/v1/staff"


def booking_id(app, reference):
    with app.app_context():
        return db.session.execute(
            db.select(Booking.id).where(Booking.reference == reference)
        ).scalar_one()


def count(app, model):
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def phone_booking(slot, **overrides):
    body = {
        "service": "neck-initial",
        "start": slot.start.isoformat(),
        "practitioner": slot.practitioner_id,
        "patient": {"name": "Dan Park", "phone": "207-555-0123"},
        "source": "phone",
        "screening": dict(NO_FLAGS),
        "disclaimer_read": True,
    }
    body.update(overrides)
    return body


def error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


# --- Access ------------------------------------------------------------------------------

# {practitioner} and {booking} are ids of a practitioner and a booking that exist.
CALLS = [
    ("get", "/csrf"),
    ("get", "/calendar/day?date=2026-12-01"),
    ("get", "/calendar/week?practitioner={practitioner}&date=2026-12-01"),
    ("get", "/patients?q=ann"),
    ("get", "/bookings/{booking}"),
    ("post", "/bookings"),
    ("post", "/bookings/{booking}/move"),
    ("post", "/bookings/{booking}/cancel"),
    ("post", "/bookings/{booking}/status"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_every_call_needs_a_signed_in_staff_member(
    app, client, clinic, free_slot, method, path, make_booking
):
    slot = free_slot()
    made = make_booking(slot)
    token = made["manage_token"]
    path = path.format(
        practitioner=clinic.practitioner.id, booking=booking_id(app, made["reference"])
    )
    body = {"start": free_slot(days_ahead=5).start.isoformat(), "reason": "x", "status": "noshow"}
    sep = "&" if "?" in path else "?"
    attempts = [
        getattr(client, method)(API + path, json=body),
        # A patient's manage token is no key to the staff API, wherever it is put.
        getattr(client, method)(f"{API}{path}{sep}token={token}", json=body),
        getattr(client, method)(
            API + path,
            json={**body, "token": token},
            headers={"Authorization": f"Bearer {token}", "X-Manage-Token": token},
        ),
    ]
    for response in attempts:
        assert error(response, 401)["code"] == "unauthorized"
        assert "Ann Lee" not in response.get_data(as_text=True)
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        assert booking.status == "booked" and booking.start_at == slot.start


def test_a_manage_token_in_the_path_is_not_a_booking_id(client, make_booking):
    token = make_booking()["manage_token"]
    for path in (f"/bookings/{token}", f"/bookings/{token}/cancel"):
        response = client.get(API + path)
        assert response.status_code in (401, 404, 405)
        assert "Ann Lee" not in response.get_data(as_text=True)


# --- Calendar ----------------------------------------------------------------------------


def test_day_calendar_has_a_column_per_practitioner_with_hours_breaks_time_off_and_bookings(
    app, client, auth, clinic, free_slot, make_booking
):
    practitioner = clinic.practitioner
    slot = free_slot(practitioner_id=practitioner.id)
    made = make_booking(slot, name="Dora Diaz")
    with app.app_context():
        day = to_local(slot.start).date()
        off_start = datetime.combine(day, datetime.min.time(), tzinfo=to_local(slot.start).tzinfo)
        db.session.add(
            TimeOff(
                practitioner_id=clinic.specialist.id,
                start_at=(off_start + timedelta(hours=10)).astimezone(UTC),
                end_at=(off_start + timedelta(hours=11)).astimezone(UTC),
            )
        )
        db.session.commit()
        patient_id = db.session.execute(db.select(Patient.id)).scalar_one()
        offset = to_local(slot.start).strftime("%z")
    auth.login()
    response = client.get(f"{API}/calendar/day?date={day}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["date"] == day.isoformat()
    assert data["timezone"] == "America/New_York"
    columns = {c["practitioner"]["name"]: c for c in data["columns"]}
    assert set(columns) == {p.name for p in clinic.practitioners}
    column = columns[practitioner.name]
    assert column["date"] == day.isoformat()
    # clinic.practitioner works 9 to 5 on weekdays with a lunch break; the slot is on one.
    offset = f"{offset[:3]}:{offset[3:]}"
    assert column["hours"] == [
        {"start": f"{day}T09:00:00{offset}", "end": f"{day}T17:00:00{offset}"}
    ]
    assert column["breaks"] == [
        {"start": f"{day}T12:30:00{offset}", "end": f"{day}T13:30:00{offset}"}
    ]
    (booking,) = column["bookings"]
    assert booking["reference"] == made["reference"]
    assert booking["id"] == booking_id(app, made["reference"])
    assert datetime.fromisoformat(booking["start"]) == slot.start
    assert booking["start"].endswith(offset)
    assert booking["status"] == "booked"
    assert booking["practitioner"] == {"id": practitioner.id, "name": practitioner.name}
    assert booking["patient"] == {"id": patient_id, "name": "Dora Diaz"}
    assert booking["service"]["slug"] == "neck-initial"
    assert columns[clinic.specialist.name]["time_off"] == [
        {"start": f"{day}T10:00:00{offset}", "end": f"{day}T11:00:00{offset}"}
    ]
    assert column["time_off"] == []
    assert data["cancelled"] == []


def test_cancelled_bookings_leave_the_columns_but_are_listed(
    app, client, auth, clinic, free_slot, make_booking
):
    slot = free_slot(practitioner_id=clinic.practitioner.id)
    made = make_booking(slot)
    auth.login()
    ident = booking_id(app, made["reference"])
    assert client.post(f"{API}/bookings/{ident}/cancel", json={"reason": "Ill"}).status_code == 200
    with app.app_context():
        day = to_local(slot.start).date()
    data = client.get(f"{API}/calendar/day?date={day}").get_json()
    assert all(not c["bookings"] for c in data["columns"])
    assert [b["id"] for b in data["cancelled"]] == [ident]
    assert data["cancelled"][0]["status"] == "cancelled"


def test_week_calendar_has_seven_days_for_one_practitioner(
    app, client, auth, clinic, free_slot, make_booking
):
    colleague = clinic.colleague
    slot = free_slot(practitioner_id=colleague.id)
    made = make_booking(slot)
    with app.app_context():
        day = to_local(slot.start).date()
    auth.login()
    data = client.get(f"{API}/calendar/week?practitioner={colleague.id}&date={day}").get_json()
    monday = day - timedelta(days=day.weekday())
    assert data["practitioner"] == {"id": colleague.id, "name": colleague.name}
    assert (data["from"], data["to"]) == (monday.isoformat(), (monday + timedelta(6)).isoformat())
    assert [c["date"] for c in data["columns"]] == [
        (monday + timedelta(n)).isoformat() for n in range(7)
    ]
    # clinic.colleague works Tuesday, Thursday and Saturday only.
    assert [bool(c["hours"]) for c in data["columns"]] == [0, 1, 0, 1, 0, 1, 0]
    booked = [b["reference"] for c in data["columns"] for b in c["bookings"]]
    assert booked == [made["reference"]]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/calendar/day?date=2026-02-30", 422, "date"),
        ("/calendar/day?date=tomorrow", 422, "date"),
        ("/calendar/week?date=2026-12-01", 422, "practitioner"),
        ("/calendar/week?practitioner=abc", 422, "practitioner"),
        ("/calendar/week?practitioner={practitioner}&date=12/01/2026", 422, "date"),
        ("/calendar/week?practitioner=999", 404, None),
    ],
)
def test_calendar_questions_that_cannot_be_answered(client, auth, clinic, path, status, field):
    auth.login()
    body = error(client.get(API + path.format(practitioner=clinic.practitioner.id)), status)
    if field:
        assert body["code"] == "validation_error"
        assert field in body["fields"]


def test_day_calendar_defaults_to_today(app, client, auth):
    auth.login()
    with app.app_context():
        today = to_local(utcnow()).date()
    assert client.get(f"{API}/calendar/day").get_json()["date"] == today.isoformat()


# --- Phone and walk-in bookings ----------------------------------------------------------


@pytest.fixture
def notice_week(app):
    """Make the minimum notice a week, and find a slot inside it (staff only)."""
    with app.app_context():
        db.session.execute(db.select(ClinicSettings)).scalar_one().min_notice_minutes = 7 * 24 * 60
        db.session.commit()
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        first = to_local(utcnow()).date() + timedelta(days=1)
        slots = availability.free_slots(
            service, first, first + timedelta(days=5), enforce_notice=False
        )
        assert slots
        return slots[0]


def test_phone_booking_inside_the_minimum_notice_is_taken(app, client, auth, notice_week):
    slot = notice_week
    online = client.post(
        "/api/v1/bookings",
        json={
            "service": "neck-initial",
            "start": slot.start.isoformat(),
            "practitioner": slot.practitioner_id,
            "patient": {"name": "Dan Park", "email": "dan@example.com", "phone": "2075550123"},
            "screening": dict(NO_FLAGS),
            "disclaimer_accepted": True,
        },
    )
    assert error(online, 422)["code"] == "slot_not_offered"  # too soon to book online
    email = auth.login()
    response = client.post(f"{API}/bookings", json=phone_booking(slot))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert datetime.fromisoformat(data["start"]) == slot.start
    assert data["practitioner"]["id"] == slot.practitioner_id
    assert data["patient"]["name"] == "Dan Park"
    assert data["patient"]["email"] == ""
    assert data["source"] == "phone"
    assert data["price"] == {"amount": "95.00", "currency": "USD"}
    assert "manage_token" not in data
    assert response.headers["Location"] == f"{API}/bookings/{data['id']}"
    with app.app_context():
        booking = db.session.get(Booking, data["id"])
        assert booking.disclaimer_acknowledged_by == "reception"
        assert booking.created_by_id is not None
        entry = db.session.execute(changes()).scalar_one()
        assert entry.action == "booking.create" and entry.user.email == email
    assert client.get(f"{API}/bookings/{data['id']}").get_json() == data


def test_phone_booking_over_a_practitioners_booking_is_refused(
    app, client, auth, free_slot, make_booking
):
    slot = free_slot()
    make_booking(slot)
    auth.login()
    for start in (slot.start, slot.start + timedelta(minutes=15)):
        response = client.post(f"{API}/bookings", json=phone_booking(slot, start=start.isoformat()))
        assert error(response, 409)["code"] == "slot_taken"
    assert count(app, Booking) == 1
    assert count(app, Patient) == 1


def test_walk_in_for_an_existing_patient_adds_no_patient(
    app, client, auth, free_slot, make_booking
):
    make_booking(days_ahead=2)
    with app.app_context():
        ann = db.session.execute(db.select(Patient)).scalar_one()
    auth.login()
    body = phone_booking(free_slot(days_ahead=9), patient_id=ann.id, source="walk-in")
    del body["patient"]
    response = client.post(f"{API}/bookings", json=body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["patient"] == {
        "id": ann.id,
        "name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "207 555 0100",
    }
    assert data["source"] == "walk-in"
    assert count(app, Patient) == 1


def test_red_flag_stops_a_phone_booking_and_nothing_is_stored(app, client, auth, free_slot):
    auth.login()
    body = phone_booking(free_slot(), screening={**NO_FLAGS, "trauma": True}, patient={})
    body_error = error(client.post(f"{API}/bookings", json=body), 422)
    assert body_error["code"] == "red_flag"
    assert body_error["fields"] == {"trauma": "Reported"}
    assert count(app, Booking) == 0 and count(app, Patient) == 0


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"patient": {}}, {"patient.name", "patient.phone"}),
        ({"patient": {"name": "Dan", "phone": "call me"}}, {"patient.phone"}),
        ({"patient": {"name": "Dan", "phone": "2075550123", "email": "dan@"}}, {"patient.email"}),
        ({"patient": "Dan Park"}, {"patient.name", "patient.phone"}),
        ({"patient_id": 999}, {"patient_id"}),
        ({"patient_id": "abc"}, {"patient_id"}),
        ({"patient_id": 99999999999999999999}, {"patient_id"}),
        ({"source": "online"}, {"source"}),
        ({"source": None}, {"source"}),
        ({"disclaimer_read": "yes"}, {"disclaimer_read"}),
        ({"disclaimer_read": False}, {"disclaimer_read"}),
        ({"screening": {**NO_FLAGS, "fever": "no"}}, {"screening.fever"}),
        ({"screening": None}, {"screening"}),
        ({"start": "tomorrow at nine"}, {"start"}),
        ({"start": "2026-12-01T09:00:00"}, {"start"}),
        ({"start": 12}, {"start"}),
        ({"practitioner": 999}, {"practitioner"}),
        ({"practitioner": [1]}, {"practitioner"}),
        ({"service": "shoulder"}, {"service"}),
    ],
)
def test_phone_booking_details_that_need_correcting(
    app, client, auth, free_slot, overrides, fields
):
    auth.login()
    body_error = error(
        client.post(f"{API}/bookings", json=phone_booking(free_slot(), **overrides)), 422
    )
    assert body_error["code"] == "validation_error"
    assert fields <= set(body_error["fields"]), body_error
    assert count(app, Booking) == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"book me"', "{not json", "", "null", "42"])
def test_a_body_that_is_not_an_object_is_a_400_not_a_crash(client, auth, body):
    auth.login()
    response = client.post(f"{API}/bookings", data=body, content_type="application/json")
    assert error(response, 400)["code"] == "invalid_json"


def test_a_time_never_offered_is_422(app, client, auth, free_slot):
    auth.login()
    slot = free_slot()
    with app.app_context():
        midnight = to_local(slot.start).replace(hour=0, minute=0).isoformat()
    response = client.post(f"{API}/bookings", json=phone_booking(slot, start=midnight))
    assert error(response, 422)["code"] == "slot_not_offered"


# --- Changing a booking ------------------------------------------------------------------


def two_bookings(app, practitioner, free_slot, make_booking):
    """Two bookings with one practitioner on different days: (first id, second id, both slots)."""
    first = free_slot(practitioner_id=practitioner.id, days_ahead=2)
    second = free_slot(practitioner_id=practitioner.id, days_ahead=9)
    a = make_booking(first)
    b = make_booking(second, name="Bo Chen", email="bo@example.com")
    return booking_id(app, a["reference"]), booking_id(app, b["reference"]), first, second


def test_moving_onto_a_taken_time_is_refused_and_the_old_time_kept(
    app, client, auth, free_slot, make_booking, clinic
):
    _a, b, first, second = two_bookings(app, clinic.practitioner, free_slot, make_booking)
    auth.login()
    response = client.post(
        f"{API}/bookings/{b}/move",
        json={"start": first.start.isoformat(), "practitioner": clinic.practitioner.id},
    )
    assert error(response, 409)["code"] == "slot_taken"
    kept = client.get(f"{API}/bookings/{b}").get_json()
    assert datetime.fromisoformat(kept["start"]) == second.start
    with app.app_context():
        assert db.session.execute(changes()).first() is None


def test_reception_moves_a_booking_to_a_free_time(
    app, client, auth, free_slot, make_booking, clinic
):
    _a, b, _first, second = two_bookings(app, clinic.practitioner, free_slot, make_booking)
    auth.login()
    later = second.start + timedelta(hours=1)
    response = client.post(f"{API}/bookings/{b}/move", json={"start": later.isoformat()})
    assert response.status_code == 200, response.get_json()
    assert datetime.fromisoformat(response.get_json()["start"]) == later
    with app.app_context():
        assert db.session.get(Booking, b).start_at == later
        assert db.session.execute(changes()).scalar_one().action == "booking.move"
    bad = client.post(f"{API}/bookings/{b}/move", json={"start": "soon"})
    assert set(error(bad, 422)["fields"]) == {"start"}
    assert error(client.post(f"{API}/bookings/999/move", json={"start": "x"}), 404)


def test_cancel_needs_a_reason_and_happens_once(app, client, auth, free_slot, make_booking, clinic):
    ident, *_ = two_bookings(app, clinic.practitioner, free_slot, make_booking)
    auth.login()
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 3}, {"reason": "x" * 301}):
        response = client.post(f"{API}/bookings/{ident}/cancel", json=body)
        assert set(error(response, 422)["fields"]) == {"reason"}
    done = client.post(f"{API}/bookings/{ident}/cancel", json={"reason": "Flu"})
    assert done.status_code == 200
    assert done.get_json()["status"] == "cancelled"
    assert done.get_json()["cancel_reason"] == "Flu"
    again = client.post(f"{API}/bookings/{ident}/cancel", json={"reason": "Flu"})
    assert error(again, 409)["code"] == "not_changeable"


def test_marking_arrived_done_and_no_show(
    app, client, auth, free_slot, start_now, make_booking, clinic
):
    ident, *_ = two_bookings(app, clinic.practitioner, free_slot, make_booking)
    auth.login()
    early = client.post(f"{API}/bookings/{ident}/status", json={"status": "fulfilled"})
    assert "once its start time has passed" in error(early, 409)["message"]
    start_now(ident)
    arrived = client.post(f"{API}/bookings/{ident}/status", json={"status": "arrived"})
    assert arrived.get_json()["status"] == "arrived"
    assert set(arrived.get_json()["transitions"]) == {"booked", "fulfilled", "noshow"}
    done = client.post(f"{API}/bookings/{ident}/status", json={"status": "fulfilled"})
    assert done.get_json()["status"] == "fulfilled"
    refused = client.post(f"{API}/bookings/{ident}/status", json={"status": "noshow"})
    assert error(refused, 409)["code"] == "not_changeable"
    for value in ("cancelled", "done", None, ["arrived"]):
        response = client.post(f"{API}/bookings/{ident}/status", json={"status": value})
        assert set(error(response, 422)["fields"]) == {"status"}
    with app.app_context():
        assert db.session.get(Booking, ident).status == "fulfilled"


def test_unknown_bookings_are_404(client, auth):
    auth.login()
    assert error(client.get(f"{API}/bookings/999"), 404)["code"] == "not_found"
    assert error(client.get(f"{API}/bookings/99999999999999999999"), 404)
    assert error(client.post(f"{API}/bookings/999/status", json={"status": "arrived"}), 404)


# --- Patients and CSRF -------------------------------------------------------------------


def test_patient_search_matches_phone_digits_however_typed(client, auth, make_booking):
    make_booking(phone="207-555-0100")
    auth.login()
    for query in ("(207) 555.0100", "2075550100", "555 0100", "ann lee", "ANN@example"):
        found = client.get(f"{API}/patients", query_string={"q": query}).get_json()["patients"]
        assert [p["name"] for p in found] == ["Ann Lee"], query
    assert client.get(f"{API}/patients?q=zed").get_json() == {"patients": []}
    assert client.get(f"{API}/patients").get_json() == {"patients": []}


@pytest.fixture
def csrf_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "csrf.sqlite3"),
            "WTF_CSRF_ENABLED": True,
            "SERVER_NAME": "clinic.test",
        }
    )
    with app.app_context():
        fresh_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_writes_without_the_csrf_header_are_refused(csrf_app, free_slot, booking_payload):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        from booking.services.accounts import create_user

        create_user("desk@clinic.test", "reception", PASSWORD)
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        day = to_local(utcnow()).date() + timedelta(days=3)
        slot = availability.free_slots(service, day, day + timedelta(days=7))[0]
    login_page = client.get("/login").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    form_token = form_token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    signed_in = client.post(
        "/login",
        data={"email": "desk@clinic.test", "password": PASSWORD, "csrf_token": form_token[1]},
    )
    assert signed_in.status_code == 302
    body = phone_booking(slot)
    refused = client.post(f"{API}/bookings", json=body)
    assert error(refused, 400)["code"] == "csrf_failed"
    wrong = client.post(f"{API}/bookings", json=body, headers={"X-CSRFToken": "forged"})
    assert error(wrong, 400)["code"] == "csrf_failed"
    assert count(csrf_app, Booking) == 0
    token = client.get(f"{API}/csrf").get_json()["csrf_token"]
    made = client.post(f"{API}/bookings", json=body, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.get_json()
    ident = made.get_json()["id"]
    cancel = client.post(f"{API}/bookings/{ident}/cancel", json={"reason": "Ill"})
    assert error(cancel, 400)["code"] == "csrf_failed"
    assert client.get(f"{API}/bookings/{ident}").get_json()["status"] == "booked"


def test_a_signed_out_write_is_told_to_sign_in_before_anything_about_csrf(csrf_app, free_slot):
    """401 first: the caller's problem is who they are, not the form's token."""
    client = csrf_app.test_client()
    refused = client.post(f"{API}/bookings", json=phone_booking(free_slot()))
    assert error(refused, 401)["code"] == "unauthorized"
    page = client.post("/staff/bookings/1/cancel", data={"reason": "x"})
    assert page.status_code == 302 and "/login" in page.headers["Location"]
