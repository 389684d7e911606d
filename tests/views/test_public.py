"""Patients' pages, driven as a browser without JavaScript would."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from itsdangerous import URLSafeTimedSerializer

from booking import create_app
from booking.extensions import db
from booking.forms import bot_check
from booking.models import Booking, ClinicSettings, Patient
from tests.database import database_uri, fresh_database

ALL_NO = {
    "bowel_bladder": "no",
    "weight_loss": "no",
    "fever": "no",
    "trauma": "no",
    "numbness_weakness": "no",
    "cancer_history": "no",
}


def started(seconds_ago: int = 0) -> str:
    """The booking form's signed 'shown at' stamp, as the page would carry it."""

    class Earlier(URLSafeTimedSerializer):
        def make_signer(self, salt=None):
            signer = super().make_signer(salt)
            signer.get_timestamp = lambda: int(time.time()) - seconds_ago
            return signer

    return Earlier("test-secret", salt=bot_check.SALT).dumps(1)


def details_form(**overrides):
    form = {
        "started": started(),
        "name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "207 555 0100",
        "disclaimer": "y",
        **ALL_NO,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def book_url(slot, slug="neck-initial"):
    query = urlencode({"start": slot.start.isoformat(), "practitioner": slot.practitioner_id})
    return f"/book/{slug}?{query}"


def bookings(app):
    with app.app_context():
        return list(db.session.execute(db.select(Booking)).scalars())


def test_home_offers_neck_and_back_pain(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/services/neck-initial"' in page
    assert 'href="/services/back-initial"' in page
    assert "Neck pain" in page and "Back pain" in page


def test_service_page_shows_price_duration_estimate_insurance_and_disclaimer(client):
    page = client.get("/services/neck-initial").get_data(as_text=True)
    assert "60 minutes" in page
    assert "$95.00" in page
    # 5, 8 and 12 sessions (one at $95, the rest at $75) beside $50-150 x the same counts.
    for total in ("$395.00", "$620.00", "$920.00"):
        assert total in page
    assert "the first consultation at $95.00" in page and "7 follow-ups at $75.00" in page
    for market in ("$250.00 – $750.00", "$400.00 – $1,200.00", "$600.00 – $1,800.00"):
        assert market in page
    assert "insurer may need to approve" in page
    assert "never replaces" in page
    assert 'href="/services/neck-initial/times"' in page


def test_unknown_service_is_a_friendly_404(client):
    response = client.get("/services/knee-initial")
    assert response.status_code == 404
    assert "could not find that page" in response.get_data(as_text=True)


def test_times_page_lists_free_times_labelled_with_the_clinic_timezone(client):
    page = client.get("/services/back-initial/times").get_data(as_text=True)
    assert re.search(r"All times are New York time \((EST|EDT)\)", page)
    links = re.findall(r'href="(/book/back-initial\?start=[^"]+)"', page)
    assert links, "the week should offer bookable times"
    assert "practitioner=any" in links[0]


def test_times_page_filters_by_practitioner(client, clinic):
    chosen = clinic.colleague.id
    page = client.get(f"/services/back-initial/times?practitioner={chosen}").get_data(as_text=True)
    links = re.findall(r'href="/book/back-initial\?start=[^"]+practitioner=(\w+)"', page)
    assert links and set(links) == {str(chosen)}


def test_times_page_survives_a_bad_date_and_practitioner(client):
    response = client.get("/services/back-initial/times?from=2026-02-31&practitioner=abc")
    assert response.status_code == 200
    assert "not recognised" in response.get_data(as_text=True)


def test_booking_through_the_pages_confirms_and_shows_the_manage_link(app, client, free_slot):
    slot = free_slot()
    response = client.post(book_url(slot), data=details_form())
    assert response.status_code == 302
    manage_url = response.headers["Location"]
    assert manage_url.startswith("/manage/")
    page = client.get(manage_url).get_data(as_text=True)
    assert "You&#39;re booked" in page or "You're booked" in page
    assert manage_url in page  # the link to keep
    assert "calendar.ics" in page
    assert "$95.00" in page
    [booking] = bookings(app)
    assert booking.start_at == slot.start
    assert booking.practitioner_id == slot.practitioner_id
    # The confirmation banner is shown once; the link keeps working afterwards.
    again = client.get(manage_url).get_data(as_text=True)
    assert "Your booking" in again and "You&#39;re booked" not in again


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"disclaimer": None}, "Please confirm you have read this"),
        ({"email": "ann@example"}, "Please check your email address"),
        ({"name": ""}, "Please enter your name."),
        ({"phone": "12"}, "6 to 30 characters"),
        ({"name": "x" * 121}, "under 120 characters"),
        ({"fever": None}, "Please answer yes or no."),
    ],
    ids=["no-disclaimer", "bad-email", "no-name", "short-phone", "long-name", "unanswered"],
)
def test_details_errors_are_explained_and_nothing_is_stored(
    app, client, free_slot, overrides, message
):
    response = client.post(book_url(free_slot()), data=details_form(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please check the form" in page
    assert message in page
    assert bookings(app) == []


def test_red_flag_sends_the_patient_to_a_doctor_and_keeps_nothing(app, client, free_slot):
    response = client.post(book_url(free_slot()), data=details_form(numbness_weakness="yes"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Please see a doctor before booking" in page
    assert "We have not booked an appointment" in page
    assert "emergency" in page
    assert bookings(app) == []
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0


def test_a_slot_taken_meanwhile_offers_other_times_and_keeps_the_details(app, client, free_slot):
    slot = free_slot()
    first = client.post(book_url(slot), data=details_form(email="first@example.com"))
    assert first.status_code == 302
    response = client.post(book_url(slot), data=details_form(email="second@example.com"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "just been taken" in page
    assert 'value="second@example.com"' in page
    alternatives = re.findall(r'name="start" value="([^"]+)"', page)
    assert alternatives
    # Choosing an offered alternative books it with the details already typed.
    chosen = client.post(
        book_url(slot), data=details_form(email="second@example.com", start=alternatives[0])
    )
    assert chosen.status_code == 302
    assert len(bookings(app)) == 2


def test_a_red_flag_is_told_before_any_other_correction(app, client, free_slot):
    """As the API does: the advice to see a doctor comes before asking for the
    disclaimer's tick or a phone number."""
    response = client.post(
        book_url(free_slot()), data=details_form(fever="yes", disclaimer=None, phone="")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Please see a doctor before booking" in page
    assert "Please tick the box" not in page
    assert bookings(app) == []


def test_back_from_the_red_flag_page_keeps_the_name_email_and_phone(app, client, free_slot):
    url = book_url(free_slot())
    page = client.post(url, data=details_form(trauma="yes")).get_data(as_text=True)
    assert "Go back and change my answers" in page
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    assert {carried[k] for k in ("name", "email", "phone")} == {
        "Ann Lee",
        "ann@example.com",
        "207 555 0100",
    }
    back = client.post(url, data=carried)
    assert back.status_code == 200
    form = back.get_data(as_text=True)
    assert 'value="Ann Lee"' in form and 'value="ann@example.com"' in form
    assert "error-summary" not in form  # shown again, not judged
    assert bookings(app) == []
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0


def test_after_just_taken_no_other_time_is_chosen_for_the_patient(app, client, free_slot):
    slot = free_slot()
    assert client.post(book_url(slot), data=details_form(email="a@example.com")).status_code == 302
    page = client.post(book_url(slot), data=details_form(email="b@example.com"))
    text = page.get_data(as_text=True)
    assert 'name="start"' in text and "checked" not in text.split("alternatives")[1][:2000]
    assert "Book the time I picked" in text
    # Pressing it without picking books nothing and asks again, the details kept.
    again = client.post(
        book_url(slot), data=details_form(email="b@example.com", taken_from=slot.start.isoformat())
    )
    assert again.status_code == 422
    shown = again.get_data(as_text=True)
    assert "Please pick one of the other free times below." in shown
    assert 'value="b@example.com"' in shown
    assert len(bookings(app)) == 1


def test_a_time_in_the_past_says_it_has_passed(client, free_slot):
    slot = free_slot()
    past = slot.start - timedelta(days=30)
    query = urlencode({"start": past.isoformat(), "practitioner": slot.practitioner_id})
    page = client.get(f"/book/neck-initial?{query}").get_data(as_text=True)
    assert "That time has passed. Please pick another." in page
    assert "no longer free" not in page


def test_details_page_without_a_time_goes_back_to_the_times(client):
    response = client.get("/book/neck-initial?start=banana")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/services/neck-initial/times")


def book_through_pages(client, slot):
    response = client.post(book_url(slot), data=details_form())
    assert response.status_code == 302
    return response.headers["Location"]


def test_patient_cancels_from_the_manage_link(app, client, free_slot):
    manage_url = book_through_pages(client, free_slot())
    page = client.get(manage_url + "/cancel").get_data(as_text=True)
    assert "Cancel this booking?" in page
    response = client.post(manage_url + "/cancel", data={"reason": "Feeling better"})
    assert response.status_code == 302
    page = client.get(manage_url).get_data(as_text=True)
    assert "Cancelled" in page
    [booking] = bookings(app)
    assert booking.status == "cancelled"
    assert booking.cancel_reason == "Feeling better"


def test_patient_moves_the_booking_to_another_free_time(app, client, free_slot):
    slot = free_slot()
    manage_url = book_through_pages(client, slot)
    page = client.get(manage_url + "/reschedule").get_data(as_text=True)
    links = re.findall(r'href="(/manage/[^"]+/reschedule/confirm\?[^"]+)"', page)
    assert links
    target = links[-1].replace("&amp;", "&")
    confirm = client.get(target).get_data(as_text=True)
    assert "Move your booking?" in confirm
    response = client.post(target)
    assert response.status_code == 302
    assert "has been moved" in client.get(manage_url).get_data(as_text=True)
    [booking] = bookings(app)
    assert booking.start_at != slot.start
    assert booking.price_cents == 9500


def confirm_links(page: str) -> list[str]:
    found = re.findall(r'href="(/manage/[^"]+/reschedule/confirm\?[^"]+)"', page)
    return [link.replace("&amp;", "&") for link in found]


def test_a_move_keeps_the_practitioner_unless_the_patient_chooses_another(app, client, free_slot):
    """Continuity of care: the times offered are the same practitioner's, the confirm
    step says with whom, and a change of practitioner is said plainly, before and after."""
    slot = free_slot()
    manage_url = book_through_pages(client, slot)
    [booking] = bookings(app)
    mine = booking.practitioner_id
    page = client.get(manage_url + "/reschedule").get_data(as_text=True)
    links = confirm_links(page)
    assert links and all(f"practitioner={mine}" in link for link in links)
    assert "(your practitioner)" in page
    confirm = client.get(links[-1]).get_data(as_text=True)
    assert f"<dt>With</dt><dd><strong>{slot.practitioner_name}</strong>" in confirm
    assert "different practitioner" not in confirm

    anyone = client.get(manage_url + "/reschedule?practitioner=any").get_data(as_text=True)
    other = next(link for link in confirm_links(anyone) if f"practitioner={mine}" not in link)
    confirm = client.get(other).get_data(as_text=True)
    assert "This is a different practitioner" in confirm
    assert f"instead of\n      {slot.practitioner_name}" in confirm
    assert client.post(other).status_code == 302
    manage = client.get(manage_url).get_data(as_text=True)
    assert "You will now see" in manage and f"(before: {slot.practitioner_name})" in manage
    assert 'class="notice success"' in manage
    [moved] = bookings(app)
    assert moved.practitioner_id != mine


def test_inside_the_cancellation_window_the_page_says_to_call(app, client, clinic, free_slot):
    manage_url = book_through_pages(client, free_slot())
    with app.app_context():
        db.session.execute(db.update(ClinicSettings).values(cancellation_notice_hours=24 * 60))
        db.session.commit()
    page = client.get(manage_url).get_data(as_text=True)
    assert f"Please call the clinic on {clinic.phone}" in page
    assert "Cancel booking" not in page
    response = client.post(manage_url + "/cancel", data={})
    assert response.status_code == 302
    assert bookings(app)[0].status == "booked"


def test_unknown_manage_link_is_404_and_says_what_to_do(client, clinic):
    response = client.get("/manage/this-is-not-a-real-token-at-all")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "This booking link is not valid" in page
    assert "check the link in your confirmation email" in page
    assert clinic.phone in page
    waitlist = client.get("/waitlist/not-a-real-waitlist-token")
    assert waitlist.status_code == 404
    assert "This waitlist link is not valid" in waitlist.get_data(as_text=True)


def test_pages_send_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_patient_input_is_escaped_on_the_page(app, client, free_slot):
    manage_url = book_through_pages(client, free_slot())
    # Names are not shown back on the manage page; the error page echoes input though.
    response = client.post(
        book_url(free_slot(days_ahead=4)), data=details_form(email="<script>x</script>")
    )
    page = response.get_data(as_text=True)
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" in page
    assert client.get(manage_url).status_code == 200


@pytest.fixture
def csrf_client(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "csrf.sqlite3"),
        }
    )
    with app.app_context():
        fresh_database(app)
    return app.test_client()


def test_forms_without_a_csrf_token_are_refused_kindly(csrf_client, tmp_path):
    start = "2030-01-07T14:00:00+00:00"
    response = csrf_client.post(f"/book/neck-initial?start={start}", data=details_form())
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_json_api_needs_no_csrf_token(csrf_client):
    response = csrf_client.post("/api/v1/bookings", json={})
    assert response.status_code == 422


def test_time_links_survive_the_horizon_edge(client):
    far = client.get("/services/neck-initial/times?from=2099-01-01")
    assert far.status_code == 200
    assert "Later" not in far.get_data(as_text=True)


def test_manage_token_is_redacted_from_access_logs():
    import logging

    from booking.access_log import RedactTokens

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /manage/" + "a" * 43 + " HTTP/1.1", 200),
        None,
    )
    RedactTokens().filter(record)
    assert "a" * 43 not in record.getMessage()
    assert "/manage/[token]" in record.getMessage()


def test_a_stale_time_link_says_so_before_any_typing(app, client, free_slot):
    slot = free_slot()
    book_through_pages(client, slot)
    page = client.get(book_url(slot)).get_data(as_text=True)
    assert "no longer free" in page
    assert re.findall(r'name="start" value="([^"]+)"', page)


def test_the_confirmation_shows_where_emails_will_go(client, free_slot):
    manage_url = book_through_pages(client, free_slot())
    page = client.get(manage_url).get_data(as_text=True)
    assert "ann@example.com" in page


def test_pages_with_patient_details_or_a_token_are_never_cached(client, auth, make_booking):
    booked = make_booking()
    token_pages = [
        f"/manage/{booked['manage_token']}",
        f"/manage/{booked['manage_token']}/calendar.ics",
        f"/api/v1/bookings/{booked['manage_token']}",
    ]
    for url in token_pages:
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    auth.login("owner")
    for url in ("/staff/", "/staff/patients?q=ann", "/admin/", "/admin/reports"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_the_public_catalogue_may_be_cached(client):
    for url in ("/", "/services/neck-initial", "/api/v1/services"):
        assert "no-store" not in client.get(url).headers.get("Cache-Control", ""), url


def test_the_favicon_is_served_and_linked(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert icon.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
        assert "no-store" not in icon.headers["Cache-Control"]
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def description(page: str) -> str:
    found = re.findall(r'<meta name="description" content="([^"]*)">', page)
    assert len(found) == 1, found
    return found[0]


def test_pages_describe_themselves_to_search_engines(client, clinic):
    home = description(client.get("/").get_data(as_text=True))
    assert "neck and back pain" in home and clinic.name in home
    service = description(client.get("/services/back-initial").get_data(as_text=True))
    assert service.startswith(clinic.service("back-initial").name)
    assert "$95.00" in service and "sciatica" in service
    assert service != home and len(service) <= 300
    times = description(client.get("/services/back-initial/times").get_data(as_text=True))
    assert "free times" in times.lower() and times not in (home, service)
