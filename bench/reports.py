"""Benchmark: how long the owner's reports page takes for a year of a busy clinic.

Not part of the test suite. Run:  .venv/bin/python bench/reports.py
Builds a throwaway SQLite clinic: the demo clinic plus two practitioners (five in
all, each working 08:00-20:00 Monday to Saturday with a lunch hour), about 10,000
bookings over the past year (never overlapping, mixed statuses) for about 2,000
patients, and a day off each month per practitioner. Signs in as an owner and times
GET /admin/reports for the whole year through the full Flask stack, and one CSV.
Medians.

Each patient's bookings for a condition form a course, with a pain score on four in
five of the visits done and a decision on one course in ten, so the course outcomes
section counts every course of the year (`--no-courses` leaves them out, to compare).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from booking import create_app
from booking.extensions import db
from booking.models import (
    Booking,
    CheckIn,
    Course,
    CourseDecision,
    Patient,
    Practitioner,
    Service,
    TimeOff,
    WorkingHours,
)
from booking.services.accounts import create_user
from booking.services.demo import seed_demo

TZ = ZoneInfo("America/New_York")
# Starts 75 minutes apart around the lunch hour: the longest service plus its buffer.
STARTS = [time(8), time(9, 15), time(10, 30), time(13), time(14, 15), time(15, 30),
          time(16, 45), time(18)]  # fmt: skip
STATUSES = (["fulfilled"] * 80) + (["cancelled"] * 10) + (["noshow"] * 5) + (["arrived"] * 5)


def build_clinic(first, last, bookings: int, patients: int) -> int:
    """Five practitioners, their hours and time off, patients and bookings; the count."""
    rng = random.Random(7)  # noqa: S311 (test data, not secrets)
    services = list(db.session.execute(db.select(Service)).scalars())
    practitioners = list(db.session.execute(db.select(Practitioner)).scalars())
    while len(practitioners) < 5:
        practitioners.append(Practitioner(name=f"Extra practitioner {len(practitioners)}"))
        db.session.add(practitioners[-1])
    for practitioner in practitioners:
        practitioner.services = services
        practitioner.hours = []
    db.session.flush()  # old rows go before new ones take their weekday
    for practitioner in practitioners:
        practitioner.hours = [
            WorkingHours(
                weekday=d,
                start_time=time(8),
                end_time=time(20),
                break_start=time(12),
                break_end=time(13),
            )
            for d in range(6)
        ]
    db.session.flush()
    db.session.execute(
        db.insert(Patient),
        [
            {"name": f"Patient {n}", "email": f"p{n}@example.com", "phone": "2075550100"}
            for n in range(patients)
        ],
    )
    patient_ids = list(db.session.execute(db.select(Patient.id)).scalars())

    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    working = [(day, p) for day in days if day.weekday() < 6 for p in practitioners]
    for day, practitioner in working:
        if day.day == 15:
            start = datetime.combine(day, time(0), tzinfo=TZ)
            db.session.add(
                TimeOff(
                    practitioner_id=practitioner.id,
                    start_at=start,
                    end_at=start + timedelta(days=1),
                    reason="Day off",
                )
            )
    working = [(day, p) for day, p in working if day.day != 15]
    per_day = bookings / len(working)
    rows, n = [], 0
    for day, practitioner in working:
        wanted = int(per_day) + (rng.random() < per_day % 1)
        for at in sorted(rng.sample(STARTS, min(wanted, len(STARTS)))):
            service = rng.choice(services)
            start = datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)
            end = start + timedelta(minutes=service.duration_minutes)
            rows.append(
                {
                    "reference": f"Y{n:07d}",
                    "practitioner_id": practitioner.id,
                    "service_id": service.id,
                    "patient_id": rng.choice(patient_ids),
                    "start_at": start,
                    "end_at": end,
                    "blocked_until": end + timedelta(minutes=service.buffer_minutes),
                    "status": rng.choice(STATUSES),
                    "price_cents": service.price_cents,
                    "currency": "USD",
                    "disclaimer_version": 1,
                    "disclaimer_accepted_at": start,
                    "screening": {},
                    "source": "online",
                    "manage_token_hash": f"{n:064d}",
                }
            )
            n += 1
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()
    return n


def add_courses() -> tuple[int, int]:
    """A course per patient and condition over their bookings, pain scores on most visits
    done, a decision on some courses; (courses, scores)."""
    rng = random.Random(11)  # noqa: S311 (test data, not secrets)
    condition_of = {s.id: s.condition for s in db.session.execute(db.select(Service)).scalars()}
    rows = db.session.execute(
        db.select(
            Booking.id, Booking.patient_id, Booking.service_id, Booking.start_at, Booking.status
        )
    ).all()
    opened: dict[tuple[int, str], datetime] = {}
    for _, patient_id, service_id, start, _ in rows:
        key = (patient_id, condition_of[service_id])
        opened[key] = min(opened.get(key, start), start)
    db.session.execute(
        db.insert(Course),
        [{"patient_id": p, "condition": c, "opened_at": at} for (p, c), at in opened.items()],
    )
    course_of = {
        (c.patient_id, c.condition): c.id for c in db.session.execute(db.select(Course)).scalars()
    }
    db.session.execute(
        db.update(Booking),
        [{"id": b, "course_id": course_of[(p, condition_of[s])]} for b, p, s, _, _ in rows],
    )
    scores = [
        {"booking_id": b, "pain": rng.randint(2, 9), "entered_at": start}
        for b, _, _, start, status in rows
        if status == "fulfilled" and rng.random() < 0.8
    ]
    db.session.execute(db.insert(CheckIn), scores)
    decided = [
        {
            "course_id": course_id,
            "kind": "refer",
            "refer_to": rng.choice(["physiotherapy", "gp", "chiropractic"]),
            "reason": "",
            "at_session": 8,
            "decided_at": datetime.now(UTC),
        }
        for course_id in course_of.values()
        if rng.random() < 0.1
    ]
    db.session.execute(db.insert(CourseDecision), decided)
    db.session.commit()
    return len(course_of), len(scores)


def median_ms(client, url: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, first-request ms, bytes) for GET url."""
    started = clock.perf_counter()
    response = client.get(url)
    first_ms = (clock.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(repeat):
        started = clock.perf_counter()
        response = client.get(url)
        samples.append((clock.perf_counter() - started) * 1000)
    return statistics.median(samples), first_ms, len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--no-courses", action="store_true", help="no courses or scores")
    args = parser.parse_args()
    courses = scores = 0
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
            yesterday = datetime.now(TZ).date() - timedelta(days=1)
            first = yesterday - timedelta(days=364)
            count = build_clinic(first, yesterday, args.bookings, args.patients)
            if not args.no_courses:
                courses, scores = add_courses()
            create_user("owner@clinic.test", "owner", "bench-password")
        client = app.test_client()
        client.post("/login", data={"email": "owner@clinic.test", "password": "bench-password"})
        query = f"from={first}&to={yesterday}"
        page_ms, page_first_ms, page_bytes = median_ms(
            client, f"/admin/reports?{query}", args.repeat
        )
        csv_ms, _, _ = median_ms(client, f"/admin/reports/utilisation.csv?{query}", args.repeat)
        outcomes_ms, _, _ = median_ms(client, f"/admin/reports/outcomes.csv?{query}", args.repeat)
        with app.app_context():
            db.engine.dispose()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )
    print(f"{count} bookings, {args.patients} patients, 5 practitioners, {first} to {yesterday}")
    print(f"{courses} courses, {scores} pain scores")
    print(
        f"reports page, one year: median {page_ms:.1f} ms of {args.repeat} "
        f"(first {page_first_ms:.1f} ms, {page_bytes // 1024} KiB)"
    )
    print(f"utilisation CSV, one year: median {csv_ms:.1f} ms")
    print(f"course outcomes CSV, one year: median {outcomes_ms:.1f} ms")


if __name__ == "__main__":
    main()
