"""On a 375 px phone: a patient finds the day full, joins the waitlist, and when a time
frees up books it with one tap from the emailed link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from booking.domain.screening import QUESTIONS
from booking.extensions import db
from booking.models import Booking, User, WaitlistEntry
from booking.services.bookings import cancel_booking
from tests.browser.patient import DISCLAIMER_LABEL, answer_yes_no, check_fits_phone
from tests.waitlist_helpers import fill_day, working_day

pytestmark = pytest.mark.browser

ANN = "ann@example.com"


def test_a_patient_joins_the_waitlist_on_a_phone_and_books_the_freed_time_from_the_email(
    page: Page, live_server, mail_server, clinic
):
    app = live_server.app
    practitioner = clinic.practitioner
    with app.app_context():
        db.session.add(
            User(email="desk@clinic.test", name="Desk", role="reception", password_hash="x")
        )
        db.session.commit()
        day = working_day(practitioner, days_ahead=4)
        filled = [booking.id for booking, _token in fill_day(practitioner.id, day)]

    page.goto("/services/neck-initial/times")
    page.get_by_role("link", name="Join the waitlist").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waitlist")
    check_fits_phone(page, "30-waitlist-join")
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("Until", exact=True).fill(day.isoformat())
    page.get_by_label("Practitioner").select_option(label=practitioner.name)
    page.get_by_label("Full name").fill("Ann Lee")
    page.get_by_label("Email", exact=True).fill(ANN)
    page.get_by_label("Mobile or phone number").fill("207 555 0100")
    for question in QUESTIONS:
        answer_yes_no(page, question.text, False)
    page.get_by_role("checkbox", name=DISCLAIMER_LABEL).check()
    page.get_by_role("button", name="Join the waitlist").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are on the waitlist")
    expect(page.get_by_text("Number 1 in line")).to_be_visible()
    check_fits_phone(page, "31-waitlist-place")
    assert mail_server.to(ANN) == []  # nothing goes until the outbox runs
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0, result.output
    (welcome,) = mail_server.to(ANN)
    assert welcome.message["Subject"].startswith("You are on the waitlist")

    # Reception cancels a booking that day: the time is held for Ann and she is emailed.
    with app.app_context():
        desk = db.session.execute(db.select(User)).scalars().first()
        cancel_booking(db.session.get(Booking, filled[1]), reason="Called to cancel", actor=desk)
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0, result.output
    (offer,) = [m for m in mail_server.to(ANN) if m.message["Subject"].startswith("A time for you")]
    (link,) = {urlsplit(url).path for url in offer.links() if "/waitlist/" in url}

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("A time is held for you")
    held = page.get_by_role("region", name="A time is held for you")
    expect(held.get_by_text(re.compile(f"with {practitioner.name}"))).to_be_visible()
    check_fits_phone(page, "32-waitlist-offer")
    held.get_by_role("button", name="Book this time").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("booked", re.I))
    check_fits_phone(page, "33-waitlist-booked")
    with app.app_context():
        entry = db.session.execute(db.select(WaitlistEntry)).scalar_one()
        assert entry.status == "booked"
        booking = db.session.get(Booking, entry.booking_id)
        assert (booking.patient.email, booking.practitioner_id) == (ANN, practitioner.id)
        assert booking.status == "booked"
