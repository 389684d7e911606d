"""Absolute links: always under BASE_URL, whatever Host a request names."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest
from icalendar import Calendar

from booking import create_app
from booking.services.links import absolute_url
from tests.conftest import PASSWORD
from tests.views.test_public import details_form

BASE = "https://book.example.org/clinic"
# What a request can claim to be for; none of it may reach a link.
FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


@pytest.fixture
def base_url(app):
    """BASE_URL set, and no SERVER_NAME: url_for(_external=True) would follow the Host."""
    app.config.update(BASE_URL=BASE, SERVER_NAME=None)
    return BASE


def test_links_use_the_configured_base_url_outside_a_request(app, base_url):
    with app.app_context():
        assert absolute_url("public.manage", token="abc") == f"{BASE}/manage/abc"


def test_links_use_the_base_url_inside_a_request_for_another_host(app, base_url):
    with app.test_request_context("/", headers=FORGED):
        assert absolute_url("feeds.calendar", token="abc") == f"{BASE}/feeds/abc.ics"


def test_the_manage_link_a_booking_answers_with_is_on_the_base_url(
    app, client, base_url, booking_payload
):
    response = client.post("/api/v1/bookings", json=booking_payload(), headers=FORGED)
    assert response.status_code == 201
    body = response.get_json()
    assert body["manage_url"] == f"{BASE}/manage/{body['manage_token']}"


def test_the_manage_page_and_calendar_file_link_to_the_base_url(app, client, base_url, free_slot):
    slot = free_slot()
    query = urlencode({"start": slot.start.isoformat(), "practitioner": slot.practitioner_id})
    form = details_form()
    booked = client.post(f"/book/neck-initial?{query}", data=form, headers=FORGED)
    assert booked.status_code == 302
    manage = booked.headers["Location"]
    token = manage.rsplit("/", 1)[1]
    page = html.unescape(client.get(manage, headers=FORGED).get_data(as_text=True))
    copy_link = re.search(r'id="booking-link"[^>]*value="([^"]+)"', page)
    assert copy_link and copy_link.group(1) == f"{BASE}/manage/{token}"
    assert "evil.example" not in page

    ics = client.get(f"/manage/{token}/calendar.ics", headers=FORGED)
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert str(event["url"]) == f"{BASE}/manage/{token}"
    assert b"evil.example" not in ics.data


def test_a_new_feed_link_is_on_the_base_url(app, client, make_user, base_url, clinic):
    email = make_user()
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD}, headers=FORGED)
    assert signed_in.status_code == 302
    url = f"/staff/practitioners/{clinic.practitioner.id}"
    page = html.unescape(client.post(f"{url}/feed", headers=FORGED).get_data(as_text=True))
    assert re.search(re.escape(BASE) + r"/feeds/[A-Za-z0-9_\-]+\.ics", page), page[:500]
    assert "evil.example" not in page


def test_trusted_hosts_refuse_requests_for_other_hosts(app, client):
    app.config["TRUSTED_HOSTS"] = ["clinic.test"]
    assert client.get("/", headers={"Host": "clinic.test"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    refused = client.get("/api/v1/services", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "bad_request"
    page = client.get("/manage/abc", headers={"Host": "evil.example"})
    assert page.status_code == 400
    assert "could not be understood" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "setting", ["book.example.org, .example.net", '["book.example.org", ".example.net"]']
)
def test_trusted_hosts_are_read_from_the_environment(monkeypatch, tmp_path, setting):
    monkeypatch.setenv("BOOKING_TRUSTED_HOSTS", setting)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hosts.sqlite3'}"})
    assert app.config["TRUSTED_HOSTS"] == ["book.example.org", ".example.net"]
