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
