"""Patients learn when online changes close before they book, not after."""

from __future__ import annotations

import re

import pytest

from booking.extensions import db
from booking.models import ClinicSettings


def set_notice(app, hours: int) -> None:
    with app.app_context():
        db.session.execute(db.select(ClinicSettings)).scalar_one().cancellation_notice_hours = hours
        db.session.commit()


def squeezed(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("hours", "sentence"),
    [
        (24, "You can cancel or move online until 24 hours before your appointment"),
        (48, "You can cancel or move online until 2 days before your appointment"),
        (6, "You can cancel or move online until 6 hours before your appointment"),
        (1, "You can cancel or move online until 1 hour before your appointment"),
        (0, "You can cancel or move online up to the start of your appointment"),
    ],
)
def test_the_service_and_times_pages_say_when_online_changes_close(app, client, hours, sentence):
    set_notice(app, hours)
    assert sentence in squeezed(client.get("/services/back-initial"))
    assert sentence in squeezed(client.get("/services/back-initial/times"))


def test_times_inside_the_window_are_marked_on_the_time_list(app, client):
    # Two weeks' notice: every time shown this week is too soon to change online.
    set_notice(app, 14 * 24)
    page = squeezed(client.get("/services/neck-initial/times"))
    offered = re.findall(r'<a class="time[^"]*"', page)
    assert offered and all("late" in link for link in offered)
    assert "call to change" in page and "too soon to cancel or move online" in page

    set_notice(app, 0)
    page = squeezed(client.get("/services/neck-initial/times"))
    assert "call to change" not in page
    assert 'class="time late"' not in page


def test_the_booking_page_says_when_this_time_can_no_longer_be_changed(app, client, free_slot):
    slot = free_slot("neck-initial", days_ahead=3)
    url = f"/book/neck-initial?start={slot.start.isoformat()}&practitioner=any"
    page = squeezed(client.get(url))
    assert "You can cancel or move it online until" in page
    assert "This time is soon" not in page

    set_notice(app, 14 * 24)
    page = squeezed(client.get(url))
    assert "This time is soon:" in page and "you cannot cancel or move it online" in page
