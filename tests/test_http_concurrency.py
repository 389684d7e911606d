"""Over real HTTP: gunicorn with several workers, 100 patients racing for one slot."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from booking.extensions import db
from booking.models import Booking
from tests.conftest import NO_FLAGS
from tests.gunicorn import serve

ATTEMPTS = 100
WORKERS = 4


@pytest.fixture
def gunicorn(app):
    with serve(app, WORKERS) as port:
        yield port


def post(port: int, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST", "/api/v1/bookings", json.dumps(body), {"Content-Type": "application/json"}
    )
    status = connection.getresponse().status
    connection.close()
    return status


def test_one_hundred_concurrent_requests_for_one_slot_book_it_exactly_once(
    app, gunicorn, free_slot
):
    slot = free_slot()
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(n: int) -> int:
        body = {
            "service": "neck-initial",
            "start": slot.start.isoformat(),
            "practitioner": slot.practitioner_id,
            "patient": {
                "name": f"Racer {n}",
                "email": f"racer{n}@example.com",
                "phone": "2075550100",
            },
            "screening": NO_FLAGS,
            "disclaimer_accepted": True,
        }
        barrier.wait()
        return post(gunicorn, body)

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        statuses = list(pool.map(attempt, range(ATTEMPTS)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == ATTEMPTS - 1, statuses
    with app.app_context():
        db.session.remove()
        stored = db.session.execute(
            db.select(db.func.count(Booking.id)).where(Booking.start_at == slot.start)
        ).scalar()
    assert stored == 1


RACERS = 6


def free_times(app, slug: str, practitioner_id: int, days_ahead: int) -> list:
    """The practitioner's free slots for a service on one day, some days from now."""
    from datetime import timedelta

    from booking.models import ClinicSettings, Service
    from booking.models.base import utcnow
    from booking.services import availability
    from booking.views.helpers import to_local

    with app.app_context():
        settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
        settings.bookings_per_address_hour = 100
        db.session.commit()
        service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()
        # A weekday the practitioner works, at least `days_ahead` from now.
        day = to_local(utcnow()).date() + timedelta(days=days_ahead)
        while day.weekday() > 4:
            day += timedelta(days=1)
        return availability.free_slots(service, day, day, practitioner_id=practitioner_id)


def test_patients_racing_for_series_that_share_one_time_book_it_once_and_all_or_nothing(
    app, gunicorn, make_booking, clinic
):
    practitioner = clinic.practitioner.id
    # Each racer's first consultation, on days of their own.
    firsts: dict = {}
    ahead = 2
    while len(firsts) < RACERS:
        slot = free_times(app, "neck-initial", practitioner, ahead)[0]
        firsts.setdefault(slot.start.date(), slot)
        ahead += 1
    racers = [
        make_booking(
            slot,
            practitioner=practitioner,
            name=f"Racer {n}",
            email=f"racer{n}@example.com",
            phone=f"20755501{n:02d}",
        )
        for n, slot in enumerate(firsts.values())
    ]
    shared = free_times(app, "neck-follow-up", practitioner, 14)[4]
    own = free_times(app, "neck-follow-up", practitioner, 21)[: RACERS * 4 : 4]
    assert len(own) == RACERS
    barrier = threading.Barrier(RACERS)

    def attempt(n: int) -> tuple[int, dict]:
        body = {
            "starts": [shared.start.isoformat(), own[n].start.isoformat()],
            "practitioner": practitioner,
        }
        barrier.wait()
        connection = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=60)
        connection.request(
            "POST",
            f"/api/v1/bookings/{racers[n]['manage_token']}/course",
            json.dumps(body),
            {"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        result = response.status, json.loads(response.read())
        connection.close()
        return result

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(attempt, range(RACERS)))
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 1, results
    assert statuses.count(409) == RACERS - 1, results
    (winner,) = [n for n, (status, _) in enumerate(results) if status == 201]
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "slot_taken"
            # The first consultation is session 1 of each course; the shared time is 2.
            assert body["error"]["message"].startswith("Session 2, ")
    with app.app_context():
        db.session.remove()
        held = db.session.execute(
            db.select(Booking.start_at).where(Booking.status == "booked")
        ).scalars()
        held = sorted(held)
    # The shared time once; only the winner's own second session; nobody else's.
    assert held.count(shared.start) == 1
    assert [slot.start for slot in own if slot.start in held] == [own[winner].start]
