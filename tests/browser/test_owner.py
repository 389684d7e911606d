"""The owner changes a price at a desk; a patient on a phone sees the new estimate."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from booking.models import PriceChange
from booking.services.accounts import create_user

PASSWORD = "owner password 123"
DESK = {"width": 1366, "height": 900}


@pytest.fixture
def owner_page(browser: Browser, live_server):
    with live_server.app.app_context():
        create_user("owner@clinic.test", "owner", PASSWORD, "Olive")
    context = browser.new_context(base_url=live_server.url, viewport=DESK)
    page = context.new_page()
    yield page
    context.close()


def test_owner_changes_a_price_and_the_patient_estimate_follows(
    owner_page, page, live_server, clinic
):
    # The patient first sees today's price: a typical neck course of 8 is $95 + 7 x $75.
    page.goto("/services/neck-initial")
    expect(page.get_by_text("$620.00").first).to_be_visible()

    desk = owner_page
    desk.goto("/login")
    desk.get_by_label("Email").fill("owner@clinic.test")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.get_by_role("link", name="Owner", exact=True).click()
    desk.get_by_role("link", name="Services and prices").first.click()
    neck = re.escape(clinic.service("neck-initial").name)
    desk.get_by_role("link", name=re.compile(neck)).first.click()

    price = desk.get_by_label("Price per session")
    price.fill("200")
    desk.get_by_role("button", name=re.compile("^Save")).click()
    expect(desk.locator("#price_cents-error")).to_contain_text(
        "Prices must be between $50.00 and $150.00"
    )

    desk.get_by_label("Price per session").fill("110")
    desk.get_by_role("button", name=re.compile("^Save")).click()
    expect(desk.locator("#price_cents-error")).to_have_count(0)

    history = live_server.query(PriceChange.__table__.select())
    assert len(history) == 1

    # $110 + 7 x $75 = $635.00 now, for the same patient page reloaded.
    page.reload()
    expect(page.get_by_text("$635.00").first).to_be_visible()
    expect(page.get_by_text("$110.00").first).to_be_visible()
    assert "$620.00" not in page.content()
