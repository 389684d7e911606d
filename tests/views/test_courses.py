"""A patient's course: opened by the first consultation, followed on every booking's page."""

from __future__ import annotations

import re

from booking.extensions import db
from booking.models import AuditEntry, Booking, Course, User
from booking.services.bookings import set_status
from tests.conftest import PASSWORD  # noqa: F401  (the staff password the fixtures use)

ANN = {"name": "Ann Lee", "email": "ann@example.com", "phone": "207 555 0100"}


def squeezed(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def mark_done(app, start_now, reference: str) -> None:
    with app.app_context():
        booking = db.session.execute(db.select(Booking).filter_by(reference=reference)).scalar_one()
        booking_id = booking.id
    start_now(booking_id)
    with app.app_context():
        actor = db.session.execute(db.select(User)).scalars().first()
        set_status(db.session.get(Booking, booking_id), "fulfilled", actor=actor)


def first_visit_done(app, auth, make_booking, start_now, service: str):
    """Ann's first consultation, booked online and marked done by reception (signed in)."""
    first = make_booking(service=service, days_ahead=2, **ANN)
    auth.login("reception")
    mark_done(app, start_now, first["reference"])
    with app.app_context():
        course = db.session.execute(db.select(Course)).scalar_one()
        return first, course.id, course.patient_id


def test_a_first_consultation_opens_the_course_the_patient_follows(
    app, client, make_booking, make_user, start_now
):
    first = make_booking(service="neck-initial", days_ahead=2, **ANN)
    course = first["course"]
    assert course["condition"] == "neck"
    assert (course["session_number"], course["planned_sessions"]) == (1, 8)
    assert course["planned_by_practitioner"] is False
    assert course["charged_so_far"]["amount"] == "0.00"
    # The first consultation booked at $95, then 7 follow-ups at $75.
    assert course["remaining_estimate"]["amount"] == "620.00"

    make_user("reception")
    mark_done(app, start_now, first["reference"])
    follow_up = make_booking(service="neck-follow-up", days_ahead=9, **ANN)
    assert follow_up["course"]["session_number"] == 2
    assert follow_up["course"]["charged_so_far"]["amount"] == "95.00"
    assert follow_up["course"]["remaining_estimate"]["amount"] == "525.00"  # 7 x $75
    page = squeezed(client.get(f"/manage/{follow_up['manage_token']}"))
    assert "Your neck pain course" in page
    assert "Session 2 of 8 · $95.00 so far · about $525.00 to go" in page
    again = client.get(f"/api/v1/bookings/{first['manage_token']}").get_json()["course"]
    assert again["session_number"] == 1 and again["done"] == 1


def test_the_practitioners_plan_replaces_the_typical_count(
    app, client, auth, make_booking, start_now
):
    first, course_id, patient_id = first_visit_done(
        app, auth, make_booking, start_now, "back-initial"
    )

    refused = client.post(f"/staff/courses/{course_id}/plan", data={"planned_sessions": "0"})
    assert "Plan between 1 and 60 sessions" in squeezed(client.get(refused.headers["Location"]))
    saved = client.post(f"/staff/courses/{course_id}/plan", data={"planned_sessions": "6"})
    assert "Course plan set: 6 sessions." in squeezed(client.get(saved.headers["Location"]))

    body = client.get(f"/api/v1/bookings/{first['manage_token']}").get_json()["course"]
    assert (body["planned_sessions"], body["planned_by_practitioner"]) == (6, True)
    assert body["remaining_estimate"]["amount"] == "375.00"  # 5 more follow-ups at $75
    page = squeezed(client.get(f"/staff/patients/{patient_id}"))
    assert "1 done of 6 planned by the practitioner" in page
    assert "Charged so far $95.00" in page
    with app.app_context():
        [entry] = db.session.execute(
            db.select(AuditEntry).filter_by(action="course.plan")
        ).scalars()
        assert (entry.before, entry.after) == ({"planned_sessions": None}, {"planned_sessions": 6})


def test_reception_opens_a_course_for_follow_ups_booked_without_one(
    app, client, auth, make_booking
):
    follow_up = make_booking(service="back-follow-up", days_ahead=3, **ANN)
    assert follow_up["course"] is None
    auth.login("reception")
    with app.app_context():
        patient_id = db.session.execute(db.select(Booking.patient_id)).scalar_one()
    page = squeezed(client.get(f"/staff/patients/{patient_id}"))
    assert "Open a back pain course" in page
    opened = client.post(f"/staff/patients/{patient_id}/courses", data={"condition": "back"})
    assert "Back pain course opened" in squeezed(client.get(opened.headers["Location"]))
    body = client.get(f"/api/v1/bookings/{follow_up['manage_token']}").get_json()["course"]
    assert body["condition"] == "back" and body["session_number"] == 1
    again = client.post(f"/staff/patients/{patient_id}/courses", data={"condition": "back"})
    assert "a course is already open" in squeezed(client.get(again.headers["Location"]))
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Course.id))).scalar() == 1


def test_a_cancelled_session_leaves_the_count(app, client, make_booking):
    first = make_booking(service="neck-initial", days_ahead=2, **ANN)
    second = make_booking(service="neck-follow-up", days_ahead=9, **ANN)
    assert (
        client.post(f"/api/v1/bookings/{second['manage_token']}/cancel", json={}).status_code == 200
    )
    body = client.get(f"/api/v1/bookings/{first['manage_token']}").get_json()["course"]
    assert (body["booked_ahead"], body["to_book"]) == (1, 7)


def test_merging_two_records_leaves_one_course_with_both_records_sessions(
    app, client, auth, make_booking
):
    make_booking(service="neck-initial", days_ahead=2, **ANN)
    other = make_booking(
        service="neck-initial",
        days_ahead=6,
        name="Annie Lee",
        email=ANN["email"],
        phone=ANN["phone"],
    )
    with app.app_context():
        ids = sorted(db.session.execute(db.select(Booking.patient_id).distinct()).scalars())
        assert db.session.execute(db.select(db.func.count(Course.id))).scalar() == 2
    auth.login("reception")
    merged = client.post(f"/staff/patients/{ids[0]}/merge", data={"other": ids[1]})
    assert merged.status_code == 302
    with app.app_context():
        [course] = db.session.execute(db.select(Course)).scalars()
        assert course.patient_id == ids[0]
        assert {b.course_id for b in db.session.execute(db.select(Booking)).scalars()} == {
            course.id
        }
    body = client.get(f"/api/v1/bookings/{other['manage_token']}").get_json()["course"]
    assert body["session_number"] == 2 and body["booked_ahead"] == 2


def test_reception_records_a_package_and_sessions_are_drawn_from_it(
    app, client, auth, make_booking, start_now
):
    first, course_id, patient_id = first_visit_done(
        app, auth, make_booking, start_now, "neck-initial"
    )
    url = f"/staff/courses/{course_id}/packages"
    today = client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    assert "Record a package paid at the desk" in today
    day = re.search(r'name="paid_on" value="([0-9-]+)"', today).group(1)

    refused = client.post(
        url, data={"sessions": "0", "amount": "-5", "method": "bitcoin", "paid_on": "2999-01-01"}
    )
    message = squeezed(client.get(refused.headers["Location"]))
    for words in ("from 1 to 60", "amount paid", "how it was paid", "today or earlier"):
        assert words in message, words

    saved = client.post(
        url, data={"sessions": "6", "amount": "400", "method": "card", "paid_on": day}
    )
    assert "Package recorded: 6 sessions, $400.00 (Card at the desk)." in squeezed(
        client.get(saved.headers["Location"])
    )
    follow_up = make_booking(service="neck-follow-up", days_ahead=8, **ANN)
    mark_done(app, start_now, follow_up["reference"])
    body = client.get(f"/api/v1/bookings/{follow_up['manage_token']}").get_json()["course"]
    assert (body["package_sessions"], body["package_sessions_left"]) == (6, 5)
    # $95 for the first visit, $400 for the package; the follow-up drew from it.
    assert body["charged_so_far"]["amount"] == "495.00"
    # Eight planned, two done: six to go, five of them prepaid, one at $75.
    assert body["remaining_estimate"]["amount"] == "75.00"
    page = squeezed(client.get(f"/manage/{follow_up['manage_token']}"))
    assert "Prepaid 5 of 6 sessions left" in page
    staff = squeezed(client.get(f"/staff/patients/{patient_id}"))
    assert "5 of 6 sessions left" in staff and "6 sessions for $400.00, card at the desk" in staff
    with app.app_context():
        [entry] = db.session.execute(
            db.select(AuditEntry).filter_by(action="package.record")
        ).scalars()
        assert entry.after["sessions"] == 6 and entry.after["method"] == "card"
