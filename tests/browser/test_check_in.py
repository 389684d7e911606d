"""Before a visit: the patient taps a pain number in the reminder email, then answers on a phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from booking.domain.outcomes import PAIN_QUESTION, PEG_ITEMS
from booking.domain.screening import QUESTIONS
from booking.extensions import db
from booking.models import Booking, CheckIn, OutboxMessage, Service
from booking.models.base import utcnow
from booking.models.outbox import CLINIC_CHECK_IN
from booking.services import availability
from booking.services.bookings import BookingRequest, create_booking
from booking.views.helpers import to_local
from tests.browser.patient import answer_yes_no, check_fits_phone
from tests.conftest import NO_FLAGS

pytestmark = pytest.mark.browser

ANN = "ann@example.com"
# The check-in opens this long before the visit; the reminder goes out as early here.
OPENS_BEFORE = timedelta(hours=72)
PEG_ANSWERS = {"peg_pain": 6, "peg_enjoyment": 5, "peg_activity": 4}


def before_first_visit(question) -> str:
    """Before the first consultation there is no last visit: the page asks what is new
    since the patient booked."""
    return question.since.replace("Since your last visit", "Since you booked")


@dataclass(frozen=True)
class Reminded:
    booking_id: int
    practitioner: str
    pain_link: str  # the "7" in the email: path and query


def book_first_consultation_within_three_days(live_server) -> tuple[int, str]:
    """Ann's first neck consultation, at the first free time in the next 72 hours.

    Booked "five weeks ago" (as the email tests do), so the reminder is not skipped as
    coming straight after the confirmation. Returns the booking's id and practitioner.
    """
    with live_server.app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        now = utcnow()
        today = to_local(now).date()
        slots = [
            slot
            for slot in availability.free_slots(service, today, today + timedelta(days=3))
            if slot.start < now + OPENS_BEFORE - timedelta(minutes=30)
        ]
        assert slots, "the demo clinic should have a free neck consultation within 72 hours"
        slot = slots[0]
        booking, _token = create_booking(
            BookingRequest(
                service=service,
                start=slot.start,
                practitioner_id=slot.practitioner_id,
                name="Ann Lee",
                email=ANN,
                phone="207 555 0100",
                answers=NO_FLAGS,
            ),
            now=slot.start - timedelta(days=35),
        )
        return booking.id, booking.practitioner.name


@pytest.fixture
def reminded(live_server, mail_server) -> Reminded:
    """A visit within three days, and its reminder delivered over SMTP by `send-reminders`."""
    booking_id, practitioner = book_first_consultation_within_three_days(live_server)
    live_server.app.config["REMINDER_HOURS"] = OPENS_BEFORE.total_seconds() / 3600
    result = live_server.app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Reminders: 1 queued."), result.output

    (reminder,) = [r for r in mail_server.to(ANN) if r.message["Subject"].startswith("Reminder")]
    links = reminder.check_in_links()
    pain_links = [link for link in links if "pain=" in link]
    # Eleven numbers to tap in the HTML, 0 to 10 in order; the text part links the page.
    assert [link.rsplit("=", 1)[1] for link in pain_links] == [str(n) for n in range(11)]
    assert len(links) == 12
    (seven,) = [link for link in pain_links if link.endswith("?pain=7")]
    return Reminded(booking_id, practitioner, seven)


def answer_the_week(page: Page) -> None:
    """The three PEG questions, asked at the first visit: tap a number in each."""
    for key, text, _ends in PEG_ITEMS:
        scale = page.get_by_role("group", name=text)
        scale.get_by_role("radio", name=str(PEG_ANSWERS[key]), exact=True).check()


def open_from_email(page: Page, live_server, reminded: Reminded) -> None:
    page.goto(reminded.pain_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Before your visit")
    expect(page.get_by_text(f"with {reminded.practitioner}")).to_be_visible()
    pain = page.get_by_role("group", name=PAIN_QUESTION)
    expect(pain.get_by_role("radio", name="7", exact=True)).to_be_checked()
    expect(pain.get_by_role("radio", checked=True)).to_have_count(1)
    # A mail scanner following the link must not answer for the patient.
    assert live_server.query(db.select(CheckIn)) == []


def test_a_patient_taps_7_in_the_reminder_and_sends_their_answers_from_a_phone(
    page: Page, live_server, reminded
):
    open_from_email(page, live_server, reminded)
    check_fits_phone(page, "14-check-in")

    answer_the_week(page)
    for question in QUESTIONS:
        answer_yes_no(page, before_first_visit(question), False)
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your booking")
    expect(
        page.get_by_text(f"Thank you: your answers are with {reminded.practitioner}.")
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"Thank you: you told us 7 out of 10"))).to_be_visible()
    check_fits_phone(page, "15-check-in-sent")

    (answered,) = live_server.query(db.select(CheckIn))
    assert answered.booking_id == reminded.booking_id
    assert answered.pain == 7
    assert (answered.peg_pain, answered.peg_enjoyment, answered.peg_activity) == (6, 5, 4)
    assert answered.entered_by_id is None
    assert answered.new_red_flags == []
    assert live_server.query(db.select(OutboxMessage).filter_by(kind=CLINIC_CHECK_IN)) == []


def test_new_worse_numbness_before_a_visit_gets_urgent_advice_and_keeps_the_booking(
    page: Page, live_server, reminded
):
    open_from_email(page, live_server, reminded)
    answer_the_week(page)
    for question in QUESTIONS:
        answer_yes_no(page, before_first_visit(question), question.key == "numbness_weakness")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Please see a doctor about this")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Numbness or weakness getting worse")
    expect(alert).to_contain_text("can need urgent care")
    expect(page.get_by_role("link", name=re.compile("Call 911"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"has not been cancelled"))).to_be_visible()
    check_fits_phone(page, "16-check-in-red-flag")

    (booking,) = live_server.query(db.select(Booking))
    assert booking.status == "booked"
    (answered,) = live_server.query(db.select(CheckIn))
    assert answered.pain == 7
    assert answered.new_red_flags == ["numbness_weakness"]
    # "We have let the clinic know": reception's notice is queued.
    assert len(live_server.query(db.select(OutboxMessage).filter_by(kind=CLINIC_CHECK_IN))) == 1
