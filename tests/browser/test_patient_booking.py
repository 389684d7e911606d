"""A patient books, changes and cancels in a real browser on a small phone."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from booking.extensions import db
from booking.models import Booking, Patient
from tests.browser.patient import (
    DISCLAIMER_LABEL,
    REFERENCE,
    check_fits_phone,
    choose_condition,
    choose_first_time_next_week,
    fill_details,
    first_time,
    later_week,
    open_times,
    press_book_this_time,
)

pytestmark = pytest.mark.browser

CANCER_ACTIVE = "Is the cancer active now, or have you been treated for it in the last five years?"


def test_patient_books_neck_consultation_and_cancels(page: Page, live_server, clinic):
    page.goto("/")
    choose_condition(page, "Neck pain")

    expect(page.get_by_role("heading", level=1)).to_have_text(clinic.service("neck-initial").name)
    estimate = page.get_by_role("region", name="What a course may cost")
    # 8 sessions is the typical neck course: $95 for the first, then 7 at $75, $620.00.
    expect(estimate.get_by_role("row", name=re.compile(r"^8 "))).to_contain_text("$620.00")
    expect(page.get_by_text("never replaces, the care of your GP or doctor")).to_be_visible()

    page.get_by_role("link", name="Choose a time").first.click()
    expect(page.get_by_text(re.compile(r"All times are New York time"))).to_be_visible()
    chosen, start = choose_first_time_next_week(page)
    clock, day = chosen.split(", ")
    expect(page.get_by_text(f"{day} at {clock}")).to_be_visible()

    fill_details(page)
    press_book_this_time(page)

    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.get_by_text(f"See you on {day} at {clock}")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    assert REFERENCE.fullmatch(reference)

    # This page is the only way back to the booking: the patient copies its link.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == page.url

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Add to my calendar")).click()
    assert download.value.suggested_filename.endswith(".ics")
    calendar = Calendar.from_ical(download.value.path().read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].dt == start
    assert reference.replace("-", "") in str(event["DESCRIPTION"])

    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this booking?")
    page.get_by_label("Reason (optional)").fill("Feeling better")
    page.get_by_role("button", name="Yes, cancel it").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("This booking is cancelled")
    expect(page.get_by_text("Your booking is cancelled.")).to_be_visible()
    expect(page.locator(".status")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    (booking,) = live_server.query(db.select(Booking))
    assert booking.status == "cancelled"
    assert booking.cancel_reason == "Feeling better"


def test_red_flag_stops_booking(page: Page, live_server):
    open_times(page)
    first_time(page).click()
    fill_details(page, yes_to=("numbness_weakness",))
    press_book_this_time(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Please see a doctor before booking")
    expect(page.get_by_text("We have not booked an appointment.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Call 911"))).to_be_visible()
    assert live_server.query(db.select(Booking)) == []
    assert live_server.query(db.select(Patient)) == []


def test_past_cancer_gets_calm_advice_not_an_emergency_button(page: Page, live_server):
    open_times(page)
    first_time(page).click()
    # Treated within five years: a doctor first, though nothing here is an emergency.
    fill_details(
        page,
        yes_to=("cancer_history",),
        follow_ups={"cancer_active": True, "cancer_pain_known": True},
    )
    press_book_this_time(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Please see a doctor before booking")
    expect(page.get_by_text("Make an appointment with your doctor")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Call 911"))).to_have_count(0)
    check_fits_phone(page, "06-red-flag-not-urgent")
    assert live_server.query(db.select(Booking)) == []


def test_cancer_long_ago_that_a_doctor_knows_about_books_as_usual(page: Page, live_server):
    open_times(page)
    first_time(page).click()
    fill_details(page, yes_to=("cancer_history",))
    # The two questions after a yes to cancer sit right under it, and are needed.
    press_book_this_time(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please answer yes or no to every safety question")
    expect(summary).to_contain_text("2 still to answer")
    active = page.get_by_role("group", name=CANCER_ACTIVE)
    expect(active).to_contain_text("asked after a yes to cancer")
    check_fits_phone(page, "05-details-cancer-follow-ups")
    assert live_server.query(db.select(Booking)) == []

    fill_details(
        page,
        yes_to=("cancer_history",),
        follow_ups={"cancer_active": False, "cancer_pain_known": True},
    )
    press_book_this_time(page)

    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    (booking,) = live_server.query(db.select(Booking))
    assert booking.status == "booked"
    # Staff see why a yes to cancer did not stop the booking.
    assert booking.screening["cancer_history"] is True
    assert booking.screening["cancer_active"] is False
    assert booking.screening["cancer_pain_known"] is True


def test_missing_disclaimer_shows_clear_error(page: Page, live_server):
    open_times(page)
    first_time(page).click()
    fill_details(page, disclaimer=False)
    press_book_this_time(page)

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check the form")
    expect(summary).to_contain_text("doctor comes first")
    expect(summary).to_be_focused()
    # The summary links to the box to tick, and what was typed is kept.
    summary.get_by_role("link").click()
    checkbox = page.get_by_role("checkbox", name=DISCLAIMER_LABEL)
    expect(checkbox).to_be_in_viewport()
    expect(checkbox).not_to_be_checked()
    expect(page.get_by_label("Full name")).to_have_value("Ann Lee")
    assert live_server.query(db.select(Booking)) == []
    assert live_server.query(db.select(Patient)) == []


def test_patient_whose_time_is_taken_meanwhile_picks_another_without_retyping(
    page: Page, new_context, live_server, clinic
):
    chosen = clinic.practitioner
    open_times(page)
    page.get_by_label("Practitioner").select_option(label=chosen.name)
    page.get_by_role("button", name="Show times").click()
    _, start = choose_first_time_next_week(page)
    expect(page.get_by_text(f"With {chosen.name}")).to_be_visible()
    fill_details(page)

    # Someone else books the same time while this patient is still on the form.
    rival = new_context().new_page()
    rival.goto(page.url)
    fill_details(rival)
    press_book_this_time(rival)
    expect(rival.get_by_role("heading", name="You're booked")).to_be_visible()

    press_book_this_time(page)
    taken = page.get_by_role("alert")
    expect(taken).to_contain_text("that time has just been taken")
    other_times = page.get_by_role("group", name=re.compile("Pick one of these free times"))
    # Nothing is chosen for them: one tap must never book a time they did not pick.
    for radio in other_times.get_by_role("radio").all():
        expect(radio).not_to_be_checked()
    expect(page.get_by_label("Full name")).to_have_value("Ann Lee")
    check_fits_phone(page, "04-details-slot-taken")
    other_times.get_by_role("radio").first.check()
    page.get_by_role("button", name="Book the time I picked").click()

    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    bookings = live_server.query(db.select(Booking).order_by(Booking.start_at))
    assert len(bookings) == 2
    assert bookings[0].start_at == start
    assert bookings[1].start_at > start
    assert {booking.practitioner_id for booking in bookings} == {chosen.id}


def test_every_patient_page_fits_a_small_phone(page: Page, live_server):
    page.goto("/")
    check_fits_phone(page, "01-home")
    choose_condition(page, "Back pain")
    check_fits_phone(page, "02-service")
    page.get_by_role("link", name="Choose a time").first.click()
    check_fits_phone(page, "03-times")
    choose_first_time_next_week(page)
    details_url = page.url
    check_fits_phone(page, "04-details")

    press_book_this_time(page)
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")
    check_fits_phone(page, "05-details-errors")

    fill_details(page, yes_to=("bowel_bladder",))
    press_book_this_time(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Please see a doctor before booking")
    check_fits_phone(page, "06-red-flag-urgent")

    page.goto(details_url)
    fill_details(page)
    press_book_this_time(page)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    check_fits_phone(page, "07-booked")

    page.get_by_role("link", name="Move to another time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new time")
    check_fits_phone(page, "08-reschedule")
    # A week out, so the moved booking can still be cancelled online. That week holds the
    # booking itself, shown as the patient's time but not offered as a new one.
    later_week(page)
    expect(page.get_by_text("your time now", exact=True)).to_be_visible()
    check_fits_phone(page, "08-reschedule-later")
    first_time(page).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move your booking?")
    check_fits_phone(page, "09-reschedule-confirm")
    page.get_by_role("button", name="Yes, move it").click()
    expect(page.get_by_text("Your booking has been moved.")).to_be_visible()
    check_fits_phone(page, "10-moved")

    page.get_by_role("link", name="Cancel booking").click()
    check_fits_phone(page, "11-cancel")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator(".status")).to_have_text("Cancelled")
    check_fits_phone(page, "12-cancelled")

    page.goto("/services/no-such-thing")
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page.")
    check_fits_phone(page, "13-not-found")


def test_keyboard_user_can_skip_to_content_and_pick_a_time(page: Page, live_server):
    open_times(page)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    slot = first_time(page)
    label = slot.get_attribute("aria-label")
    for _ in range(20):
        page.keyboard.press("Tab")
        if slot.evaluate("el => el === document.activeElement"):
            break
    expect(slot).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    clock, day = label.split(", ")[:2]  # a time inside the change window says so after
    expect(page.get_by_text(f"{day} at {clock}")).to_be_visible()


def test_a_form_sent_back_at_once_is_checked_again_then_books(page: Page, live_server):
    """The bot check: a form filled faster than a person could is shown once more."""
    live_server.app.config["BOT_MIN_FILL_SECONDS"] = 3
    page.goto("/")
    choose_condition(page, "Back pain")
    page.get_by_role("link", name="Choose a time").first.click()
    choose_first_time_next_week(page)
    fill_details(page)
    # The box a program would fill is in the page but never shown to a person.
    assert page.locator("input[name=fax_only]").count() == 1
    expect(page.locator("input[name=fax_only]")).not_to_be_in_viewport()
    press_book_this_time(page)

    expect(page.get_by_role("alert")).to_contain_text("That was quicker than we expected")
    # Everything typed is still there; a person reads the message and presses again.
    expect(page.get_by_label("Full name")).to_have_value("Ann Lee")
    page.wait_for_timeout(3000)
    press_book_this_time(page)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
