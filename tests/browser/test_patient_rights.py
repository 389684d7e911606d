"""The owner, at a desk, exports a patient's record for them, then erases it on request."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from booking.extensions import db
from booking.models import Booking, Patient, Service
from booking.models.base import utcnow
from booking.services.accounts import create_user
from booking.services.availability import free_slots
from booking.services.bookings import BookingRequest, cancel_booking, create_booking
from tests.conftest import NO_FLAGS

PASSWORD = "owner password 123"
DESK = {"width": 1366, "height": 900}
# BOOKING_SCREENSHOTS=/some/dir keeps a picture of each page, for a person to look at.
SHOTS = os.environ.get("BOOKING_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def owner_page(browser: Browser, live_server):
    with live_server.app.app_context():
        create_user("owner@clinic.test", "owner", PASSWORD, "Olive")
    context = browser.new_context(base_url=live_server.url, viewport=DESK)
    page = context.new_page()
    yield page
    context.close()


def a_past_patient(live_server) -> int:
    """Ann Lee: one booking made online, cancelled, and now in the past."""
    with live_server.app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        day = utcnow().date() + timedelta(days=3)
        slot = free_slots(service, day, day + timedelta(days=10))[0]
        booking, _token = create_booking(
            BookingRequest(
                service,
                slot.start,
                slot.practitioner_id,
                "Ann Lee",
                "ann@example.com",
                "207 555 0100",
                dict(NO_FLAGS),
            )
        )
        cancel_booking(booking, reason="Moving away")
        booking = db.session.get(Booking, booking.id)
        shift = timedelta(days=40)
        booking.start_at -= shift
        booking.end_at -= shift
        booking.blocked_until -= shift
        db.session.commit()
        return booking.patient_id


def test_owner_exports_then_erases_a_patient(owner_page, live_server):
    patient_id = a_past_patient(live_server)
    desk = owner_page
    desk.goto("/login")
    desk.get_by_label("Email").fill("owner@clinic.test")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()

    desk.goto("/staff/patients?q=Ann")
    desk.get_by_role("link", name="Ann Lee").click()
    desk.get_by_role("link", name="Export the whole record").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Everything held about Ann Lee")
    expect(desk.get_by_text("ann@example.com").first).to_be_visible()
    expect(desk.get_by_text("Moving away").first).to_be_visible()
    shot(desk, "patient-export")
    with desk.expect_download() as download:
        desk.get_by_role("link", name="Download as a file (JSON)").click()
    assert re.fullmatch(
        rf"patient-{patient_id}-\d{{4}}-\d\d-\d\d\.json", download.value.suggested_filename
    )

    desk.get_by_role("link", name="← Ann Lee").click()
    desk.get_by_role("link", name="Erase details…").click()
    shot(desk, "patient-erase")
    desk.get_by_role("button", name="Erase the details").click()
    expect(desk.get_by_text("Tick the box to confirm the request.").first).to_be_visible()
    desk.get_by_label(re.compile("has asked for their details to be erased")).check()
    desk.get_by_role("button", name="Erase the details").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Erased patient")
    expect(desk.get_by_text("1 booking stays on record without a name")).to_be_visible()
    shot(desk, "patient-erased")
    assert live_server.query(db.select(Patient.name)) == ["Erased patient"]
