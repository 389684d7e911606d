"""Reception's calendar and booking pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import AuditEntry, Booking
from booking.views.helpers import to_local
from tests.audit import changes


def option_tag(page: str, value: str) -> str:
    """The whole <option> tag for a consultation, whatever order its attributes are in."""
    return re.search(rf'<option[^>]*value="{value}"[^>]*>', page).group(0)


def only_booking(app):
    with app.app_context():
        return db.session.execute(db.select(Booking)).scalar_one()


def test_day_view_shows_each_practitioner_and_bookings_by_status(
    app, client, auth, clinic, free_slot, make_booking
):
    slot = free_slot(practitioner_id=clinic.practitioner.id)
    make_booking(slot, name="Dora Diaz")
    auth.login()
    with app.app_context():
        day = to_local(slot.start).date()
    page = client.get(f"/staff/?date={day}").get_data(as_text=True)
    for practitioner in clinic.practitioners:
        assert practitioner.name in page
    assert "Dora Diaz" in page
    assert "status-booked" in page
    assert 'class="cell free"' in page
    # clinic.practitioner has a lunch break every weekday.
    assert 'class="cell break"' in page


def test_week_view_shows_one_practitioner_for_seven_days(app, client, auth, clinic):
    auth.login()
    colleague = clinic.colleague
    page = client.get(f"/staff/week?practitioner={colleague.id}&date=2026-12-02").get_data(
        as_text=True
    )
    assert f"{colleague.name}: week of Monday 30 November 2026" in page
    headings = re.findall(r'<th scope="col"><a href="/staff/\?date=([\d-]+)">', page)
    assert headings == [f"2026-12-0{d}" for d in range(1, 7)] + [] or len(headings) == 7
    assert headings[0] == "2026-11-30"


def test_calendar_navigation_and_bad_dates(client, auth):
    auth.login()
    page = client.get("/staff/?date=2026-12-02").get_data(as_text=True)
    assert 'href="/staff/?date=2026-12-01"' in page
    assert 'href="/staff/?date=2026-12-03"' in page
    response = client.get("/staff/?date=2026-02-30")
    assert response.status_code == 200
    assert "not recognised" in response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_reception_books_a_phone_patient_inside_the_minimum_notice(app, client, auth):
    auth.login()
    with app.app_context():
        from booking.models.base import utcnow

        now = to_local(utcnow())
    # Tomorrow is inside no notice window, but an hour from now is inside the 2-hour one;
    # take the first free calendar cell of today or the next days where a 45-minute
    # follow-up fits (late in the day the first free cell may be too short).
    url = None
    for days in range(4):
        page = client.get(f"/staff/?date={now.date() + timedelta(days=days)}")
        for link in re.findall(r'href="(/staff/bookings/new\?[^"]+)"', page.get_data(as_text=True)):
            form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
            if "disabled" not in option_tag(form, "neck-follow-up"):
                url = link.replace("&amp;", "&")
                break
        if url:
            break
    assert url
    assert "Read this to the patient" in form
    response = client.post(
        url,
        data={
            "service": "neck-follow-up",
            "source": "phone",
            "patient_id": "",
            "name": "Phil Phone",
            "phone": "207 555 0177",
            "email": "",
            "disclaimer_read": "y",
            **dict.fromkeys(
                [
                    "bowel_bladder",
                    "weight_loss",
                    "fever",
                    "trauma",
                    "numbness_weakness",
                    "cancer_history",
                ],
                "no",
            ),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = only_booking(app)
    assert booking.source == "phone"
    assert booking.disclaimer_acknowledged_by == "reception"
    with app.app_context():
        entry = db.session.execute(changes()).scalar_one()
        assert entry.action == "booking.create"
        assert entry.user.email == "reception@clinic.test"


def staff_form(**overrides):
    data = {
        "service": "neck-initial",
        "source": "walk-in",
        "patient_id": "",
        "name": "Wanda Walkin",
        "phone": "207 555 0188",
        "email": "",
        "disclaimer_read": "y",
        "bowel_bladder": "no",
        "weight_loss": "no",
        "fever": "no",
        "trauma": "no",
        "numbness_weakness": "no",
        "cancer_history": "no",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def new_url(slot):
    from urllib.parse import urlencode

    query = urlencode({"start": slot.start.isoformat(), "practitioner": slot.practitioner_id})
    return f"/staff/bookings/new?{query}"


def test_the_form_offers_only_consultations_that_fit_at_that_time(
    app, client, auth, clinic, free_slot
):
    """Near the end of the day a 60-minute first visit no longer fits, a 45-minute one does."""
    with app.app_context():
        from booking.models import Service
        from booking.services import availability

        follow_up = db.session.execute(
            db.select(Service).filter_by(slug="neck-follow-up")
        ).scalar_one()
        day = to_local(free_slot(practitioner_id=clinic.practitioner.id).start).date()
        last = availability.free_slots(follow_up, day, day, practitioner_id=clinic.practitioner.id)[
            -1
        ]
    auth.login()
    page = client.get(new_url(last)).get_data(as_text=True)
    # Two follow-ups fit: reception chooses (nothing is chosen for them).
    assert "selected" not in option_tag(page, "neck-follow-up")
    assert "disabled" not in option_tag(page, "neck-follow-up")
    assert "disabled" in option_tag(page, "neck-initial")
    assert "does not fit at" in page
    response = client.post(new_url(last), data=staff_form(service="neck-initial"))
    assert response.status_code == 422
    assert "not available to book" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 0

    too_late = type(last)(last.start + timedelta(minutes=30), last.end, last.practitioner_id)
    page = client.get(new_url(too_late)).get_data(as_text=True)
    assert "No consultation fits at" in page
    assert (
        client.post(new_url(too_late), data=staff_form(service="neck-follow-up")).status_code == 422
    )
    assert client.post(new_url(last), data=staff_form(service="neck-follow-up")).status_code == 302


def test_reception_cannot_overlap_another_booking(
    app, client, auth, clinic, free_slot, make_booking
):
    slot = free_slot(practitioner_id=clinic.practitioner.id)
    make_booking(slot)
    auth.login()
    response = client.post(new_url(slot), data=staff_form())
    assert response.status_code == 409
    assert "just been taken" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"disclaimer_read": None}, "Read the disclaimer to the patient"),
        ({"name": ""}, "Enter the patient&#39;s name."),
        ({"phone": "abc"}, "Please enter a phone number"),
        ({"fever": None}, "Ask the patient and record yes or no."),
    ],
)
def test_reception_form_errors_are_clear_and_store_nothing(
    app, client, auth, free_slot, overrides, message
):
    auth.login()
    response = client.post(new_url(free_slot()), data=staff_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 0


def test_red_flag_at_the_desk_books_nothing(app, client, auth, free_slot):
    auth.login()
    response = client.post(new_url(free_slot()), data=staff_form(trauma="yes"))
    page = response.get_data(as_text=True)
    assert "Not booked" in page
    assert "significant injury" in page
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 0


def test_reception_books_an_existing_patient_found_by_search(
    app, client, auth, free_slot, make_booking
):
    make_booking(name="Erin Existing", phone="(207) 555-0123")
    auth.login()
    slot = free_slot(days_ahead=6)
    page = client.get(new_url(slot) + "&q=555-0123").get_data(as_text=True)
    match = re.search(r'name="patient_id" value="(\d+)"', page)
    assert match and "Erin Existing" in page
    response = client.post(
        new_url(slot), data=staff_form(patient_id=match.group(1), name="", phone="")
    )
    assert response.status_code == 302
    with app.app_context():
        patients = {b.patient.name for b in db.session.execute(db.select(Booking)).scalars()}
        assert patients == {"Erin Existing"}


def test_reception_moves_marks_and_annotates_a_booking(app, client, auth, start_now, make_booking):
    made = make_booking()
    booking_id = only_booking(app).id
    auth.login()
    page = client.get(f"/staff/bookings/{booking_id}/move").get_data(as_text=True)
    starts = re.findall(r'name="start" value="([^"]+)"', page)
    practitioners = re.findall(r'name="practitioner" value="(\d+)"', page)
    assert starts
    target = (starts[-1], practitioners[-1])
    response = client.post(
        f"/staff/bookings/{booking_id}/move", data={"start": target[0], "practitioner": target[1]}
    )
    assert response.status_code == 302
    moved = only_booking(app)
    assert moved.start_at.isoformat() == target[0]
    assert moved.start_at.isoformat() != made["start"]
    early = client.post(
        f"/staff/bookings/{booking_id}/status", data={"status": "noshow"}, follow_redirects=True
    )
    assert "once its start time has passed" in early.get_data(as_text=True)
    assert only_booking(app).status == "booked"
    start_now(booking_id)
    assert "Mark no-show" in client.get(f"/staff/bookings/{booking_id}").get_data(as_text=True)
    client.post(f"/staff/bookings/{booking_id}/status", data={"status": "noshow"})
    assert only_booking(app).status == "noshow"
    client.post(f"/staff/bookings/{booking_id}/note", data={"note": "Called twice, no answer"})
    assert only_booking(app).note == "Called twice, no answer"
    page = client.get(f"/staff/bookings/{booking_id}").get_data(as_text=True)
    assert "No-show" in page and "Called twice, no answer" in page
    with app.app_context():
        actions = [
            e.action for e in db.session.execute(changes().order_by(AuditEntry.id)).scalars()
        ]
        assert actions == ["booking.move", "booking.status", "booking.note"]
        status_entry = db.session.execute(changes().filter_by(action="booking.status")).scalar_one()
        assert status_entry.before["status"] == "booked"
        assert status_entry.after["status"] == "noshow"


def test_moving_onto_a_taken_time_fails_and_keeps_the_old_time(
    app, client, auth, clinic, free_slot, make_booking
):
    practitioner = clinic.practitioner
    first_slot = free_slot(practitioner_id=practitioner.id)
    second_slot = free_slot(practitioner_id=practitioner.id, days_ahead=5)
    make_booking(first_slot)
    make_booking(second_slot, email="other@example.com")
    auth.login()
    with app.app_context():
        first = db.session.execute(
            db.select(Booking).where(Booking.start_at == first_slot.start)
        ).scalar_one()
        first_id = first.id
    response = client.post(
        f"/staff/bookings/{first_id}/move",
        data={"start": second_slot.start.isoformat(), "practitioner": str(practitioner.id)},
        follow_redirects=True,
    )
    assert "just been taken" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, first_id).start_at == first_slot.start


def test_reception_cancels_with_a_reason(app, client, auth, make_booking):
    make_booking()
    booking_id = only_booking(app).id
    auth.login()
    client.post(f"/staff/bookings/{booking_id}/cancel", data={"reason": ""})
    assert only_booking(app).status == "booked"
    client.post(f"/staff/bookings/{booking_id}/cancel", data={"reason": "Patient phoned"})
    booking = only_booking(app)
    assert booking.status == "cancelled"
    assert booking.cancel_reason == "Patient phoned"


def test_status_changes_follow_the_allowed_paths(app, client, auth, make_booking):
    make_booking()
    booking_id = only_booking(app).id
    auth.login()
    client.post(f"/staff/bookings/{booking_id}/cancel", data={"reason": "x"})
    response = client.post(
        f"/staff/bookings/{booking_id}/status", data={"status": "arrived"}, follow_redirects=True
    )
    assert "cannot be marked arrived" in response.get_data(as_text=True)
    assert only_booking(app).status == "cancelled"


@pytest.mark.parametrize(
    "url",
    [
        "/staff/bookings/99999999999999999999",
        "/staff/bookings/0",
        "/staff/patients/99999999999999999999",
        "/staff/practitioners/99999999999999999999",
    ],
)
def test_impossible_ids_are_not_found_rather_than_errors(client, auth, url):
    auth.login()
    assert client.get(url).status_code == 404


def test_patient_search_treats_wildcards_as_text(app, client, auth, make_booking):
    make_booking(name="Ann Lee")
    auth.login()
    page = client.get("/staff/patients?q=%25%25").get_data(as_text=True)
    assert "Ann Lee" not in page


def test_one_patient_found_is_chosen_and_their_follow_up_is_offered_first(
    app, client, auth, make_booking, free_slot, clinic
):
    """A search that finds exactly one patient chooses them (not "A new patient"), and
    a returning neck patient's consultation is the neck follow-up; a new patient's
    consultation is left for reception to choose."""
    make_booking(name="Rita Return", email="rita@example.com", phone="207 555 0177")
    slot = free_slot(days_ahead=5, practitioner_id=clinic.practitioner.id)
    auth.login()
    blank = client.get(new_url(slot)).get_data(as_text=True)
    for slug in ("neck-initial", "neck-follow-up"):
        assert "selected" not in option_tag(blank, slug)
    assert "Choose a consultation…" in blank

    found = client.get(new_url(slot) + "&q=Rita").get_data(as_text=True)
    [radio] = re.findall(r'<input type="radio" name="patient_id" value="\d+"[^>]*>', found)
    assert "checked" in radio
    new_patient = re.search(r'<input type="radio" name="patient_id" value=""[^>]*>', found)[0]
    assert "checked" not in new_patient
    assert "selected" in option_tag(found, "neck-follow-up")

    refused = client.post(new_url(slot), data=staff_form(service=""))
    assert refused.status_code == 422
    assert "Choose a consultation." in refused.get_data(as_text=True)
