"""Reception at a desk computer: sign in, book a phone patient, move it, mark a no-show."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from booking.domain.screening import QUESTIONS
from booking.extensions import db
from booking.models import AuditEntry, Booking
from booking.models.base import utcnow
from booking.services.accounts import create_user

PASSWORD = "front desk password"
DESK = {"width": 1366, "height": 900}


def time_passes(live_server, booking_id: int) -> None:
    """Move the booking so it began five minutes ago (tests cannot wait for the day)."""
    with live_server.app.app_context():
        item = db.session.get(Booking, booking_id)
        length, held = item.end_at - item.start_at, item.blocked_until - item.start_at
        start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
        item.start_at, item.end_at, item.blocked_until = start, start + length, start + held
        db.session.commit()


@pytest.fixture
def desk(browser: Browser, live_server):
    with live_server.app.app_context():
        create_user("desk@clinic.test", "reception", PASSWORD, "Robin")
    context = browser.new_context(base_url=live_server.url, viewport=DESK)
    page = context.new_page()
    yield page
    context.close()


def test_reception_books_a_phone_patient_moves_it_and_marks_a_no_show(desk, live_server, clinic):
    page = desk
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill("desk@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("table")).to_be_visible()

    # Find a day with free time for clinic.practitioner (who works Monday to Friday),
    # from tomorrow: late today the first free cell may be too short for an hour's visit.
    name = clinic.practitioner.name
    for _ in range(7):
        page.get_by_role("link", name="Next day →").click()
        free = page.get_by_role("link", name=re.compile(rf"^Book {re.escape(name)} at"))
        if free.count():
            break
    free.first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"New booking: {name}")
    page.get_by_role("textbox", name="Full name").fill("Pat Phone")
    page.get_by_role("textbox", name="Phone", exact=True).fill("207 555 0150")
    page.get_by_label("Consultation").select_option("back-initial")
    page.get_by_label("By phone").check()
    for question in QUESTIONS:
        page.get_by_role("group", name=question.text).get_by_label("No").check()
    page.get_by_label(re.compile("I have read the GP disclaimer")).check()
    page.get_by_role("button", name="Book").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Pat Phone")
    expect(page.locator(".status-badge")).to_have_text("Booked")
    [booking] = live_server.query(Booking.__table__.select().with_only_columns(Booking.id))
    first_start = live_server.query(Booking.__table__.select().with_only_columns(Booking.start_at))

    page.get_by_role("link", name="Move to another time or practitioner").click()
    page.get_by_role("link", name="Next day →").click()
    buttons = page.get_by_role("button", name=re.compile(r"^Move to "))
    if not buttons.count():
        page.get_by_role("link", name="Next day →").click()
    page.get_by_role("button", name=re.compile(r"^Move to ")).first.click()
    expect(page.get_by_text("Booking moved.")).to_be_visible()
    moved_start = live_server.query(Booking.__table__.select().with_only_columns(Booking.start_at))
    assert moved_start != first_start

    # Nobody is a no-show before their time: the button only appears once it has come.
    expect(page.get_by_role("button", name="Mark no-show")).to_have_count(0)
    time_passes(live_server, booking)
    page.reload()
    page.get_by_role("button", name="Mark no-show").click()
    expect(page.locator(".status-badge")).to_have_text("No-show")
    statuses = live_server.query(Booking.__table__.select().with_only_columns(Booking.status))
    assert statuses == ["noshow"]
    actions = live_server.query(
        AuditEntry.__table__.select()
        .with_only_columns(AuditEntry.action)
        .where(AuditEntry.action.startswith("booking."))
        .order_by(AuditEntry.id)
    )
    assert actions == ["booking.create", "booking.move", "booking.status"]
    assert booking
