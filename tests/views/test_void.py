"""Cleaning up a flood in one step: void many bookings as entered-in-error; the bursts list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import AuditEntry, Booking, ClinicSettings, OutboxMessage, Service
from booking.services import availability
from booking.views.helpers import to_local
from tests.conftest import PASSWORD
from tests.views.test_admin_reports import csv_rows
from tests.views.test_booking_limits import body, far_apart_slots

FLOOD = "198.51.100.23"
API = "/api/v1/bookings"


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def flood(app, client):
    """Twelve online bookings from one address for twelve made-up patients."""
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        settings.bookings_per_address_hour = 100
        db.session.commit()
    slots = far_apart_slots(app, 12)
    made = []
    for n, slot in enumerate(slots):
        response = client.post(API, json=body(slot, n), environ_base={"REMOTE_ADDR": FLOOD})
        assert response.status_code == 201
        made.append(response.get_json())
    return slots, made


def statuses(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(Booking.status).order_by(Booking.id)).scalars())


def void_url(**query) -> str:
    from urllib.parse import urlencode

    return "/staff/void?" + urlencode(query)


def listed(page: str) -> list[str]:
    return re.findall(r'name="booking" value="(\d+)"', page)


def ticked(page: str) -> list[str]:
    return re.findall(r'name="booking" value="(\d+)"[^>]*\n?\s*checked', page)


def test_the_owner_sees_the_burst_and_reception_voids_it_in_one_step(
    app, client, auth, clinic, flood
):
    slots, made = flood
    owner = auth.login("owner")
    bursts = text(client.get("/admin/bursts"))
    assert f"Address {FLOOD}" in bursts
    row = bursts.split(f"Address {FLOOD}")[1].split("</tr>")[0]
    assert re.findall(r'class="num">(\d+)<', row) == ["12", "12", "12"]
    link = re.search(r'href="(/staff/void\?[^"]+)"', row).group(1).replace("&amp;", "&")
    client.post("/logout")

    auth.login("reception")
    page = text(client.get(link))
    assert "12 bookings match" in page
    assert len(listed(page)) == 12 and ticked(page) == []  # nothing is ticked for you
    emails_before = _outbox(app)
    response = client.post(link, data={"every": "y", "reason": "A flood from one address"})

    assert response.status_code == 302
    assert "Voided 12 bookings as entered in error" in text(
        client.get(response.headers["Location"])
    )
    assert statuses(app) == ["entered-in-error"] * 12
    # No email to anyone, and the confirmations still waiting are never sent.
    after = _outbox(app)
    assert len(after) == len(emails_before)
    assert {status for status, _ in after} == {"superseded"}
    # One audit entry for the lot, naming every booking.
    with app.app_context():
        [entry] = db.session.execute(
            db.select(AuditEntry).filter_by(action="booking.void")
        ).scalars()
        assert len(entry.after["bookings"]) == 12
        assert set(entry.after["bookings"].values()) == {"entered-in-error"}
        assert entry.summary.startswith("12 bookings voided as entered in error")
        assert entry.user.email == "reception@clinic.test"
        # Their times are free again.
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        for slot in slots:
            assert availability.slots_at(service, slot.start, practitioner_id=slot.practitioner_id)
    # The patient's link says what happened; the API gives the FHIR status.
    manage = text(client.get(f"/manage/{made[0]['manage_token']}"))
    assert "This booking has been removed" in manage
    assert client.get(f"{API}/{made[0]['manage_token']}").get_json()["status"] == "entered-in-error"
    # The burst is gone from the owner's list, and nothing is left to void there.
    client.post("/logout")
    client.post("/login", data={"email": owner, "password": PASSWORD})
    assert f"Address {FLOOD}" not in text(client.get("/admin/bursts"))
    assert "No bookings match" in text(client.get(link))


def _outbox(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                db.select(OutboxMessage.status, OutboxMessage.kind).order_by(OutboxMessage.id)
            )
        ]


def test_voided_bookings_drop_out_of_reports_calendars_and_patient_records(
    app, client, auth, clinic, make_booking
):
    slot = far_apart_slots(app, 1)[0]
    made = make_booking(slot)
    with app.app_context():
        day = to_local(slot.start).date()
    query = f"from={day.isoformat()}&to={day.isoformat()}"
    auth.login("owner")

    def booked_minutes():
        rows = csv_rows(client, "utilisation", query)
        return {row[0]: row[1] for row in rows[1:]}

    before = booked_minutes()
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        booking_id, patient_id = booking.id, booking.patient_id
    assert made["status"] == "booked"
    assert "Ann Lee" in text(client.get(f"/staff/?date={day.isoformat()}"))
    page = text(client.get(void_url(patient=patient_id)))
    assert "Patient: <strong>Ann Lee</strong>" in page
    response = client.post(
        void_url(patient=patient_id), data={"booking": [booking_id], "reason": "Test booking"}
    )
    assert response.status_code == 302

    after = booked_minutes()
    assert after != before and set(after.values()) == {"0"}
    assert "Ann Lee" not in text(client.get(f"/staff/?date={day.isoformat()}"))
    record = text(client.get(f"/staff/patients/{patient_id}"))
    assert "No bookings." in record


def test_a_reason_is_needed_and_nothing_changes_without_one(app, client, auth, flood):
    auth.login("reception")
    url = void_url(address=FLOOD)
    ids = listed(text(client.get(url)))
    response = client.post(url, data={"booking": ids, "reason": "  "})
    assert response.status_code == 422
    assert "Say why these bookings are being voided." in text(response)
    assert statuses(app) == ["booked"] * 12


def test_only_bookings_listed_can_be_voided(app, client, auth, flood, make_booking):
    other = far_apart_slots(app, 13)[12]
    make_booking(other, email="someone@else.org", phone="207 555 7777")
    with app.app_context():
        outsider = db.session.execute(
            db.select(Booking.id).join(Booking.patient).filter_by(email="someone@else.org")
        ).scalar_one()
    auth.login("reception")
    url = void_url(address=FLOOD)
    response = client.post(url, data={"booking": [str(outsider)], "reason": "Sneaky"})
    assert response.status_code == 422
    assert "Not a valid choice" in text(response) or "not a valid choice" in text(response)
    assert "entered-in-error" not in statuses(app)


def test_a_day_and_an_email_narrow_the_list(app, client, auth, flood):
    slots, made = flood
    auth.login("reception")
    with app.app_context():
        day = to_local(slots[0].start).date()
        on_day = sum(1 for slot in slots if to_local(slot.start).date() == day)
    assert f"{on_day} booking" in text(client.get(void_url(date=day.isoformat())))
    by_email = text(client.get(void_url(email="P3@EXAMPLE.COM")))
    assert "1 booking matches" in by_email and "p3@example.com" in by_email
    nothing = text(
        client.get(void_url(address=FLOOD, since=(day + timedelta(days=60)).isoformat()))
    )
    assert "No bookings match" in nothing
    assert "Choose a day" in text(client.get("/staff/void"))
    bad = client.get(void_url(date="not-a-day"))
    assert bad.status_code == 200 and "Choose a day" in text(bad)


def test_reception_voids_but_only_the_owner_sees_bursts(app, client, auth):
    assert client.get("/staff/void").status_code == 302
    assert client.get("/admin/bursts").status_code == 302
    auth.login("reception")
    assert client.get("/staff/void").status_code == 200
    assert client.get("/admin/bursts").status_code == 403


def test_bursts_also_group_by_email_and_ignore_small_numbers(app, client, auth, make_booking):
    slots = far_apart_slots(app, 6)
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        settings.future_bookings_per_patient = 10
        db.session.commit()
    for n, slot in enumerate(slots[:5]):
        client.post(
            API,
            json=body(slot, n, email="same@example.com"),
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        )
    client.post(API, json=body(slots[5], 9), environ_base={"REMOTE_ADDR": "203.0.113.99"})
    auth.login("owner")
    page = text(client.get("/admin/bursts"))
    assert "Email same@example.com" in page
    assert "Address 203.0.113" not in page


def test_only_ticked_bookings_are_voided_and_only_while_still_booked(app, client, auth, flood):
    slots, made = flood
    with app.app_context():
        ids = list(db.session.execute(db.select(Booking.id).order_by(Booking.id)).scalars())
        db.session.get(Booking, ids[0]).status = "fulfilled"
        db.session.get(Booking, ids[1]).status = "noshow"
        db.session.commit()
    auth.login("reception")
    url = void_url(address=FLOOD)
    page = text(client.get(url))
    # A visit that happened and a no-show are the clinic's record: not offered.
    assert "10 bookings match" in page and str(ids[0]) not in listed(page)
    nothing = client.post(url, data={"reason": "Oops"})
    assert nothing.status_code == 422 and "Tick the bookings to void" in text(nothing)
    done = client.post(url, data={"booking": [str(ids[0])], "reason": "Oops"})
    assert done.status_code == 422
    two = client.post(url, data={"booking": [str(ids[2]), str(ids[3])], "reason": "Two of them"})
    assert two.status_code == 302
    assert statuses(app)[:5] == [
        "fulfilled",
        "noshow",
        "entered-in-error",
        "entered-in-error",
        "booked",
    ]


def test_control_characters_are_refused_in_the_reason(app, client, auth, flood):
    auth.login("reception")
    url = void_url(address=FLOOD)
    response = client.post(url, data={"every": "y", "reason": "nul\x00here\x1b[31m"})
    assert response.status_code == 422
    assert "entered-in-error" not in statuses(app)
