"""Benchmark: how long a month of free slots takes, in the engine and through the database.

Not part of the test suite. Run:  .venv/bin/python bench/availability.py
It builds a throwaway SQLite clinic with N practitioners and growing numbers of
bookings (spread over past and future, as a real clinic's history is), then times
one month of availability for one service: the pure engine on the window's
bookings, and the whole service call (query + engine). Reports medians.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from booking import create_app
from booking.domain import availability as engine
from booking.extensions import db
from booking.models import Booking, Patient, Practitioner, Service, WorkingHours
from booking.services import availability
from booking.services.demo import seed_demo

TZ = ZoneInfo("America/New_York")


def add_practitioners(count: int, service: Service) -> list[int]:
    ids = []
    for n in range(count):
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


def add_bookings(total: int, practitioner_ids: list[int], service: Service, today: date) -> None:
    """Non-overlapping bookings, six a day per practitioner, ending 30 days ahead."""
    patient = Patient(name="Bench", email="bench@example.com", phone="5550100")
    db.session.add(patient)
    db.session.flush()
    per_day = 6 * len(practitioner_ids)
    days = -(-total // per_day)
    rows = []
    day = today + timedelta(days=30 - days)
    n = 0
    while n < total:
        for pid in practitioner_ids:
            for k in range(6):
                if n >= total:
                    break
                start = datetime.combine(day, time(9 + k + (k >= 3)), tzinfo=TZ).astimezone(UTC)
                rows.append(
                    {
                        "reference": f"B{n:07d}",
                        "practitioner_id": pid,
                        "service_id": service.id,
                        "patient_id": patient.id,
                        "start_at": start,
                        "end_at": start + timedelta(minutes=45),
                        "blocked_until": start + timedelta(minutes=60),
                        "status": "booked",
                        "price_cents": 9500,
                        "currency": "USD",
                        "disclaimer_version": 1,
                        "disclaimer_accepted_at": start,
                        "screening": {},
                        "source": "phone",
                        "manage_token_hash": f"{n:064d}",
                    }
                )
                n += 1
        day += timedelta(days=1)
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        started = clock.perf_counter()
        fn()
        samples.append((clock.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(practitioners: int, sizes: list[int], repeat: int) -> list[dict]:
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'b.sqlite3'}"})
            with app.app_context():
                db.create_all()
                seed_demo()
                service = db.session.execute(
                    db.select(Service).filter_by(slug="neck-follow-up")
                ).scalar_one()
                ids = add_practitioners(practitioners, service)
                today = datetime.now(TZ).date()
                add_bookings(size, ids, service, today)
                first, last = today + timedelta(days=1), today + timedelta(days=31)
                people = availability.practitioners_for(service)
                people = [p for p in people if p.id in ids]
                window = engine.range_bounds(first, last, "America/New_York")
                schedules = availability.schedules(people, *window)
                in_window = sum(len(s.busy) for s in schedules)
                rules = engine.Rules("America/New_York", 15, 120, 90)
                now = datetime.now(UTC)

                def engine_only(schedules=schedules, first=first, last=last, now=now, rules=rules):
                    return engine.free_slots(
                        schedules,
                        duration_minutes=45,
                        buffer_minutes=15,
                        first_day=first,
                        last_day=last,
                        now=now,
                        rules=rules,
                    )

                def through_db(service=service, first=first, last=last):
                    db.session.rollback()
                    return availability.free_slots(service, first, last)

                slots = len(engine_only())
                results.append(
                    {
                        "bookings": size,
                        "in_window": in_window,
                        "slots": slots,
                        "engine_ms": median_ms(engine_only, repeat),
                        "service_ms": median_ms(through_db, repeat),
                    }
                )
            with app.app_context():
                db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=20)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {platform.system()}")
    print(f"{args.practitioners} bench practitioners (+3 demo), one month, one service, medians\n")
    print(f"{'bookings':>9} {'in window':>9} {'slots':>7} {'engine ms':>10} {'engine+db ms':>13}")
    rows = run(args.practitioners, sizes, args.repeat)
    for r in rows:
        print(
            f"{r['bookings']:>9} {r['in_window']:>9} {r['slots']:>7} "
            f"{r['engine_ms']:>10.2f} {r['service_ms']:>13.2f}"
        )
    if len(rows) > 1:
        print(
            f"\ngrowth {rows[0]['bookings']} -> {rows[-1]['bookings']} bookings: engine "
            f"{rows[-1]['engine_ms'] / rows[0]['engine_ms']:.2f}x, engine+db "
            f"{rows[-1]['service_ms'] / rows[0]['service_ms']:.2f}x"
        )


if __name__ == "__main__":
    main()
