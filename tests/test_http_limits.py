"""The limits over real HTTP, under gunicorn: floods stop, sign-in holds under load."""

from __future__ import annotations

import http.client
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

from booking.extensions import db
from booking.models import Booking, OutboxMessage, Service
from booking.models.base import utcnow
from booking.services import availability
from booking.services.accounts import create_user
from booking.views.helpers import to_local
from tests.conftest import NO_FLAGS, PASSWORD
from tests.gunicorn import serve

FLOOD = 300
PARALLEL = 12


def request(port, method, path, body=None, headers=None):
    """(status, headers, body) of one request on its own connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(method, path, body, headers or {})
    response = connection.getresponse()
    answer = (response.status, dict(response.getheaders()), response.read())
    connection.close()
    return answer


def book(port, slot, n, *, email=None, address=None):
    body = {
        "service": "neck-initial",
        "start": slot.start.isoformat(),
        "practitioner": slot.practitioner_id,
        "patient": {
            "name": f"Flood {n}",
            "email": email or f"flood{n}@example.com",
            "phone": f"207 555 {n:04d}",
        },
        "screening": NO_FLAGS,
        "disclaimer_accepted": True,
    }
    headers = {"Content-Type": "application/json"}
    if address:
        headers["X-Forwarded-For"] = address
    return request(port, "POST", "/api/v1/bookings", json.dumps(body), headers)


def sign_in(port, email, password, address=None):
    """A browser's sign-in: fetch the form (cookie and CSRF token), then post it."""
    headers = {"X-Forwarded-For": address} if address else {}
    status, got, page = request(port, "GET", "/login", headers=headers)
    assert status == 200
    token = re.search(rb'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    cookie = got["Set-Cookie"].split(";", 1)[0]
    body = urlencode({"email": email, "password": password, "csrf_token": token.decode()})
    headers |= {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return request(port, "POST", "/login", body, headers)[0]


def free_slots(app):
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        first = to_local(utcnow()).date()
        slots = availability.free_slots(service, first, first + timedelta(days=60))
        db.session.remove()
    return service.id, slots


def separate(slots):
    """Slots no two of which overlap, so every refusal in a flood is a limit's."""
    last: dict[int, object] = {}
    chosen = []
    for slot in sorted(slots, key=lambda s: s.start):
        if slot.practitioner_id not in last or slot.start >= last[slot.practitioner_id]:
            chosen.append(slot)
            last[slot.practitioner_id] = slot.start + timedelta(minutes=90)
    assert len(chosen) >= FLOOD, len(chosen)
    return chosen


def counts(app):
    with app.app_context():
        db.session.remove()
        held = db.session.execute(db.select(db.func.count(Booking.id))).scalar()
        emails = db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar()
        db.session.remove()
    return held, emails


def flood(port, slots, options=lambda n: {}):
    """FLOOD bookings, PARALLEL at a time, each for another free slot."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda n: book(port, slots[n], n, **options(n)), range(FLOOD)))


def test_a_flood_from_one_client_books_ten_and_leaves_the_calendar_open(app):
    _, before = free_slots(app)
    with serve(app) as port:
        answers = flood(port, separate(before))
    statuses = [status for status, _, _ in answers]
    assert statuses.count(201) == 10, statuses
    assert statuses.count(429) == FLOOD - 10
    refused = next(answer for answer in answers if answer[0] == 429)
    assert json.loads(refused[2])["error"]["code"] == "rate_limited"
    assert 3000 < int(refused[1]["Retry-After"]) <= 3601
    held, emails = counts(app)
    assert held == 10
    assert emails == 20  # a confirmation and a clinic notice for each that landed
    _, after = free_slots(app)
    assert len(after) > 0.9 * len(before)


def test_a_flood_at_one_inbox_from_many_addresses_sends_it_three_emails(app):
    with serve(app, BOOKING_PROXY_COUNT="1") as port:
        _, slots = free_slots(app)
        answers = flood(
            port,
            separate(slots),
            lambda n: {
                "email": "victim@example.com",
                "address": f"10.0.{n // 250}.{n % 250}",
            },
        )
    statuses = [status for status, _, _ in answers]
    assert statuses.count(201) == 3, statuses
    assert statuses.count(429) == FLOOD - 3
    with app.app_context():
        to_victim = db.session.execute(
            db.select(db.func.count(OutboxMessage.id)).filter_by(recipient="victim@example.com")
        ).scalar()
    assert to_victim == 3


def test_staff_sign_in_during_a_booking_flood_never_gives_a_500(app):
    emails = [f"desk{n}@clinic.test" for n in range(24)]
    with app.app_context():
        for email in emails:
            create_user(email, "reception", PASSWORD)
        db.session.remove()
    slots = separate(free_slots(app)[1])
    with serve(app, BOOKING_RATE_LIMITS="false") as port:
        start = threading.Barrier(24 + 4)
        results: dict[str, list[int]] = {"sign_in": [], "book": []}

        def signing_in(email):
            start.wait()
            results["sign_in"].append(sign_in(port, email, PASSWORD))

        def booker(k):
            start.wait()
            for n in range(k, 120, 4):
                results["book"].append(book(port, slots[n], n)[0])

        threads = [threading.Thread(target=signing_in, args=(e,)) for e in emails]
        threads += [threading.Thread(target=booker, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # Every colleague is signed in, and the bookings carried on beside them.
    assert results["sign_in"] == [302] * 24
    assert 500 not in results["book"] and results["book"].count(201) > 50


def test_parallel_wrong_passwords_check_no_more_than_five(app):
    with app.app_context():
        create_user("owner@clinic.test", "owner", PASSWORD)
        db.session.remove()
    owner, stranger = "owner@clinic.test", "198.51.100.66"
    with serve(app, BOOKING_PROXY_COUNT="1") as port:
        start = threading.Barrier(60)

        def guess(n):
            start.wait()
            return sign_in(port, owner, f"guess number {n}", stranger)

        with ThreadPoolExecutor(60) as pool:
            statuses = list(pool.map(guess, range(60)))
        from_stranger = sign_in(port, owner, PASSWORD, stranger)
        from_clinic = sign_in(port, owner, PASSWORD, "192.0.2.10")
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 55
    assert from_stranger == 429
    assert from_clinic == 302
