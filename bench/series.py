"""Booking the rest of a course in one go against booking its sessions one at a time.

Not part of the test suite. Run:  .venv/bin/python bench/series.py [--patients 12]

On a fresh demo clinic in a temporary SQLite file, through the Flask test client (no
network, so the figures are the app's own work): each patient books a first
consultation with POST /api/v1/bookings, then the next 7 weekly follow-ups, either with
one POST /api/v1/bookings/TOKEN/course or with 7 POST /api/v1/bookings. It prints the
median milliseconds of each, and of the preview. Limits are off so every patient can book.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_FLAGS = {
    key: False
    for key in (
        "bowel_bladder",
        "weight_loss",
        "fever",
        "trauma",
        "numbness_weakness",
        "cancer_history",
    )
}


def make_app(path: Path):
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from booking import create_app
    from booking.services.demo import seed_demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "RATE_LIMITS": False,
            "SECRET_KEY": "b" * 40,
        }
    )
    with app.app_context():
        upgrade()
        seed_demo()
    return app


def body(service: str, start: str, n: int, practitioner: int) -> dict:
    return {
        "service": service,
        "start": start,
        "practitioner": practitioner,
        "patient": {"name": f"Patient {n}", "email": f"p{n}@example.com", "phone": f"20755{n:05d}"},
        "screening": NO_FLAGS,
        "disclaimer_accepted": True,
    }


class Clock:
    """Milliseconds since it was made."""

    def __init__(self):
        self.began = time.perf_counter()

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self.began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder) / "bench.sqlite3")
        client = app.test_client()
        from booking.extensions import db
        from booking.models import Service
        from booking.models.base import utcnow
        from booking.services import availability

        with app.app_context():
            initial = db.session.execute(
                db.select(Service).filter_by(slug="back-initial")
            ).scalar_one()
            first = utcnow().date() + timedelta(days=2)
        series_ms, preview_ms, single_ms, one_by_one_ms = [], [], [], []
        for n in range(args.patients):
            with app.app_context():
                slot = next(
                    s
                    for s in availability.free_slots(initial, first, first + timedelta(days=6))
                    if s.start.minute == 0
                )
            clock = Clock()
            made = client.post(
                "/api/v1/bookings",
                json=body("back-initial", slot.start.isoformat(), n, slot.practitioner_id),
            )
            single_ms.append(clock.ms)
            assert made.status_code == 201, made.get_json()
            url = f"/api/v1/bookings/{made.get_json()['manage_token']}/course"
            clock = Clock()
            preview = client.post(url, json={"preview": True, "count": 7})
            preview_ms.append(clock.ms)
            starts = [s["start"] for s in preview.get_json()["sessions"] if s["free"]]
            clock = Clock()
            if n % 2 == 0:
                booked = client.post(url, json={"starts": starts})
                assert booked.status_code == 201, booked.get_json()
                series_ms.append(clock.ms)
                continue
            for start in starts:
                one = client.post(
                    "/api/v1/bookings",
                    json=body("back-follow-up", start, n, slot.practitioner_id),
                )
                assert one.status_code == 201, one.get_json()
            one_by_one_ms.append(clock.ms)
    median = statistics.median
    print(f"patients: {args.patients} (half book the series in one go, half one by one)")
    print(f"first consultation, POST /bookings:            {median(single_ms):7.1f} ms median")
    print(f"preview of 7 follow-ups:                       {median(preview_ms):7.1f} ms median")
    print(f"7 follow-ups, one POST /bookings/TOKEN/course: {median(series_ms):7.1f} ms median")
    print(f"7 follow-ups, 7 POST /bookings:                {median(one_by_one_ms):7.1f} ms median")
    ratio = median(one_by_one_ms) / median(series_ms)
    print(f"ratio, one by one / in one go:                 {ratio:7.2f}")


if __name__ == "__main__":
    main()
