"""POST /api/v1/bookings/TOKEN/course: preview the rest of a course, then book it in one go."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, ClinicSettings, CoursePlan, OutboxMessage, Patient
from booking.services.calendar import event_uid

ANN = "ann@example.com"


def course_url(token: str) -> str:
    return f"/api/v1/bookings/{token}/course"


def bookings_of(app, email=ANN) -> list[Booking]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Booking)
                .join(Patient)
                .where(Patient.email == email)
                .order_by(Booking.start_at)
            ).scalars()
        )


def count_bookings(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(Booking.id))).scalar()


@pytest.fixture
def first_visit(make_booking, clinic):
    """Ann's first consultation for neck pain, two days from now, with a practitioner who
    works every weekday."""
    return make_booking(practitioner=clinic.practitioner)


def test_a_preview_proposes_weekly_follow_ups_at_the_same_time_and_books_nothing(
    app, client, first_visit
):
    response = client.post(course_url(first_visit["manage_token"]), json={"preview": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["service"]["slug"] == "neck-follow-up"
    assert body["every_days"] == 7
    # Neck pain's typical course is 8: the first consultation, then 7 to book.
    assert body["count"] == 7 == body["course"]["to_book"]
    first_start = datetime.fromisoformat(first_visit["start"])
    starts = [datetime.fromisoformat(s["start"]) for s in body["sessions"]]
    # Every week at the same wall-clock time (the offset shows it in clinic time).
    assert [s.date() for s in starts] == [
        first_start.date() + timedelta(days=7 * n) for n in range(1, 8)
    ]
    assert {s.time() for s in starts} == {first_start.time()}
    assert {s["practitioner"]["id"] for s in body["sessions"] if s["free"]} == {
        first_visit["practitioner"]["id"]
    }
    assert count_bookings(app) == 1


def test_a_taken_week_shows_alternatives_that_day_or_the_next(
    app, client, first_visit, make_booking
):
    week_two = datetime.fromisoformat(first_visit["start"]) + timedelta(days=14)
    # Someone else holds Mei Lin at the series' time in week two.
    make_booking(
        service="neck-follow-up",
        start=week_two.isoformat(),
        practitioner=first_visit["practitioner"]["id"],
        name="Bo Chen",
        email="bo@example.com",
        phone="2075550101",
    )
    body = client.post(
        course_url(first_visit["manage_token"]), json={"preview": True, "count": 3}
    ).get_json()
    second = body["sessions"][1]
    assert second["number"] == 2 and second["free"] is False
    assert datetime.fromisoformat(second["start"]) == week_two
    assert 1 <= len(second["alternatives"]) <= 3
    for alternative in second["alternatives"]:
        day = datetime.fromisoformat(alternative["start"]).date()
        assert day in (week_two.date(), week_two.date() + timedelta(days=1))
        assert alternative["start"] != second["start"] or (
            alternative["practitioner"]["id"] != first_visit["practitioner"]["id"]
        )
    assert body["sessions"][0]["free"] and body["sessions"][2]["free"]


def test_booking_chosen_times_makes_every_session_with_its_own_link_and_one_email(
    app, client, first_visit
):
    token = first_visit["manage_token"]
    preview = client.post(course_url(token), json={"preview": True, "count": 3}).get_json()
    starts = [s["start"] for s in preview["sessions"]]
    response = client.post(course_url(token), json={"every_days": 7, "count": 3, "starts": starts})
    assert response.status_code == 201
    body = response.get_json()
    assert [b["start"] for b in body["bookings"]] == starts
    assert len({b["reference"] for b in body["bookings"]}) == 3
    assert body["course"]["booked_ahead"] == 4 and body["course"]["to_book"] == 4
    # Each session has its own working link, and is session 2, 3 and 4 of the course.
    numbers = []
    for made in body["bookings"]:
        assert made["manage_url"].endswith(made["manage_token"])
        shown = client.get(f"/api/v1/bookings/{made['manage_token']}").get_json()
        assert shown["reference"] == made["reference"] and shown["status"] == "booked"
        numbers.append(shown["course"]["session_number"])
    assert numbers == [2, 3, 4]
    with app.app_context():
        kinds = [row.kind for row in db.session.execute(db.select(OutboxMessage)).scalars()]
    # One confirmation for the series (not one per session); the clinic hears of each.
    assert kinds.count("course_confirmation") == 1
    assert kinds.count("confirmation") == 1  # the first consultation's own
    assert kinds.count("clinic_booking") == 1 + 3


def test_the_series_email_lists_every_session_and_its_ics_holds_one_event_each(
    app, client, runner, mail_server, first_visit
):
    token = first_visit["manage_token"]
    body = client.post(course_url(token), json={"count": 3}).get_json()
    assert runner.invoke(args=["send-outbox"]).exit_code == 0
    series_emails = [
        m for m in mail_server.to(ANN) if "rest of your course" in m.message["Subject"]
    ]
    (received,) = series_emails
    calendar, method = received.invitation
    events = calendar.walk("VEVENT")
    assert method == "PUBLISH"
    with app.app_context():
        rows = {b.reference: b for b in bookings_of(app)}
        uids = [event_uid(rows[b["reference"]]) for b in body["bookings"]]
    assert [str(e["UID"]) for e in events] == uids
    assert len({str(e["UID"]) for e in events}) == 3
    assert [e.decoded("DTSTART") for e in events] == [
        datetime.fromisoformat(b["start"]) for b in body["bookings"]
    ]
    # Every session's own link is in the email, each opening that session's page.
    for made in body["bookings"]:
        assert made["manage_url"] in received.text
        assert made["reference"][:4] + "-" + made["reference"][4:] in received.text
        assert client.get(made["manage_url"].replace("http://clinic.test", "")).status_code == 200


def test_each_session_is_cancelled_on_its_own_afterwards(app, client, first_visit):
    body = client.post(course_url(first_visit["manage_token"]), json={"count": 3}).get_json()
    second = body["bookings"][1]
    cancelled = client.post(f"/api/v1/bookings/{second['manage_token']}/cancel", json={})
    assert cancelled.status_code == 200
    statuses = [
        client.get(f"/api/v1/bookings/{b['manage_token']}").get_json()["status"]
        for b in body["bookings"]
    ]
    assert statuses == ["booked", "cancelled", "booked"]


def test_a_time_taken_meanwhile_is_named_in_a_409_and_nothing_is_booked(
    app, client, first_visit, make_booking
):
    token = first_visit["manage_token"]
    preview = client.post(course_url(token), json={"preview": True, "count": 3}).get_json()
    starts = [s["start"] for s in preview["sessions"]]
    # Between the preview and the booking, someone takes the third week.
    make_booking(
        service="neck-follow-up",
        start=starts[2],
        practitioner=first_visit["practitioner"]["id"],
        name="Bo Chen",
        email="bo@example.com",
        phone="2075550101",
    )
    before = count_bookings(app)
    response = client.post(
        course_url(token),
        json={"starts": starts, "practitioner": first_visit["practitioner"]["id"]},
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "slot_taken"
    # Numbered in the course: the first consultation is session 1.
    assert error["message"].startswith("Session 4, ")
    assert "Nothing was booked" in error["message"]
    assert count_bookings(app) == before
    # Without chosen times, the proposed ones are booked as they stand: a taken one is
    # named too.
    response = client.post(
        course_url(token), json={"count": 3, "practitioner": first_visit["practitioner"]["id"]}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["message"].startswith("Session 4, ")
    assert count_bookings(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"every_days": 1}, "every_days"),
        ({"every_days": "7"}, "every_days"),
        ({"count": 0}, "count"),
        ({"count": 40}, "count"),
        ({"count": True}, "count"),
        ({"time": "25:00"}, "time"),
        ({"starts": []}, "starts"),
        ({"starts": ["tomorrow"]}, "starts.0"),
        ({"starts": ["2020-01-06T10:00:00+00:00"]}, "starts"),
        ({"preview": "yes"}, "preview"),
        ({"practitioner": 999}, "practitioner"),
    ],
)
def test_a_series_that_cannot_be_read_is_a_422_naming_the_field(
    app, client, first_visit, body, field
):
    response = client.post(course_url(first_visit["manage_token"]), json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert count_bookings(app) == 1


def test_two_sessions_on_one_day_are_refused(app, client, first_visit):
    token = first_visit["manage_token"]
    preview = client.post(course_url(token), json={"preview": True, "count": 1}).get_json()
    (only,) = preview["sessions"]
    later = datetime.fromisoformat(only["start"]) + timedelta(hours=2)
    response = client.post(course_url(token), json={"starts": [only["start"], later.isoformat()]})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["starts"] == "Choose one session a day at most."
    assert count_bookings(app) == 1


def test_an_unknown_link_is_404(client):
    response = client.post(course_url("no-such-token"), json={"preview": True})
    assert response.status_code == 404


def set_settings(app, **values):
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        for name, value in values.items():
            setattr(settings, name, value)
        db.session.commit()


def test_a_series_counts_as_one_request_against_the_address_limit(app, client, first_visit):
    set_settings(app, bookings_per_address_hour=2)
    url = course_url(first_visit["manage_token"])
    booked = client.post(url, json={"count": 5})
    assert booked.status_code == 201, booked.get_json()
    assert len(booked.get_json()["bookings"]) == 5
    # The address has made two requests in the hour: the first booking and the series.
    again = client.post(url, json={"count": 1})
    assert again.status_code == 429
    assert again.get_json()["error"]["code"] == "rate_limited"


def test_the_owner_caps_how_many_upcoming_sessions_a_patient_books_online(app, client, first_visit):
    set_settings(app, course_bookings_per_patient=4)
    url = course_url(first_visit["manage_token"])
    refused = client.post(url, json={"count": 4})
    assert refused.status_code == 429
    message = refused.get_json()["error"]["message"]
    assert "4 upcoming appointments" in message and "choose 3 sessions at most" in message
    assert count_bookings(app) == 1
    assert client.post(url, json={"count": 3}).status_code == 201
    assert count_bookings(app) == 4


def test_a_course_with_every_session_booked_says_so(app, client, first_visit):
    with app.app_context():
        plan = db.session.execute(db.select(CoursePlan).filter_by(condition="neck")).scalar_one()
        plan.min_sessions, plan.typical_sessions, plan.max_sessions = 1, 2, 2
        db.session.commit()
    url = course_url(first_visit["manage_token"])
    assert client.post(url, json={"preview": True}).get_json()["most"] == 1
    assert client.post(url, json={}).status_code == 201
    response = client.post(url, json={"preview": True})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "course_fully_booked"
    assert error["message"].startswith("All 2 sessions of this course are done or booked.")


def test_a_cancelled_or_voided_link_books_nothing(app, client, first_visit):
    token = first_visit["manage_token"]
    assert client.post(f"/api/v1/bookings/{token}/cancel", json={}).status_code == 200
    refused = client.post(course_url(token), json={"count": 2})
    assert refused.status_code == 409
    assert "cancelled" in refused.get_json()["error"]["message"]
    assert client.get(f"/manage/{token}/course").status_code == 302
    assert count_bookings(app) == 1


def test_no_session_on_a_day_the_patient_already_comes_in_or_before_the_first_visit(
    app, client, first_visit, clinic
):
    token = first_visit["manage_token"]
    first_start = datetime.fromisoformat(first_visit["start"])
    same_day = client.post(
        course_url(token),
        json={
            "starts": [(first_start + timedelta(hours=2)).isoformat()],
            "practitioner": clinic.colleague.id,
        },
    )
    assert same_day.status_code == 422
    assert (
        "falls on a day you already have an appointment"
        in (same_day.get_json()["error"]["fields"]["starts"])
    )
    before = client.post(
        course_url(token), json={"starts": [(first_start - timedelta(days=1)).isoformat()]}
    )
    assert before.status_code == 422
    assert "before the first consultation" in before.get_json()["error"]["fields"]["starts"]
    assert count_bookings(app) == 1


def test_asking_again_once_the_plan_is_booked_adds_nothing(app, client, first_visit):
    url = course_url(first_visit["manage_token"])
    assert client.post(url, json={}).status_code == 201  # the 7 the plan has left
    again = client.post(url, json={})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "course_fully_booked"
    assert count_bookings(app) == 8
