"""A self-pay patient books on a phone and opens their Good Faith Estimate to print it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.patient import (
    SCREENSHOTS,
    check_fits_phone,
    choose_condition,
    choose_first_time_next_week,
    fill_details,
    press_book_this_time,
)

pytestmark = pytest.mark.browser


def pages_in(pdf: bytes) -> int:
    """How many pages a PDF that Chromium printed has."""
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_a_self_pay_patient_gets_a_good_faith_estimate_that_prints_on_a4_and_letter(
    page: Page, live_server
):
    page.goto("/")
    choose_condition(page, "Back pain")
    page.get_by_role("link", name="Choose a time").first.click()
    choose_first_time_next_week(page)
    fill_details(page)
    # The date of birth is asked only once the patient says they pay themselves.
    birth = page.get_by_label("Date of birth")
    expect(birth).to_be_hidden()
    page.get_by_role("radio", name="No, I will pay for it myself").check()
    expect(birth).to_be_visible()
    birth.fill("1980-04-23")
    press_book_this_time(page)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()

    section = page.get_by_role("region", name="Your Good Faith Estimate")
    # Back pain's typical course: $95 + 9 x $75.
    expect(section).to_contain_text("$770.00")
    section.get_by_role("link", name="View or print it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Good Faith Estimate")
    expect(page.get_by_text("Date of birth: 1980-04-23")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Total estimated charges"))).to_contain_text(
        "$770.00"
    )
    expect(page.get_by_text(re.compile(r"\$400 or more above this estimate"))).to_be_visible()
    check_fits_phone(page, "good-faith-estimate")

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    if SCREENSHOTS:
        page.set_viewport_size({"width": 816, "height": 1056})  # US Letter at 96 dpi
        page.screenshot(path=f"{SCREENSHOTS}/good-faith-estimate-print.png", full_page=True)
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=False)
        assert 1 <= pages_in(pdf) <= 2, f"{paper}: {pages_in(pdf)} pages"
