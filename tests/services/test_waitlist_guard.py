"""An open waitlist offer holds the practitioner as a booking does, in the database itself."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from booking import create_app
from booking.extensions import db
from booking.models import Patient, Service, WaitlistEntry, WaitlistOffer
from booking.models.base import utcnow
from tests.conftest import NO_FLAGS
from tests.services.test_double_booking import raw_booking


def raw_entry(patient, service, *, token="T" * 64):
    today = utcnow().date()
    return WaitlistEntry(
        patient=patient,
        service_id=service.id,
        earliest=today,
        latest=today + timedelta(days=14),
        days=[],
        parts=[],
        place=1024,
        status="waiting",
        closes_on=today + timedelta(days=14),
        screening=dict(NO_FLAGS),
        disclaimer_version=1,
        disclaimer_accepted_at=utcnow(),
        token_hash=token,
        token_salt="salt",
    )


def raw_offer(slot, entry, service, *, start=None, status="offered", minutes=60):
    start = start or slot.start
    now = utcnow()
    return WaitlistOffer(
        entry=entry,
        patient_id=entry.patient.id,
        service_id=service.id,
        practitioner_id=slot.practitioner_id,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        blocked_until=start + timedelta(minutes=minutes + 15),
        status=status,
        offered_at=now,
        expires_at=now + timedelta(hours=2),
    )


def people(service):
    first = Patient(name="Held For", email="held@example.com", phone="5550101")
    second = Patient(name="Other One", email="other@example.com", phone="5550102")
    db.session.add_all([first, second])
    db.session.flush()
    return first, second


@pytest.mark.parametrize(
    ("offset_minutes", "status", "refused"),
    [
        (0, "offered", True),
        (30, "offered", True),
        (-60, "offered", True),  # the offer's buffer runs into the booking
        (75, "offered", False),
        (0, "lapsed", False),
        (0, "declined", False),
        (0, "withdrawn", False),
        (0, "claimed", False),
    ],
)
def test_a_booking_over_an_open_offer_is_refused_by_the_database(
    app, free_slot, offset_minutes, status, refused
):
    slot = free_slot()
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        held, other = people(service)
        entry = raw_entry(held, service)
        db.session.add(raw_offer(slot, entry, service, status=status))
        db.session.commit()
        booking = raw_booking(
            slot, other, service, start=slot.start + timedelta(minutes=offset_minutes)
        )
        db.session.add(booking)
        if refused:
            with pytest.raises(IntegrityError, match="booking_overlap|23P01|exclusion|conflict"):
                db.session.commit()
            db.session.rollback()
        else:
            db.session.commit()


@pytest.mark.parametrize(("status", "refused"), [("booked", True), ("cancelled", False)])
def test_an_offer_over_a_booking_is_refused_by_the_database(app, free_slot, status, refused):
    slot = free_slot()
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        held, other = people(service)
        db.session.add(raw_booking(slot, other, service, status=status))
        db.session.commit()
        db.session.add(raw_offer(slot, raw_entry(held, service), service))
        if refused:
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        else:
            db.session.commit()


def test_two_open_offers_cannot_hold_one_time(app, free_slot):
    slot = free_slot()
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        first, second = people(service)
        db.session.add(raw_offer(slot, raw_entry(first, service), service))
        db.session.commit()
        db.session.add(
            raw_offer(
                slot,
                raw_entry(second, service, token="U" * 64),
                service,
                start=slot.start + timedelta(minutes=15),
            )
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_patient_holds_one_open_offer_at_a_time_in_the_database(app, free_slot):
    slot = free_slot()
    later = free_slot(days_ahead=5)
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        held, _other = people(service)
        db.session.add(raw_offer(slot, raw_entry(held, service), service))
        db.session.commit()
        db.session.add(raw_offer(later, raw_entry(held, service, token="V" * 64), service))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize("first", ["booking", "offer"])
def test_a_booking_and_an_offer_in_flight_at_once_cannot_both_stand(app, free_slot, first):
    """PostgreSQL: the first row is written and not yet committed when the second is
    written; the second's trigger waits for the practitioner's lock, then sees the first
    and is refused. (SQLite has one writer at a time: its triggers check inside the
    writing statement, which the tests above cover.)"""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite serialises writers itself")
    slot = free_slot()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        held, other = people(service)
        entry = raw_entry(held, service)
        db.session.add(entry)
        db.session.commit()
        ids = (service.id, other.id, entry.id)
    written = threading.Event()
    outcomes: dict[str, str] = {}

    def write(kind: str) -> None:
        worker = create_app(
            {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri, "SERVER_NAME": "t"}
        )
        with worker.app_context():
            service = db.session.get(Service, ids[0])
            if kind == "booking":
                row = raw_booking(slot, db.session.get(Patient, ids[1]), service)
            else:
                row = raw_offer(slot, db.session.get(WaitlistEntry, ids[2]), service)
            try:
                if kind != first:
                    written.wait(20)
                db.session.add(row)
                db.session.flush()
                if kind == first:
                    written.set()
                    time.sleep(0.5)  # the other is now waiting on the practitioner's lock
                db.session.commit()
                outcomes[kind] = "stored"
            except IntegrityError:
                db.session.rollback()
                outcomes[kind] = "refused"
            finally:
                written.set()
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=write, args=(kind,)) for kind in ("booking", "offer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    second = "offer" if first == "booking" else "booking"
    assert outcomes == {first: "stored", second: "refused"}
