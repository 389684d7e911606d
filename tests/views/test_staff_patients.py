"""Reception's patient search and a patient's record with their course so far."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Patient, Service
from booking.models.base import utcnow
from booking.services.bookings import hash_token, new_reference


def add_patient(app, name, email, phone):
    with app.app_context():
        patient = Patient(name=name, email=email, phone=phone)
        db.session.add(patient)
        db.session.commit()
        return patient.id


def add_booking(app, patient_id, slug, days, status, practitioner_id):
    """A booking `days` from now (negative is past), written straight to the database."""
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()
        start = utcnow().replace(microsecond=0) + timedelta(days=days)
        end = start + timedelta(minutes=service.duration_minutes)
        booking = Booking(
            reference=new_reference(),
            practitioner_id=practitioner_id,
            service_id=service.id,
            patient_id=patient_id,
            start_at=start,
            end_at=end,
            blocked_until=end + timedelta(minutes=service.buffer_minutes),
            status=status,
            price_cents=service.price_cents,
            currency="USD",
            disclaimer_version=1,
            disclaimer_accepted_at=start,
            screening={},
            source="phone",
            manage_token_hash=hash_token(secrets.token_urlsafe(32)),
        )
        db.session.add(booking)
        db.session.commit()
        return booking.id


@pytest.fixture
def patients(app):
    return {
        "ann": add_patient(app, "Ann Lee", "ann.lee@example.com", "(207) 555-0100"),
        "bo": add_patient(app, "Bo Chen", "bochen@mail.example", "+1 207.555.0199"),
        "cy": add_patient(app, "Cy Leeds", "cy@example.org", "555 7788"),
    }


def search(client, query):
    response = client.get("/staff/patients", query_string={"q": query})
    assert response.status_code == 200
    return set(re.findall(r'<a href="/staff/patients/\d+">([^<]+)</a>', response.get_data(True)))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("lee", {"Ann Lee", "Cy Leeds"}),
        ("ANN", {"Ann Lee"}),
        ("chen", {"Bo Chen"}),
        ("mail.example", {"Bo Chen"}),
        ("ann.lee@", {"Ann Lee"}),
        # The same number typed the way the caller says it, whatever way it was stored.
        ("207 555 0100", {"Ann Lee"}),
        ("207-555-0100", {"Ann Lee"}),
        ("2075550100", {"Ann Lee"}),
        ("(207) 555.0199", {"Bo Chen"}),
        ("5550", {"Ann Lee", "Bo Chen"}),
        ("557788", {"Cy Leeds"}),
        ("zed", set()),
        ("999 999", set()),
    ],
)
def test_search_finds_patients_by_name_email_or_phone(client, auth, patients, query, found):
    auth.login()
    assert search(client, query) == found


def test_search_results_link_to_each_patient_and_say_when_nothing_matched(client, auth, patients):
    auth.login()
    page = client.get("/staff/patients?q=lee").get_data(as_text=True)
    assert f'href="/staff/patients/{patients["ann"]}"' in page
    assert "(207) 555-0100" in page and "ann.lee@example.com" in page
    assert "No patient matches" in client.get("/staff/patients?q=nobody").get_data(True)
    assert "at least two characters" in client.get("/staff/patients?q=a").get_data(True)


def section(page, heading):
    """The part of the courses panel under one course's heading."""
    return page.split(f"<h3>{heading}", 1)[1].split("</dl>", 1)[0]


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_patient_page_shows_each_course_so_far(app, client, auth, clinic, patients):
    ann, usual, other = patients["ann"], clinic.practitioner.id, clinic.colleague.id
    for days in (-40, -33, -26):
        add_booking(app, ann, "neck-follow-up", days, "fulfilled", usual)
    add_booking(app, ann, "neck-follow-up", -19, "noshow", usual)
    add_booking(app, ann, "neck-follow-up", -12, "cancelled", usual)
    add_booking(app, ann, "neck-follow-up", 3, "booked", usual)
    add_booking(app, ann, "neck-follow-up", 10, "booked", usual)
    add_booking(app, ann, "back-initial", -5, "fulfilled", other)
    add_booking(app, patients["bo"], "neck-follow-up", -8, "fulfilled", usual)  # not Ann's
    auth.login()
    page = client.get(f"/staff/patients/{ann}").get_data(as_text=True)
    # Written straight to the table, these bookings are in no course yet.
    assert "Open a neck pain course" in page and "Open a back pain course" in page
    for condition in ("neck", "back"):
        client.post(f"/staff/patients/{ann}/courses", data={"condition": condition})
    page = client.get(f"/staff/patients/{ann}").get_data(as_text=True)

    neck = text(section(page, "Neck pain course"))
    assert "Sessions 3 done of 8 (the typical course" in neck
    assert "Booked ahead 2" in neck
    assert "Missed 1" in neck
    assert "Still to book 3" in neck
    assert "Charged so far $225.00" in neck  # three follow-ups at $75
    assert "About to go $375.00" in neck  # two booked and three more, all at $75

    back = text(section(page, "Back pain course"))
    assert "Sessions 1 done of 10" in back
    assert "Booked ahead 0" in back and "Still to book 9" in back
    assert "Charged so far $95.00" in back


def test_patient_page_lists_every_booking_with_links_and_contact_details(
    app, client, auth, clinic, patients
):
    ann = patients["ann"]
    past = add_booking(app, ann, "back-initial", -5, "fulfilled", clinic.colleague.id)
    cancelled = add_booking(app, ann, "neck-initial", -2, "cancelled", clinic.specialist.id)
    future = add_booking(app, ann, "neck-follow-up", 4, "booked", clinic.practitioner.id)
    auth.login()
    page = client.get(f"/staff/patients/{ann}").get_data(as_text=True)
    assert 'href="tel:2075550100"' in page
    assert 'href="mailto:ann.lee@example.com"' in page
    for booking_id in (past, cancelled, future):
        assert f'href="/staff/bookings/{booking_id}"' in page
    rows = [text(row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "<td" in row]
    neck_initial, neck_follow_up, back_initial = (
        clinic.service(slug).name for slug in ("neck-initial", "neck-follow-up", "back-initial")
    )
    assert f"{neck_follow_up} {clinic.practitioner.name} Booked $75.00" in rows[0]
    assert any(f"{neck_initial} {clinic.specialist.name} Cancelled $95.00" in r for r in rows)
    assert any(f"{back_initial} {clinic.colleague.name} Done $95.00" in r for r in rows)
    # Upcoming comes before past.
    assert page.index(f"/staff/bookings/{future}") < page.index(f"/staff/bookings/{past}")


def test_patient_without_bookings_and_unknown_patients(client, auth, patients):
    auth.login()
    page = client.get(f"/staff/patients/{patients['cy']}").get_data(as_text=True)
    assert "No course yet: a first consultation opens one." in page
    assert client.get("/staff/patients/99999").status_code == 404
    assert client.get("/staff/patients/99999999999999999999").status_code == 404


@pytest.mark.parametrize("path", ["/staff/patients", "/staff/patients?q=ann", "/staff/patients/1"])
def test_patient_pages_send_the_signed_out_to_sign_in(client, path, make_booking):
    token = make_booking()["manage_token"]
    for attempt in (
        client.get(path),
        client.get(f"{path}{'&' if '?' in path else '?'}token={token}"),
        client.get(path, headers={"Authorization": f"Bearer {token}"}),
    ):
        assert attempt.status_code == 302
        assert attempt.headers["Location"].startswith("/login")
        assert "Ann Lee" not in attempt.get_data(as_text=True)
    assert client.get(f"/staff/patients/{token}").status_code in (302, 404)
