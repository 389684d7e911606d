"""Benchmark: one month of free slots, in the pure engine and through the database.

Not part of the test suite. Run:  .venv/bin/python bench/availability.py
A throwaway SQLite clinic gets 20 practitioners (Mon-Sat, different hours, a lunch
break) and a fixed load inside the next month (WINDOW_BOOKINGS bookings), plus a
growing history of past bookings so the total is 1,000, 10,000 or 100,000. Each size
times one month of free slots for one service: the pure engine on the window's
bookings, and the whole service call (indexed query + engine). The engine's work
should follow the bookings inside the window, not the total. Medians.
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
from booking.domain import availability as engine
from booking.domain.clock import range_bounds
from booking.extensions import db
from booking.models import Booking, Patient, Practitioner, Service, WorkingHours
from booking.services import availability
from booking.services.demo import seed_demo

TZ = ZoneInfo("America/New_York")
PRACTITIONERS = 20
WINDOW_DAYS = 31
WINDOW_BOOKINGS = 900


def add_practitioners(service: Service) -> list[int]:
    ids = []
    for n in range(PRACTITIONERS):
        practitioner = Practitioner(
            name=f"Bench practitioner {n}",
            services=[service],
            hours=[
                WorkingHours(
                    weekday=d,
                    start_time=time(8 + n % 3),
                    end_time=time(17 + n % 3),
                    break_start=time(12, 30),
                    break_end=time(13, 30),
                )
                for d in range(6)
            ],
        )
        db.session.add(practitioner)
        db.session.flush()
        ids.append(practitioner.id)
    db.session.commit()
    return ids


def booking_row(n: int, pid: int, service: Service, patient_id: int, start: datetime) -> dict:
    return {
        "reference": f"B{n:07d}",
        "practitioner_id": pid,
        "service_id": service.id,
        "patient_id": patient_id,
        "start_at": start,
        "end_at": start + timedelta(minutes=45),
        "blocked_until": start + timedelta(minutes=60),
        "status": "booked",
        "price_cents": 7500,
        "currency": "USD",
        "disclaimer_version": 1,
        "disclaimer_accepted_at": start,
        "screening": {},
        "source": "phone",
        "manage_token_hash": f"{n:064d}",
    }


def add_bookings(total: int, ids: list[int], service: Service, first_day) -> None:
    """WINDOW_BOOKINGS spread over the month from first_day; the rest in the past."""
    patient = Patient(name="Bench", email="bench@example.com", phone="5550100")
    db.session.add(patient)
    db.session.flush()
    rows = []
    # Inside the window: round-robin over practitioners and days, 10:00 then 15:00.
    for n in range(min(WINDOW_BOOKINGS, total)):
        pid = ids[n % len(ids)]
        day = first_day + timedelta(days=(n // len(ids)) % WINDOW_DAYS)
        hour = 10 if (n // (len(ids) * WINDOW_DAYS)) % 2 == 0 else 15
        start = datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)
        rows.append(booking_row(n, pid, service, patient.id, start))
    # History: six a day per practitioner, going back from the day before the window.
    n = len(rows)
    day = first_day - timedelta(days=1)
    while n < total:
        for pid in ids:
            for k in range(6):
                if n >= total:
                    break
                start = datetime.combine(day, time(9 + k + (k >= 3)), tzinfo=TZ)
                rows.append(booking_row(n, pid, service, patient.id, start.astimezone(UTC)))
                n += 1
        day -= timedelta(days=1)
    for chunk in range(0, len(rows), 5000):
        db.session.execute(db.insert(Booking), rows[chunk : chunk + 5000])
    db.session.commit()


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        started = clock.perf_counter()
        fn()
        samples.append((clock.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(total: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'b.sqlite3'}"})
        with app.app_context():
            db.create_all()
            seed_demo()
            service = db.session.execute(
                db.select(Service).filter_by(slug="neck-follow-up")
            ).scalar_one()
            ids = add_practitioners(service)
            first = datetime.now(TZ).date() + timedelta(days=1)
            last = first + timedelta(days=WINDOW_DAYS - 1)
            add_bookings(total, ids, service, first)
            people = [p for p in availability.practitioners_for(service) if p.id in ids]
            window = range_bounds(first, last, "America/New_York")
            schedules = availability.schedules(people, *window)
            rules = engine.Rules("America/New_York", 15, 120, 90)
            now = datetime.now(UTC)

            def engine_only():
                return engine.free_slots(
                    schedules,
                    duration_minutes=45,
                    buffer_minutes=15,
                    first_day=first,
                    last_day=last,
                    now=now,
                    rules=rules,
                )

            def through_database():
                db.session.rollback()
                return availability.free_slots(service, first, last)

            result = {
                "bookings": total,
                "in_window": sum(len(s.busy) for s in schedules),
                "slots": len(engine_only()),
                "engine_ms": median_ms(engine_only, repeat),
                "service_ms": median_ms(through_database, repeat),
            }
            db.engine.dispose()
    return result


def run(sizes: list[int], repeat: int) -> list[dict]:
    return [measure(size, repeat) for size in sizes]


def table(rows: list[dict]) -> str:
    lines = [
        "| bookings in database | in the month | free slots | engine (ms) | query + engine (ms) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['bookings']:,} | {r['in_window']:,} | {r['slots']:,} | "
            f"{r['engine_ms']:.2f} | {r['service_ms']:.2f} |"
        )
    if len(rows) > 1:
        lines.append("")
        lines.append(
            f"Growth {rows[0]['bookings']:,} -> {rows[-1]['bookings']:,} bookings: engine "
            f"{rows[-1]['engine_ms'] / rows[0]['engine_ms']:.2f}x, query + engine "
            f"{rows[-1]['service_ms'] / rows[0]['service_ms']:.2f}x."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"{PRACTITIONERS} practitioners, one month, one service; medians of {args.repeat}\n")
    print(table(run([int(s) for s in args.sizes.split(",")], args.repeat)))


if __name__ == "__main__":
    main()
