"""The pages that book the rest of a course: the patient's (from the manage link), reception's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import AuditEntry, Booking, OutboxMessage, Patient, User
from booking.services.privacy import erase_patient

START = re.compile(r'name="start" value="([^"]+)"')


@pytest.fixture
def first_visit(make_booking, clinic):
    return make_booking(practitioner=clinic.practitioner)


def ann_bookings(app) -> list[Booking]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Booking)
                .join(Patient)
                .where(Patient.email == "ann@example.com")
                .order_by(Booking.start_at)
            ).scalars()
        )


def test_the_confirmation_offers_the_rest_of_the_course(client, first_visit):
    page = client.get(f"/manage/{first_visit['manage_token']}").get_data(as_text=True)
    assert "Book the rest of your course" in page
    assert "7 more sessions in your plan." in page
    assert f"/manage/{first_visit['manage_token']}/course" in page


def test_the_patient_sees_every_date_then_books_the_ones_ticked(app, client, first_visit):
    url = f"/manage/{first_visit['manage_token']}/course"
    page = client.get(url + "?every=14&count=3").get_data(as_text=True)
    assert "every 2 weeks" in page
    starts = START.findall(page)
    assert len(starts) == 3
    gaps = {
        datetime.fromisoformat(b) - datetime.fromisoformat(a)
        for a, b in zip(starts, starts[1:], strict=False)
    }
    assert gaps <= {timedelta(days=14), timedelta(days=14, hours=1), timedelta(days=14, hours=-1)}
    assert len(ann_bookings(app)) == 1  # nothing booked by looking
    response = client.post(url + "?every=14&count=3", data={"start": starts[:2]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{first_visit['manage_token']}")
    booked = ann_bookings(app)
    assert len(booked) == 3
    assert [b.start_at.isoformat() for b in booked[1:]] == starts[:2]
    # The patient's answers and the disclaimer they accepted carry over to the series.
    assert {b.disclaimer_version for b in booked} == {booked[0].disclaimer_version}
    assert all(b.disclaimer_acknowledged_by == "patient" for b in booked)
    assert {b.source for b in booked} == {"online"}
    page = client.get(f"/manage/{first_visit['manage_token']}").get_data(as_text=True)
    assert "Booked 2 more sessions." in page
    assert "Your other sessions" in page


def test_nothing_ticked_books_nothing_and_says_why(app, client, first_visit):
    url = f"/manage/{first_visit['manage_token']}/course"
    response = client.post(url, data={})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was booked" in page and "Choose at least one session to book." in page
    assert len(ann_bookings(app)) == 1


def test_a_choice_out_of_range_falls_back_to_the_plan_with_a_message(client, first_visit):
    url = f"/manage/{first_visit['manage_token']}/course"
    page = client.get(url + "?every=1&count=abc&time=9am").get_data(as_text=True)
    assert "“count” should be a whole number." in page
    assert "Give the time of day as HH:MM" in page
    assert "every week" in page
    assert len(START.findall(page)) == 7


def test_a_voided_booking_offers_no_series(app, client, first_visit, auth):
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        booking.status = "entered-in-error"
        db.session.commit()
    response = client.get(f"/manage/{first_visit['manage_token']}/course")
    assert response.status_code == 302
    page = client.get(f"/manage/{first_visit['manage_token']}").get_data(as_text=True)
    assert "Book the rest of your course" not in page


def test_an_erased_patients_link_books_nothing(app, client, first_visit, make_user):
    with app.app_context():
        booking = db.session.execute(db.select(Booking)).scalar_one()
        booking.status = "cancelled"
        db.session.commit()
        owner = db.session.execute(db.select(User).filter_by(email=make_user("owner"))).scalar_one()
        erase_patient(booking.patient, actor=owner)
    token = first_visit["manage_token"]
    # Erasure leaves no working link, so nothing can be booked through it.
    assert client.get(f"/manage/{token}/course").status_code == 404
    assert client.post(f"/api/v1/bookings/{token}/course", json={}).status_code == 404
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 1


def test_reception_books_the_rest_from_the_booking_page(app, client, first_visit, auth):
    with app.app_context():
        booking_id = db.session.execute(db.select(Booking.id)).scalar_one()
    assert client.get(f"/staff/bookings/{booking_id}/course").status_code == 302  # sign in first
    auth.login("reception")
    page = client.get(f"/staff/bookings/{booking_id}").get_data(as_text=True)
    assert "Book the rest of the course" in page
    url = f"/staff/bookings/{booking_id}/course?count=4"
    starts = START.findall(client.get(url).get_data(as_text=True))
    assert len(starts) == 4
    response = client.post(url, data={"start": starts})
    assert response.status_code == 302
    booked = ann_bookings(app)
    assert len(booked) == 5
    assert {b.source for b in booked[1:]} == {"phone"}
    assert {b.disclaimer_acknowledged_by for b in booked[1:]} == {"reception"}
    with app.app_context():
        actions = [e.action for e in db.session.execute(db.select(AuditEntry)).scalars()]
        kinds = [m.kind for m in db.session.execute(db.select(OutboxMessage)).scalars()]
    # One entry for the series, one per booking; one email to the patient for all four.
    assert actions.count("course.book") == 1
    assert actions.count("booking.create") == 1 + 4
    assert kinds.count("course_confirmation") == 1
    # Reception booking is never the patient's own action: no clinic notices for it.
    assert kinds.count("clinic_booking") == 1
    page = client.get(f"/staff/bookings/{booking_id}").get_data(as_text=True)
    assert "Booked 4 sessions from" in page


def test_a_cancelled_booking_does_not_offer_the_rest_of_its_course(client, first_visit):
    token = first_visit["manage_token"]
    assert client.post(f"/api/v1/bookings/{token}/cancel", json={}).status_code == 200
    page = client.get(f"/manage/{token}").get_data(as_text=True)
    assert "This booking is cancelled" in page
    assert "Book the rest of your course" not in page


def test_a_date_shown_with_one_practitioner_is_never_booked_with_another(
    app, client, first_visit, make_booking
):
    url = f"/manage/{first_visit['manage_token']}/course?count=2"
    page = client.get(url).get_data(as_text=True)
    starts = START.findall(page)
    offered = re.findall(r'name="with" value="([^"]+)"', page)
    assert [pair.rsplit("|", 1)[0] for pair in offered] == starts
    # Meanwhile someone else takes the second date with the same practitioner; a
    # colleague is still free then, but that is not what the patient was shown.
    make_booking(
        service="neck-follow-up",
        start=starts[1],
        practitioner=first_visit["practitioner"]["id"],
        name="Bo Chen",
        email="bo@example.com",
        phone="2075550101",
    )
    response = client.post(url, data={"start": starts, "with": offered})
    assert response.status_code == 409
    assert "Session 3, " in response.get_data(as_text=True)
    assert len(ann_bookings(app)) == 1


def test_the_api_books_a_start_with_the_practitioner_it_names(app, client, first_visit, clinic):
    token = first_visit["manage_token"]
    colleague = clinic.colleague.id
    preview = client.post(
        f"/api/v1/bookings/{token}/course",
        json={"preview": True, "count": 3, "practitioner": colleague},
    ).get_json()
    # A time the colleague is free: a session of theirs, or one of its alternatives.
    session = next(
        s if s["free"] else s["alternatives"][0]
        for s in preview["sessions"]
        if s["free"] or s["alternatives"]
    )
    assert session["practitioner"]["id"] == colleague
    response = client.post(
        f"/api/v1/bookings/{token}/course",
        json={"starts": [{"start": session["start"], "practitioner": colleague}]},
    )
    assert response.status_code == 201
    (made,) = response.get_json()["bookings"]
    assert made["practitioner"]["id"] == colleague
