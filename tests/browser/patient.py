"""What a patient does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

from booking.domain.screening import FOLLOW_UPS, QUESTIONS

PHONE_WIDTH = 375
DISCLAIMER_LABEL = re.compile(r"^I understand that acupuncture complements")
REFERENCE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")
# Set to a folder (e.g. /tmp/shots) to keep a phone-sized screenshot of every page checked.
SCREENSHOTS = os.environ.get("BOOKING_SCREENSHOTS")


def page_width(page: Page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def save_screens(page: Page, name: str) -> None:
    """The whole page as phone-screen-sized PNGs, top to bottom, as a patient scrolls it."""
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{name}-[0-9][0-9].png"):
        old.unlink()
    size = page.viewport_size
    height = page.evaluate("document.scrollingElement.scrollHeight")
    for number, top in enumerate(range(0, height, size["height"]), start=1):
        clip = {"x": 0, "y": top, "width": size["width"], "height": size["height"]}
        page.screenshot(path=str(folder / f"{name}-{number:02d}.png"), full_page=True, clip=clip)


def check_fits_phone(page: Page, name: str) -> None:
    """The page needs no sideways scrolling on a small phone (and is saved if asked)."""
    if SCREENSHOTS:
        save_screens(page, name)
    assert page_width(page) <= PHONE_WIDTH, f"{name} scrolls sideways on a {PHONE_WIDTH}px phone"


def choose_condition(page: Page, condition: str) -> None:
    """On the home page, tap one of the big "where is your pain?" choices."""
    choices = page.get_by_role("navigation", name="Choose your condition")
    choices.get_by_role("link", name=re.compile(f"^{condition}")).click()


def open_times(page: Page, condition: str = "Neck pain") -> None:
    """From the home page to the service page, then its times."""
    page.goto("/")
    choose_condition(page, condition)
    page.get_by_role("link", name="Choose a time").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time")


def first_time(page: Page) -> Locator:
    return page.locator("section.day").first.get_by_role("link").first


def slot_start(link: Locator) -> datetime:
    """The start time a time link books, from its address."""
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    return datetime.fromisoformat(query["start"][0])


def later_week(page: Page) -> None:
    # The week links sit above and below the times; either will do.
    weeks = page.get_by_role("navigation", name="Other weeks").first
    weeks.get_by_role("link", name="Later").click()


def choose_first_time_next_week(page: Page) -> tuple[str, datetime]:
    """Pick the first time a week out, well outside the 24-hour change limit.

    Returns the link's accessible name ("9:00 am, Monday 30 November 2026") and its start.
    """
    later_week(page)
    link = first_time(page)
    name = link.get_attribute("aria-label")
    start = slot_start(link)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    return name, start


def answer_yes_no(page: Page, question: str, yes: bool) -> None:
    """Tick "Yes" or "No" in the group the question names, as a patient taps it."""
    answer = "Yes" if yes else "No"
    page.get_by_role("group", name=question).get_by_role("radio", name=answer, exact=True).check()


def fill_details(
    page: Page,
    *,
    yes_to: tuple[str, ...] = (),
    follow_ups: Mapping[str, bool] | None = None,
    disclaimer: bool = True,
) -> None:
    """Fill the form as a patient would, by labels and roles only.

    `yes_to` holds the safety questions answered yes (by key), every other one is no.
    `follow_ups` answers the questions that follow a yes to cancer ({key: yes?}); a
    patient who has not had cancer leaves them alone, and so does this by default.
    """
    page.get_by_label("Full name").fill("Ann Lee")
    page.get_by_label("Email", exact=True).fill("ann@example.com")
    page.get_by_label("Mobile or phone number").fill("207 555 0100")
    for question in QUESTIONS:
        answer_yes_no(page, question.text, question.key in yes_to)
    follow_ups = follow_ups or {}
    for question in FOLLOW_UPS:
        if question.key in follow_ups:
            answer_yes_no(page, question.text, follow_ups[question.key])
    if disclaimer:
        page.get_by_role("checkbox", name=DISCLAIMER_LABEL).check()


def press_book_this_time(page: Page) -> None:
    """Press "Book this time" on the details form, as the patient would."""
    page.get_by_role("button", name="Book this time").click()
