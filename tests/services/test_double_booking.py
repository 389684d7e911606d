"""No practitioner is ever held twice: the database guard and parallel attempts."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from booking import create_app
from booking.extensions import db
from booking.models import Booking, Patient, Service
from booking.services.bookings import BookingRequest, SlotTaken, create_booking
from tests.conftest import NO_FLAGS


def raw_booking(slot, patient, service, *, start=None, status="booked", reference="REF00001"):
    start = start or slot.start
    return Booking(
        reference=reference,
        practitioner_id=slot.practitioner_id,
        service_id=service.id,
        patient=patient,
        start_at=start,
        end_at=start + timedelta(minutes=60),
        blocked_until=start + timedelta(minutes=75),
        status=status,
        price_cents=9500,
        currency="USD",
        disclaimer_version=1,
        disclaimer_accepted_at=start,
        screening=dict(NO_FLAGS),
        source="phone",
        manage_token_hash=reference * 8,
    )


@pytest.fixture
def neck(app):
    with app.app_context():
        return db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one().id


@pytest.mark.parametrize(
    ("offset_minutes", "status", "refused"),
    [
        (0, "booked", True),
        (30, "booked", True),
        (-60, "booked", True),  # ends at the start, but its 15-minute buffer runs into it
        (75, "booked", False),  # starts exactly when the first one's buffer ends
        (-75, "booked", False),
        (0, "arrived", True),
        (0, "fulfilled", True),
        (0, "cancelled", False),
        (0, "noshow", False),
    ],
)
def test_database_refuses_overlapping_active_bookings_even_without_the_service(
    app, free_slot, neck, offset_minutes, status, refused
):
    """Writing rows directly, past every check in Python, still cannot double-book."""
    slot = free_slot()
    with app.app_context():
        service = db.session.get(Service, neck)
        patient = Patient(name="A", email="a@example.com", phone="5550100")
        db.session.add(raw_booking(slot, patient, service))
        db.session.commit()
        second = raw_booking(
            slot,
            patient,
            service,
            start=slot.start + timedelta(minutes=offset_minutes),
            status=status,
            reference="REF00002",
        )
        db.session.add(second)
        if refused:
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        else:
            db.session.commit()
        total = db.session.execute(db.select(db.func.count(Booking.id))).scalar()
        assert total == (1 if refused else 2)


def test_moving_a_row_onto_another_booking_is_refused_by_the_database(app, free_slot, neck):
    slot = free_slot()
    with app.app_context():
        service = db.session.get(Service, neck)
        patient = Patient(name="A", email="a@example.com", phone="5550100")
        later = slot.start + timedelta(hours=3)
        db.session.add(raw_booking(slot, patient, service))
        db.session.add(raw_booking(slot, patient, service, start=later, reference="REF00002"))
        db.session.commit()
        moved = db.session.execute(db.select(Booking).filter_by(reference="REF00002")).scalar()
        moved.start_at = slot.start + timedelta(minutes=30)
        moved.end_at = moved.start_at + timedelta(minutes=60)
        moved.blocked_until = moved.end_at + timedelta(minutes=15)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        moved = db.session.execute(db.select(Booking).filter_by(reference="REF00002")).scalar()
        assert moved.start_at == later


def request_for(service, slot, n):
    return BookingRequest(
        service=service,
        start=slot.start,
        practitioner_id=slot.practitioner_id,
        name=f"Patient {n}",
        email=f"p{n}@example.com",
        phone="207 555 0100",
        answers=NO_FLAGS,
    )


ATTEMPTS = 24


def test_parallel_requests_for_one_slot_end_with_exactly_one_booking(app, booking_payload):
    body = booking_payload()
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(n):
        client = app.test_client()
        patient = {"name": f"Patient {n}", "email": f"p{n}@example.com", "phone": "2075550100"}
        barrier.wait()
        return client.post("/api/v1/bookings", json={**body, "patient": patient}).status_code

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        statuses = list(pool.map(attempt, range(ATTEMPTS)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == ATTEMPTS - 1
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 1


def _book_in_process(database_uri, slug, start, practitioner_id, n, barrier, results):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri})
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug=slug)).scalar_one()

        class Slot:
            pass

        slot = Slot()
        slot.start, slot.practitioner_id = start, practitioner_id
        barrier.wait()
        try:
            create_booking(request_for(service, slot, n))
            results.put("booked")
        except SlotTaken:
            results.put("taken")


def test_parallel_processes_for_one_slot_end_with_exactly_one_booking(app, free_slot):
    slot = free_slot()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    processes_count = 8
    barrier = context.Barrier(processes_count)
    results = context.Queue()
    processes = [
        context.Process(
            target=_book_in_process,
            args=(uri, "neck-initial", slot.start, slot.practitioner_id, n, barrier, results),
        )
        for n in range(processes_count)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    outcomes = sorted(results.get(timeout=5) for _ in processes)
    assert outcomes == ["booked"] + ["taken"] * (processes_count - 1)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Booking.id))).scalar() == 1
