"""The waitlist's pages: patients join and see their place; reception runs the line."""

from __future__ import annotations

import re
from datetime import timedelta

from booking.domain.screening import QUESTIONS
from booking.extensions import db
from booking.models import WaitlistEntry, WaitlistOffer
from booking.services import waitlist
from booking.views.helpers import to_local
from tests.views.test_public import started
from tests.waitlist_helpers import clinic_today, fill_day, join_body, working_day


def form_answers(**overrides) -> dict:
    data = {question.key: "no" for question in QUESTIONS}
    data.update(overrides)
    return data


def full_day(app, clinic):
    with app.app_context():
        day = working_day(clinic.practitioner, 3)
        filled = fill_day(clinic.practitioner.id, day)
        return day, [(b.id, token) for b, token in filled]


def test_the_times_page_always_offers_the_waitlist(client):
    page = client.get("/services/neck-initial/times").get_data(as_text=True)
    assert "Join the waitlist" in page
    assert "/services/neck-initial/waitlist" in page


def test_a_patient_joins_from_the_page_and_lands_on_their_place(app, client, clinic, make_user):
    make_user("reception")
    day, _filled = full_day(app, clinic)
    form = client.get(f"/services/neck-initial/waitlist?from={day.isoformat()}")
    assert form.status_code == 200
    assert f'value="{day.isoformat()}"' in form.get_data(as_text=True)
    response = client.post(
        "/services/neck-initial/waitlist",
        data={
            "earliest": day.isoformat(),
            "latest": day.isoformat(),
            "parts": ["morning", "afternoon"],
            "practitioner": str(clinic.practitioner.id),
            "name": "Ada One",
            "email": "ada@example.com",
            "phone": "207 555 0100",
            "disclaimer": "y",
            "started": started(),
            **form_answers(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are on the waitlist" in page
    assert "Number <strong>1</strong> in line" in page
    assert "mornings or afternoons" in page
    with app.app_context():
        entry = db.session.execute(db.select(WaitlistEntry)).scalar_one()
        assert entry.parts == ["morning", "afternoon"]
        assert entry.disclaimer_acknowledged_by == "patient"


def test_a_red_flag_on_the_join_form_is_sent_to_a_doctor_and_nothing_is_kept(app, client, clinic):
    day = clinic_today_in(app) + timedelta(days=3)
    response = client.post(
        "/services/neck-initial/waitlist",
        data={
            "earliest": day.isoformat(),
            "latest": day.isoformat(),
            "practitioner": "any",
            "name": "Ada One",
            "email": "ada@example.com",
            "phone": "207 555 0100",
            "disclaimer": "y",
            "started": started(),
            **form_answers(fever="yes"),
        },
    )
    assert "Please see a doctor before booking" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(WaitlistEntry)).first() is None


def clinic_today_in(app):
    with app.app_context():
        return clinic_today()


def test_dates_past_what_the_waitlist_keeps_are_refused_on_the_form(app, client):
    day = clinic_today_in(app)
    response = client.post(
        "/services/neck-initial/waitlist",
        data={
            "earliest": day.isoformat(),
            "latest": (day + timedelta(weeks=20)).isoformat(),
            "practitioner": "any",
            "name": "Ada One",
            "email": "ada@example.com",
            "phone": "207 555 0100",
            "disclaimer": "y",
            "started": started(),
            **form_answers(),
        },
    )
    assert response.status_code == 422
    assert "choose an earlier latest date" in response.get_data(as_text=True)


def test_the_offer_is_one_button_to_book_and_one_to_let_go(app, client, clinic, make_user):
    make_user("reception")
    day, filled = full_day(app, clinic)
    joined = client.post(
        "/api/v1/waitlist", json=join_body(day, clinic.practitioner.id, name="Ada", email="a@e.com")
    ).get_json()
    client.post(f"/api/v1/bookings/{filled[0][1]}/cancel", json={})
    page = client.get(f"/waitlist/{joined['token']}").get_data(as_text=True)
    assert "A time is held for you" in page
    assert page.count('type="submit"') == 2
    assert "Book this time" in page and "No thanks" in page
    claimed = client.post(f"/waitlist/{joined['token']}/claim")
    assert claimed.status_code == 302
    assert "/manage/" in claimed.headers["Location"]
    after = client.get(f"/waitlist/{joined['token']}").get_data(as_text=True)
    assert "Booked from the waitlist" in after


def test_leaving_asks_first_then_leaves(app, client, clinic):
    day = clinic_today_in(app) + timedelta(days=3)
    joined = client.post(
        "/api/v1/waitlist",
        json=join_body(day, clinic.practitioner.id, name="Ada", email="a@e.com"),
    ).get_json()
    ask = client.get(f"/waitlist/{joined['token']}/leave").get_data(as_text=True)
    assert "Leave the waitlist?" in ask
    left = client.post(f"/waitlist/{joined['token']}/leave", follow_redirects=True)
    assert "You left the waitlist" in left.get_data(as_text=True)


def test_reception_sees_the_line_the_count_on_the_day_and_the_held_time(
    app, client, clinic, auth, make_user
):
    make_user("reception", email="fill@clinic.test")
    day, filled = full_day(app, clinic)
    for n in range(2):
        client.post(
            "/api/v1/waitlist",
            json=join_body(day, clinic.practitioner.id, name=f"Waiting {n}", email=f"w{n}@e.com"),
        )
    client.post(f"/api/v1/bookings/{filled[0][1]}/cancel", json={})
    auth.login("reception")
    line = client.get("/staff/waitlist").get_data(as_text=True)
    assert "Waiting 0" in line and "Waiting 1" in line
    assert "2 waiting" in line
    calendar = client.get(f"/staff/?date={day.isoformat()}").get_data(as_text=True)
    assert re.search(r"<strong>2</strong>\s+people are on the waitlist", calendar)
    assert "Held: Waiting 0" in calendar
    with app.app_context():
        entry = (
            db.session.execute(db.select(WaitlistEntry).order_by(WaitlistEntry.id))
            .scalars()
            .first()
        )
        entry_id = entry.id
    page = client.get(f"/staff/waitlist/{entry_id}").get_data(as_text=True)
    assert "Held for them" in page and "Withdraw the offer" in page


def test_reception_adds_a_patient_by_phone(app, client, clinic, auth):
    auth.login("reception")
    day = clinic_today_in(app) + timedelta(days=3)
    form = client.get("/staff/waitlist/new")
    assert form.status_code == 200
    response = client.post(
        "/staff/waitlist/new",
        data={
            "service": "back-initial",
            "practitioner": "any",
            "earliest": day.isoformat(),
            "latest": (day + timedelta(days=7)).isoformat(),
            "days": ["0", "2"],
            "name": "Phoned In",
            "email": "phoned@example.com",
            "phone": "207 555 0144",
            "disclaimer_read": "y",
            **form_answers(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.execute(db.select(WaitlistEntry)).scalar_one()
        assert (entry.source, entry.disclaimer_acknowledged_by) == ("phone", "reception")
        assert entry.days == [0, 2]
        # A free Monday or Wednesday that week is held for them at once.
        offer = db.session.execute(db.select(WaitlistOffer)).scalar_one()
        assert to_local(offer.start_at).weekday() in (0, 2)
        assert waitlist.position(entry) == 1


def test_the_owner_sets_how_long_a_time_is_held(app, client, clinic, auth, make_user):
    from tests.views.test_admin_settings import current_text, settings_form

    auth.login("owner")
    bad = client.post(
        "/admin/settings",
        data=settings_form(disclaimer=current_text(app), waitlist_hold_minutes="5"),
    )
    assert bad.status_code == 422
    saved = client.post(
        "/admin/settings",
        data=settings_form(disclaimer=current_text(app), waitlist_hold_minutes="45"),
    )
    assert saved.status_code == 302
    day = clinic_today_in(app) + timedelta(days=5)
    patient = app.test_client()
    patient.post(
        "/api/v1/waitlist",
        json=join_body(
            day,
            clinic.practitioner.id,
            name="Ada",
            email="a@e.com",
            latest=(day + timedelta(days=7)).isoformat(),
        ),
    )
    with app.app_context():
        offer = db.session.execute(db.select(WaitlistOffer)).scalar_one()
        assert offer.expires_at - offer.offered_at == timedelta(minutes=45)


def test_half_a_time_range_is_asked_for_in_full(app, client):
    day = clinic_today_in(app) + timedelta(days=3)
    response = client.post(
        "/services/neck-initial/waitlist",
        data={
            "earliest": day.isoformat(),
            "latest": day.isoformat(),
            "between_from": "09:00",
            "practitioner": "any",
            "name": "Ada One",
            "email": "ada@example.com",
            "phone": "207 555 0100",
            "disclaimer": "y",
            "started": started(),
            **form_answers(),
        },
    )
    assert response.status_code == 422
    assert "Give both ends of the time range, or neither." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(WaitlistEntry)).first() is None
