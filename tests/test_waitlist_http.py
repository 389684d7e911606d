"""The waitlist over real HTTP (gunicorn, several workers) with real email on loopback:
a full day, three patients waiting, a cancellation; the first in line is offered the
time and it is held; others cannot book it; the claim books it; an offer left
unanswered lapses and goes to the next in line."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, ClinicSettings, WaitlistEntry, WaitlistOffer
from booking.services import outbox, waitlist
from tests.conftest import NO_FLAGS
from tests.gunicorn import serve
from tests.waitlist_helpers import fill_day, join_body, working_day

ATTEMPTS = 20
WORKERS = 4
PEOPLE = (
    ("Ada First", "ada@example.com"),
    ("Ben Second", "ben@example.com"),
    ("Cy Third", "cy@example.com"),
)


@pytest.fixture
def gunicorn(app):
    with serve(app, WORKERS) as port:
        yield port


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        method,
        path,
        json.dumps(body) if body is not None else None,
        {"Content-Type": "application/json"} if body is not None else {},
    )
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, (json.loads(raw) if raw else {})


def offers_to(mail_server, address: str, kind: str = "A time for you") -> list:
    return [m for m in mail_server.to(address) if m.message["Subject"].startswith(kind)]


def test_a_freed_time_goes_to_the_first_in_line_is_held_and_claimed_or_lapses_to_the_next(
    app, gunicorn, mail_server, clinic, make_user
):
    make_user("reception")
    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        settings.bookings_per_address_hour = 500
        db.session.commit()
        day = working_day(clinic.practitioner, days_ahead=4)
        filled = fill_day(clinic.practitioner.id, day)
        assert len(filled) >= 3
        tokens = [token for _booking, token in filled]
    tokens_in_line = []
    for name, email in PEOPLE:
        status, body = call(
            gunicorn,
            "POST",
            "/api/v1/waitlist",
            join_body(day, clinic.practitioner.id, name=name, email=email),
        )
        assert status == 201, body
        tokens_in_line.append(body["token"])
    assert [
        call(gunicorn, "GET", f"/api/v1/waitlist/{t}")[1]["position"] for t in tokens_in_line
    ] == [1, 2, 3]

    # A patient cancels: their time is offered to the first in line, by itself.
    status, cancelled = call(gunicorn, "POST", f"/api/v1/bookings/{tokens[1]}/cancel", {})
    assert status == 200, cancelled
    with app.app_context():
        outbox.send_due()
        db.session.remove()
        (offer,) = db.session.execute(db.select(WaitlistOffer)).scalars().all()
        start, practitioner = offer.start_at, offer.practitioner_id
        assert offer.entry.patient.email == "ada@example.com"
    assert len(offers_to(mail_server, "ada@example.com")) == 1
    assert offers_to(mail_server, "ben@example.com") == []
    assert offers_to(mail_server, "cy@example.com") == []
    held = call(gunicorn, "GET", f"/api/v1/waitlist/{tokens_in_line[0]}")[1]["offer"]
    assert held["status"] == "offered"

    # While it is held, nobody else can book that time.
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(n: int) -> int:
        body = {
            "service": "neck-initial",
            "start": start.isoformat(),
            "practitioner": practitioner,
            "patient": {
                "name": f"Other {n}",
                "email": f"other{n}@example.com",
                "phone": f"207555{n:04d}",
            },
            "screening": NO_FLAGS,
            "disclaimer_accepted": True,
        }
        barrier.wait()
        return call(gunicorn, "POST", "/api/v1/bookings", body)[0]

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        statuses = list(pool.map(attempt, range(ATTEMPTS)))
    assert statuses == [409] * ATTEMPTS

    # One tap books it, with the usual confirmation.
    status, booked = call(gunicorn, "POST", f"/api/v1/waitlist/{tokens_in_line[0]}/claim")
    assert status == 201, booked
    assert booked["status"] == "booked"
    with app.app_context():
        outbox.send_due()
    confirmations = [
        m for m in mail_server.to("ada@example.com") if m.message["Subject"].startswith("Booked:")
    ]
    assert len(confirmations) == 1
    assert call(gunicorn, "GET", f"/api/v1/waitlist/{tokens_in_line[0]}")[1]["status"] == "booked"
    status, again = call(gunicorn, "POST", f"/api/v1/waitlist/{tokens_in_line[0]}/claim")
    assert (status, again["error"]["code"]) == (409, "offer_expired")

    # Another cancellation: Ben is next. He does not answer; the hold lapses and Cy
    # gets the same time.
    status, _ = call(gunicorn, "POST", f"/api/v1/bookings/{tokens[2]}/cancel", {})
    assert status == 200
    with app.app_context():
        db.session.remove()
        offer = db.session.execute(
            db.select(WaitlistOffer).where(WaitlistOffer.status == "offered")
        ).scalar_one()
        assert offer.entry.patient.email == "ben@example.com"
        second_start, lapses_at = offer.start_at, offer.expires_at
        outbox.send_due()
        report = waitlist.tick(now=lapses_at + timedelta(minutes=1))
        assert (report.lapsed, report.offered) == (1, 1)
        db.session.remove()
        now_held = db.session.execute(
            db.select(WaitlistOffer).where(WaitlistOffer.status == "offered")
        ).scalar_one()
        assert now_held.entry.patient.email == "cy@example.com"
        assert now_held.start_at == second_start
        outbox.send_due(now=lapses_at + timedelta(minutes=2))
    assert len(offers_to(mail_server, "ben@example.com")) == 1
    assert len(offers_to(mail_server, "ben@example.com", "The time we held")) == 1
    assert len(offers_to(mail_server, "cy@example.com")) == 1
    ben = call(gunicorn, "GET", f"/api/v1/waitlist/{tokens_in_line[1]}")[1]
    assert (ben["status"], ben["offer"], ben["position"]) == ("waiting", None, 1)
    status, late = call(gunicorn, "POST", f"/api/v1/waitlist/{tokens_in_line[1]}/claim")
    assert (status, late["error"]["code"]) == (409, "offer_expired")
    with app.app_context():
        stored = db.session.execute(
            db.select(db.func.count(Booking.id)).where(
                Booking.start_at == start, Booking.status == "booked"
            )
        ).scalar()
        assert stored == 1
        assert db.session.execute(
            db.select(WaitlistEntry.status).order_by(WaitlistEntry.id)
        ).scalars().all() == ["booked", "waiting", "waiting"]
