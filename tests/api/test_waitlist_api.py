"""The waitlist's JSON side: join, see your place, be offered a freed time, claim it."""

from __future__ import annotations

from booking.extensions import db
from booking.models import Booking, OutboxMessage, WaitlistOffer
from booking.services import bookings, waitlist
from tests.waitlist_helpers import fill_day, join_body, working_day


def test_a_cancelled_time_is_held_for_the_first_in_line_and_claimed(app, client, clinic, make_user):
    make_user("reception")
    with app.app_context():
        day = working_day(clinic.practitioner)
        filled = fill_day(clinic.practitioner.id, day)
        filled_ids = [b.id for b, _token in filled]
    tokens = []
    for number, name in enumerate(("Ada One", "Ben Two", "Cy Three")):
        response = client.post(
            "/api/v1/waitlist",
            json=join_body(day, clinic.practitioner.id, name=name, email=f"p{number}@example.com"),
        )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["position"] == number + 1
        tokens.append(response.get_json()["token"])
    with app.app_context():
        assert db.session.execute(db.select(WaitlistOffer)).first() is None
        freed = db.session.get(Booking, filled_ids[2])
        start = freed.start_at
        bookings.cancel_booking(freed, actor=db.session.get(Booking, filled_ids[0]).created_by)
        offers = list(db.session.execute(db.select(WaitlistOffer)).scalars())
        assert len(offers) == 1
        assert offers[0].start_at == start
        assert offers[0].entry.patient.name == "Ada One"
    first = client.get(f"/api/v1/waitlist/{tokens[0]}").get_json()
    assert first["offer"]["start"]
    assert client.get(f"/api/v1/waitlist/{tokens[1]}").get_json()["offer"] is None
    claimed = client.post(f"/api/v1/waitlist/{tokens[0]}/claim")
    assert claimed.status_code == 201, claimed.get_json()
    assert claimed.get_json()["manage_token"]
    assert client.get(f"/api/v1/waitlist/{tokens[0]}").get_json()["status"] == "booked"
    with app.app_context():
        kinds = [r.kind for r in db.session.execute(db.select(OutboxMessage)).scalars()]
        assert "waitlist_offer" in kinds
        assert waitlist.refill() == 0
