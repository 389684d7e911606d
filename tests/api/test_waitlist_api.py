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


from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402

from booking.models import AuditEntry, ClinicSettings, WaitlistEntry  # noqa: E402
from booking.services import outbox  # noqa: E402
from tests.conftest import NO_FLAGS  # noqa: E402
from tests.waitlist_helpers import clinic_today  # noqa: E402


def join(client, day, practitioner_id, *, name="Ada One", email="ada@example.com", **extra):
    return client.post(
        "/api/v1/waitlist",
        json=join_body(day, practitioner_id, name=name, email=email, **extra),
    )


def full_day(app, clinic, days_ahead=3):
    with app.app_context():
        day = working_day(clinic.practitioner, days_ahead)
        filled = fill_day(clinic.practitioner.id, day)
        return day, [(b.id, token) for b, token in filled]


def test_a_red_flag_is_told_first_and_nothing_is_stored(app, client, clinic):
    body = join_body(clinic_day(app), clinic.practitioner.id, name="", email="not an email")
    body["screening"] = {**NO_FLAGS, "fever": True}
    response = client.post("/api/v1/waitlist", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "red_flag"
    with app.app_context():
        assert db.session.execute(db.select(WaitlistEntry)).first() is None


def clinic_day(app, days=3):
    with app.app_context():
        return clinic_today() + timedelta(days=days)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"earliest": "yesterday"}, "earliest"),
        ({"latest": "2026-02-30"}, "latest"),
        ({"parts_of_day": ["night"]}, "parts_of_day"),
        ({"parts_of_day": "morning"}, "parts_of_day"),
        ({"days": ["funday"]}, "days"),
        ({"between": {"from": "9am", "to": "12:00"}}, "between"),
        ({"disclaimer_accepted": False}, "disclaimer_accepted"),
        ({"service": "massage"}, "service"),
        ({"practitioner": 999999}, "practitioner"),
        ({"patient": {"name": "A", "email": "a@example.com"}}, "patient.phone"),
    ],
)
def test_a_join_that_cannot_be_read_is_a_422_naming_the_field(app, client, clinic, change, field):
    body = join_body(clinic_day(app), clinic.practitioner.id, name="Ada One", email="a@example.com")
    body.update(change)
    response = client.post("/api/v1/waitlist", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(db.select(WaitlistEntry)).first() is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"earliest": "2020-01-01", "latest": "2020-01-02"}, "earliest"),
        ({"latest": "2099-01-01"}, "latest"),
        ({"between": {"from": "13:00", "to": "09:00"}, "parts_of_day": []}, "between"),
    ],
)
def test_a_wish_that_could_never_be_met_is_refused(app, client, clinic, change, field):
    body = join_body(clinic_day(app), clinic.practitioner.id, name="Ada One", email="a@example.com")
    body.update(change)
    response = client.post("/api/v1/waitlist", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_joining_twice_for_one_consultation_is_refused_and_leaving_frees_the_place(
    app, client, clinic, make_user
):
    make_user("reception")
    day, _filled = full_day(app, clinic)
    first = join(client, day, clinic.practitioner.id)
    assert first.status_code == 201
    again = join(client, day, clinic.practitioner.id)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_waiting")
    token = first.get_json()["token"]
    assert client.delete(f"/api/v1/waitlist/{token}").status_code == 204
    assert client.get(f"/api/v1/waitlist/{token}").get_json()["status"] == "left"
    gone = client.delete(f"/api/v1/waitlist/{token}")
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (409, "not_waiting")
    assert join(client, day, clinic.practitioner.id).status_code == 201


def test_an_unknown_link_is_a_404(client):
    assert client.get("/api/v1/waitlist/nope").status_code == 404
    assert client.post("/api/v1/waitlist/nope/claim").status_code == 404
    assert client.get("/waitlist/nope").status_code == 404


def test_joining_online_counts_against_the_address_limit(app, client, clinic, make_user):
    make_user("reception")
    day, _filled = full_day(app, clinic)
    with app.app_context():
        db.session.execute(db.select(ClinicSettings)).scalar_one().bookings_per_address_hour = 2
        db.session.commit()
    statuses = [
        join(
            client, day, clinic.practitioner.id, name=f"P {n}", email=f"p{n}@example.com"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    with app.app_context():
        assert len(db.session.execute(db.select(WaitlistEntry)).all()) == 2


def test_a_free_time_that_suits_is_held_at_once_on_joining(app, client, clinic):
    """Nothing need free up: a time that suits and is free now is offered straight away."""
    day = clinic_day(app, 5)
    response = join(
        client, day, clinic.practitioner.id, latest=(day + timedelta(days=7)).isoformat()
    )
    assert response.status_code == 201
    offer = client.get(f"/api/v1/waitlist/{response.get_json()['token']}").get_json()["offer"]
    assert offer is not None and offer["status"] == "offered"


def test_declining_passes_the_time_to_the_next_in_line_and_keeps_the_place(
    app, client, clinic, make_user
):
    make_user("reception")
    day, filled = full_day(app, clinic)
    first = join(client, day, clinic.practitioner.id).get_json()["token"]
    second = join(client, day, clinic.practitioner.id, name="Ben Two", email="ben@example.com")
    second = second.get_json()["token"]
    assert client.post(f"/api/v1/bookings/{filled[0][1]}/cancel", json={}).status_code == 200
    held = client.get(f"/api/v1/waitlist/{first}").get_json()["offer"]
    assert held is not None
    declined = client.post(f"/api/v1/waitlist/{first}/decline")
    assert declined.status_code == 200
    assert declined.get_json()["offer"] is None
    assert declined.get_json()["status"] == "waiting"
    passed = client.get(f"/api/v1/waitlist/{second}").get_json()["offer"]
    assert passed["start"] == held["start"]
    late = client.post(f"/api/v1/waitlist/{first}/claim")
    assert (late.status_code, late.get_json()["error"]["code"]) == (409, "offer_expired")


def test_no_email_goes_for_an_entry_left_before_it_was_sent(
    app, client, clinic, make_user, mail_server
):
    make_user("reception")
    day, filled = full_day(app, clinic)
    token = join(client, day, clinic.practitioner.id).get_json()["token"]
    client.post(f"/api/v1/bookings/{filled[0][1]}/cancel", json={})
    assert client.delete(f"/api/v1/waitlist/{token}").status_code == 204
    with app.app_context():
        outbox.send_due()
    subjects = [m.message["Subject"] for m in mail_server.to("ada@example.com")]
    assert subjects == [], subjects


def staff_client(app, make_user):
    from tests.conftest import PASSWORD

    desk = app.test_client()
    email = make_user("reception", email="desk2@clinic.test")
    assert desk.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return desk


def test_reception_adds_by_phone_moves_up_with_a_reason_and_offers_a_time_by_hand(
    app, client, clinic, make_user
):
    make_user("reception")
    day, _filled = full_day(app, clinic)
    online = join(client, day, clinic.practitioner.id).get_json()["token"]
    desk = staff_client(app, make_user)
    body = join_body(day, clinic.practitioner.id, name="Phoned In", email="phoned@example.com")
    del body["disclaimer_accepted"]
    refused = desk.post("/api/v1/staff/waitlist", json=body)
    assert "disclaimer_read" in refused.get_json()["error"]["fields"]
    body["disclaimer_read"] = True
    added = desk.post("/api/v1/staff/waitlist", json=body)
    assert added.status_code == 201, added.get_json()
    entry = added.get_json()
    assert (entry["position"], entry["source"]) == (2, "phone")
    no_reason = desk.post(f"/api/v1/staff/waitlist/{entry['id']}/move-up", json={"reason": ""})
    assert no_reason.status_code == 422
    moved = desk.post(
        f"/api/v1/staff/waitlist/{entry['id']}/move-up", json={"reason": "Acute flare, GP letter"}
    )
    assert moved.get_json()["position"] == 1
    assert client.get(f"/api/v1/waitlist/{online}").get_json()["position"] == 2
    with app.app_context():
        (audit,) = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "waitlist.move_up")
        ).scalars()
        assert audit.summary == "Acute flare, GP letter"
        free = availability_for(app, day + timedelta(days=7), clinic.practitioner.id)
    offered = desk.post(
        f"/api/v1/staff/waitlist/{entry['id']}/offer",
        json={"start": free.start.isoformat(), "practitioner": clinic.practitioner.id},
    )
    assert offered.status_code == 201, offered.get_json()
    assert (
        offered.get_json()["offer"]["start"][:16]
        == free.start.astimezone(clinic_zone(app)).isoformat()[:16]
    )
    # The time is held: nobody can book it, not even at the desk.
    taken = desk.post(
        "/api/v1/staff/bookings",
        json={
            "service": "neck-initial",
            "start": free.start.isoformat(),
            "practitioner": clinic.practitioner.id,
            "patient": {"name": "Walk In", "email": "", "phone": "207 555 0111"},
            "source": "walk-in",
            "screening": dict(NO_FLAGS),
            "disclaimer_read": True,
        },
    )
    assert taken.status_code == 409
    assert "held for a patient on the waitlist" in taken.get_json()["error"]["message"]
    withdrawn = desk.post(f"/api/v1/staff/waitlist/{entry['id']}/withdraw", json={})
    assert withdrawn.get_json()["offer"] is None
    removed = desk.post(
        f"/api/v1/staff/waitlist/{entry['id']}/remove", json={"reason": "Booked elsewhere"}
    )
    assert removed.get_json()["status"] == "removed"


def availability_for(app, day, practitioner_id):
    from booking.models import Service
    from booking.services import availability

    service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
    return availability.free_slots(
        service, day, day + timedelta(days=6), practitioner_id=practitioner_id
    )[0]


def clinic_zone(app):
    from zoneinfo import ZoneInfo

    with app.app_context():
        return ZoneInfo(db.session.execute(db.select(ClinicSettings)).scalar_one().timezone)


def test_a_time_reception_takes_back_stays_free_for_the_desk_before_going_down_the_line(
    app, client, clinic, make_user
):
    from booking.models import WaitlistOffer
    from booking.models.base import utcnow

    day = clinic_day(app, 5)
    wide = {"latest": (day + timedelta(days=10)).isoformat()}
    first = join(client, day, clinic.practitioner.id, **wide).get_json()["token"]
    held = client.get(f"/api/v1/waitlist/{first}").get_json()["offer"]
    desk = staff_client(app, make_user)
    entry_id = desk.get("/api/v1/staff/waitlist").get_json()["entries"][0]["id"]
    assert desk.post(f"/api/v1/staff/waitlist/{entry_id}/withdraw", json={}).status_code == 200
    later = join(
        client, day, clinic.practitioner.id, name="Ben Two", email="ben@example.com", **wide
    )
    second = client.get(f"/api/v1/waitlist/{later.get_json()['token']}").get_json()["offer"]
    assert second["start"] != held["start"]
    with app.app_context():
        open_starts = set(
            db.session.execute(
                db.select(WaitlistOffer.start_at).where(WaitlistOffer.status == "offered")
            ).scalars()
        )
        taken_back = db.session.execute(
            db.select(WaitlistOffer).where(WaitlistOffer.status == "withdrawn")
        ).scalar_one()
        assert taken_back.start_at not in open_starts
        # A quarter of an hour on, the desk has not used it: the next to join is offered it.
        taken_back.closed_at = utcnow() - timedelta(minutes=16)
        db.session.commit()
    third = join(
        client, day, clinic.practitioner.id, name="Cy Three", email="cy@example.com", **wide
    )
    offered = client.get(f"/api/v1/waitlist/{third.get_json()['token']}").get_json()["offer"]
    assert offered["start"] == held["start"]


@pytest.mark.parametrize("parts", [[{}], [[1]], [None], [1], {"morning": True}])
def test_parts_of_the_day_of_the_wrong_kind_are_a_422_not_a_crash(app, client, clinic, parts):
    body = join_body(clinic_day(app), clinic.practitioner.id, name="Ada", email="a@example.com")
    body["parts_of_day"] = parts
    response = client.post("/api/v1/waitlist", json=body)
    assert response.status_code == 422
    assert "parts_of_day" in response.get_json()["error"]["fields"]


def test_a_held_time_that_can_no_longer_be_booked_is_let_go_and_the_place_kept(
    app, client, clinic, make_user
):
    from booking.models import Practitioner, User
    from booking.services.practitioners.schedule import add_time_off

    make_user("reception")
    day, filled = full_day(app, clinic)
    token = join(client, day, clinic.practitioner.id).get_json()["token"]
    client.post(f"/api/v1/bookings/{filled[0][1]}/cancel", json={})
    assert client.get(f"/api/v1/waitlist/{token}").get_json()["offer"] is not None
    with app.app_context():
        desk = db.session.execute(db.select(User)).scalars().first()
        practitioner = db.session.get(Practitioner, clinic.practitioner.id)
        add_time_off(practitioner, day, day, None, None, "Unwell", actor=desk)
    refused = client.post(f"/api/v1/waitlist/{token}/claim")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "slot_taken")
    after = client.get(f"/api/v1/waitlist/{token}").get_json()
    assert (after["status"], after["offer"]) == ("waiting", None)
    with app.app_context():
        assert db.session.execute(db.select(WaitlistOffer.status)).scalars().all() == ["withdrawn"]


def test_booking_directly_takes_the_patient_out_of_line_and_lets_their_held_time_go(
    app, client, clinic, make_user, make_booking
):
    make_user("reception")
    day, filled = full_day(app, clinic)
    ada = join(client, day, clinic.practitioner.id).get_json()["token"]
    ben = join(client, day, clinic.practitioner.id, name="Ben Two", email="ben@example.com")
    ben = ben.get_json()["token"]
    client.post(f"/api/v1/bookings/{filled[0][1]}/cancel", json={})
    held = client.get(f"/api/v1/waitlist/{ada}").get_json()["offer"]
    assert held is not None
    # Ada finds another day herself and books it: she no longer waits.
    make_booking(name="Ada One", email="ada@example.com", phone="207 555 0199", days_ahead=10)
    gone = client.get(f"/api/v1/waitlist/{ada}").get_json()
    assert (gone["status"], gone["offer"]) == ("booked", None)
    # The time held for her goes to Ben.
    assert client.get(f"/api/v1/waitlist/{ben}").get_json()["offer"]["start"] == held["start"]
