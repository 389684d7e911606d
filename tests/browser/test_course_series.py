"""On a small phone: book a first consultation, then the rest of the course in one go."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from booking.extensions import db
from booking.models import Booking, OutboxMessage, Patient, Service
from booking.services.bookings import BookingRequest, create_booking
from tests.browser.patient import (
    check_fits_phone,
    choose_condition,
    choose_first_time_next_week,
    fill_details,
    press_book_this_time,
)
from tests.conftest import NO_FLAGS

pytestmark = pytest.mark.browser


def take(live_server, start, practitioner_id) -> None:
    """Someone else books a follow-up at this time, as reception would for a caller."""
    with live_server.app.app_context():
        service = db.session.execute(
            db.select(Service).filter_by(slug="neck-follow-up")
        ).scalar_one()
        create_booking(
            BookingRequest(
                service=service,
                start=start,
                practitioner_id=practitioner_id,
                name="Bo Chen",
                email="bo@example.com",
                phone="2075550101",
                answers=NO_FLAGS,
            )
        )


def test_a_patient_books_the_first_consultation_then_the_rest_of_the_course(
    page: Page, live_server
):
    page.goto("/")
    choose_condition(page, "Neck pain")
    page.get_by_role("link", name="Choose a time").first.click()
    _, start = choose_first_time_next_week(page)
    fill_details(page)
    press_book_this_time(page)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    manage_url = page.url

    # Straight from the confirmation: the rest of the course is one tap away.
    rest = page.get_by_role("region", name="Book the rest of your course")
    expect(rest).to_contain_text("7 more sessions in your plan")
    (first,) = live_server.query(db.select(Booking))
    # Meanwhile someone takes the third week's time with the same practitioner.
    take(live_server, start + timedelta(days=21), first.practitioner_id)
    rest.get_by_role("link", name="Choose my dates").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Book the rest of your course")
    expect(page.get_by_text(re.compile(r"every week"))).to_be_visible()
    sessions = page.locator(".series-session")
    expect(sessions).to_have_count(7)
    # Six weeks are free and ticked; the taken one offers times that day or the next.
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(6)
    taken = page.get_by_role("group", name=re.compile(r"Session 4.*is taken"))
    expect(taken).to_be_visible()
    alternatives = taken.get_by_role("radio")
    expect(alternatives.last).to_be_checked()  # "Leave this one out"
    check_fits_phone(page, "course-dates")
    # The patient picks the first alternative and leaves out the last week.
    alternatives.first.check()
    page.get_by_role("checkbox").last.uncheck()
    page.get_by_role("button", name="Book these sessions").click()

    assert page.url == manage_url
    expect(page.get_by_text("Booked 6 more sessions.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your other sessions")).to_be_visible()
    links = page.locator(".session-links").get_by_role("link")
    expect(page.locator(".session-links li")).to_have_count(6)
    check_fits_phone(page, "course-booked")

    booked = live_server.query(
        db.select(Booking)
        .join(Patient)
        .where(Patient.email == "ann@example.com")
        .order_by(Booking.start_at)
    )
    assert len(booked) == 7
    assert len({b.course_id for b in booked}) == 1
    kinds = live_server.query(db.select(OutboxMessage.kind))
    assert kinds.count("course_confirmation") == 1
    # Each session has a page of its own, reached from the list.
    links.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your booking")
    expect(page.locator(".course-line")).to_contain_text("Session 2 of 8")
