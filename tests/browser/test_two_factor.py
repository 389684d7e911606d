"""Reception sets up two-step sign-in on a phone, then signs in with a code and a recovery code."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from booking.services.accounts import create_user

EMAIL = "desk@clinic.test"
PASSWORD = "quiet harbour lantern 42"

pytestmark = pytest.mark.browser


def sign_in_with_password(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_enrol_then_sign_in_with_a_code_and_with_a_recovery_code(page: Page, live_server):
    with live_server.app.app_context():
        create_user(EMAIL, "reception", PASSWORD, "Robin")
    sign_in_with_password(page)
    expect(page).to_have_url(re.compile(r"/staff/$"))

    page.get_by_role("link", name="Robin (reception)").click()
    page.get_by_role("link", name="Set up two-step sign-in").click()
    page.get_by_role("button", name="Set up two-step sign-in").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    # Typed by hand, as from the page: the key in groups of four.
    secret = page.locator("#secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    totp = pyotp.TOTP(secret)
    page.get_by_label("6-digit code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("ol.codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    sign_out(page)

    # The password, then a code from the app. The one that confirmed enrolment is spent,
    # so the app's next one (still inside the window) is typed.
    sign_in_with_password(page)
    expect(page).to_have_url(re.compile(r"/login/two-factor"))
    page.get_by_label("6-digit code from your authenticator app").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("link", name="Robin (reception)")).to_be_visible()
    sign_out(page)

    # The password, then a recovery code from the list.
    sign_in_with_password(page)
    page.get_by_role("link", name="Lost your phone? Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("you have 9 recovery codes left")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/staff/$"))
