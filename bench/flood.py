"""The flood from issue 10, before and after the limits: one anonymous client books
every free slot it can, all for one victim's email.

Not part of the test suite. Run:  .venv/bin/python bench/flood.py [--requests 600]

For each setting it makes a fresh demo clinic on SQLite, serves it with gunicorn
(2 sync workers) on 127.0.0.1 and sends a bounded number of POST /api/v1/bookings,
8 at a time, each for a different free slot. "Limits off" is BOOKING_RATE_LIMITS=false,
which is how the app behaved before the limits existed. It prints, per setting:
requests sent, bookings that landed, refusals, free slots left across every service
over the booking horizon, and emails queued (in all, and to the victim).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from load import NO_FLAGS, ROOT, Server

VICTIM = "victim@example.com"


def app_for(path: Path):
    sys.path.insert(0, str(ROOT))
    from booking import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


def prepare(path: Path) -> None:
    from flask_migrate import upgrade

    from booking.services.demo import seed_demo

    app = app_for(path)
    with app.app_context():
        upgrade()
        seed_demo()


def free_slots(path: Path) -> dict[str, list]:
    """Every service's free slots over the whole horizon, as a patient would see them."""
    from booking.extensions import db
    from booking.models import Service
    from booking.models.base import utcnow
    from booking.services import availability
    from booking.services.clinic import get_settings, local

    app = app_for(path)
    with app.app_context():
        settings = get_settings()
        first = local(utcnow(), settings).date()
        last = first + timedelta(days=settings.horizon_days)
        found = {
            service.slug: availability.free_slots(service, first, last)
            for service in db.session.execute(db.select(Service).filter_by(active=True)).scalars()
        }
        db.engine.dispose()
    return found


def queued(path: Path) -> tuple[int, int]:
    from booking.extensions import db
    from booking.models import OutboxMessage

    app = app_for(path)
    with app.app_context():
        total = db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar()
        victim = db.session.execute(
            db.select(db.func.count(OutboxMessage.id)).filter_by(recipient=VICTIM)
        ).scalar()
        db.engine.dispose()
    return total, victim


def bodies(slots: dict[str, list], count: int) -> list[dict]:
    """Different free slots, none overlapping another, round the services."""
    chosen, last = [], {}
    for slug, service_slots in slots.items():
        for slot in service_slots:
            if slot.start >= last.get(slot.practitioner_id, slot.start):
                last[slot.practitioner_id] = slot.end + timedelta(minutes=15)
                chosen.append((slug, slot))
    chosen.sort(key=lambda pair: pair[1].start)
    return [
        {
            "service": slug,
            "start": slot.start.isoformat(),
            "practitioner": slot.practitioner_id,
            "patient": {"name": f"Flood {n}", "email": VICTIM, "phone": f"207 555 {n:04d}"},
            "screening": NO_FLAGS,
            "disclaimer_accepted": True,
        }
        for n, (slug, slot) in enumerate(chosen[:count])
    ]


def post(port: int, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST", "/api/v1/bookings", json.dumps(body), {"Content-Type": "application/json"}
    )
    status = connection.getresponse().status
    connection.close()
    return status


def flood(limits: bool, requests: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flood.sqlite3"
        prepare(path)
        before = free_slots(path)
        env = {
            "BOOKING_DATABASE_URL": f"sqlite:///{path}",
            "BOOKING_SECRET_KEY": "benchmark-secret-" + "x" * 40,
            "BOOKING_PRODUCTION": "0",
            "BOOKING_RATE_LIMITS": "true" if limits else "false",
        }
        server = Server("booking.wsgi:app", env)
        try:
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                statuses = Counter(
                    pool.map(lambda b: post(server.port, b), bodies(before, requests))
                )
            seconds = time.perf_counter() - started
        finally:
            server.stop()
        after = free_slots(path)
        total, victim = queued(path)
    return {
        "sent": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "seconds": seconds,
        "free_before": sum(len(s) for s in before.values()),
        "free_after": sum(len(s) for s in after.values()),
        "empty_services": sum(1 for s in after.values() if not s),
        "services": len(after),
        "emails": total,
        "to_victim": victim,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    print(
        f"{'':12} {'sent':>5} {'landed':>6} {'refused':>8} {'free slots':>17} "
        f"{'empty services':>14} {'emails':>6} {'to victim':>9} {'seconds':>7}"
    )
    for label, limits in (("limits off", False), ("limits on", True)):
        r = flood(limits, args.requests)
        refused = r["sent"] - r["statuses"].get(201, 0)
        print(
            f"{label:12} {r['sent']:>5} {r['statuses'].get(201, 0):>6} {refused:>8} "
            f"{r['free_before']:>7} -> {r['free_after']:>6} "
            f"{r['empty_services']:>7} of {r['services']:<4} {r['emails']:>6} "
            f"{r['to_victim']:>9} {r['seconds']:>7.1f}   statuses {r['statuses']}"
        )


if __name__ == "__main__":
    main()
