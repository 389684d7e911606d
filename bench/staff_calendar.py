"""Benchmark: how long the staff calendar takes to render with a full week of bookings.

Not part of the test suite. Run:  .venv/bin/python bench/staff_calendar.py
Builds a throwaway SQLite clinic with 5 practitioners, each working 08:00-20:00
Monday to Saturday and booked back to back for a whole week (45-minute sessions
with 15-minute buffers), signs in as reception and times the week view of one
practitioner and the day view of all five through the full Flask stack. Medians.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from booking import create_app
from booking.extensions import db
from booking.models import Booking, Patient, Practitioner, Service, WorkingHours
from booking.services.accounts import create_user
from booking.services.demo import seed_demo

TZ = ZoneInfo("America/New_York")


def fill_week(monday) -> int:
    service = db.session.execute(db.select(Service).filter_by(slug="back-follow-up")).scalar_one()
    practitioners = list(db.session.execute(db.select(Practitioner)).scalars())
    while len(practitioners) < 5:
        practitioners.append(Practitioner(name=f"Extra practitioner {len(practitioners)}"))
        db.session.add(practitioners[-1])
    for practitioner in practitioners:
        practitioner.services = [service]
        practitioner.hours = []
    db.session.flush()  # old rows go before new ones take their weekday
    for practitioner in practitioners:
        practitioner.hours = [
            WorkingHours(weekday=d, start_time=time(8), end_time=time(20)) for d in range(6)
        ]
    db.session.flush()
    rows, n = [], 0
    for practitioner in practitioners:
        patient = Patient(name=f"Patient of {practitioner.name}", email="p@x.org", phone="5550100")
        db.session.add(patient)
        db.session.flush()
        for day in range(6):
            for hour in range(8, 20):
                start = datetime.combine(monday + timedelta(days=day), time(hour), tzinfo=TZ)
                start = start.astimezone(UTC)
                rows.append(
                    {
                        "reference": f"W{n:07d}",
                        "practitioner_id": practitioner.id,
                        "service_id": service.id,
                        "patient_id": patient.id,
                        "start_at": start,
                        "end_at": start + timedelta(minutes=45),
                        "blocked_until": start + timedelta(minutes=60),
                        "status": ("booked", "arrived", "fulfilled", "noshow")[n % 4],
                        "price_cents": 7500,
                        "currency": "USD",
                        "disclaimer_version": 1,
                        "disclaimer_accepted_at": start,
                        "screening": {},
                        "source": "phone",
                        "manage_token_hash": f"{n:064d}",
                    }
                )
                n += 1
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()
    return n


def median_ms(client, url: str, repeat: int) -> tuple[float, int]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(repeat):
        started = clock.perf_counter()
        response = client.get(url)
        samples.append((clock.perf_counter() - started) * 1000)
    return statistics.median(samples), len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'c.sqlite3'}",
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
            }
        )
        with app.app_context():
            db.create_all()
            seed_demo()
            today = datetime.now(TZ).date()
            monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
            count = fill_week(monday)
            create_user("bench@clinic.test", "reception", "bench-password")
            first_id = db.session.execute(db.select(Practitioner.id)).scalars().first()
        client = app.test_client()
        client.post("/login", data={"email": "bench@clinic.test", "password": "bench-password"})
        week_ms, week_bytes = median_ms(
            client, f"/staff/week?practitioner={first_id}&date={monday}", args.repeat
        )
        day_ms, day_bytes = median_ms(client, f"/staff/?date={monday}", args.repeat)
        with app.app_context():
            db.engine.dispose()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"{count} bookings: 5 practitioners x 6 days x 12 a day, week of {monday}")
    print(f"week view, one practitioner: median {week_ms:.1f} ms ({week_bytes // 1024} KiB)")
    print(f"day view, five practitioners: median {day_ms:.1f} ms ({day_bytes // 1024} KiB)")


if __name__ == "__main__":
    main()
