"""Benchmark over HTTP: the app under gunicorn beside a bare Flask hello world.

Not part of the test suite. Run:  .venv/bin/python bench/load.py   (needs wrk:
apt-get install wrk). Everything goes to 127.0.0.1 only, and every load is bounded.

Both apps run under the same settings (gunicorn, 2 sync workers). wrk measures the
GETs (availability for a month, a service page with its estimate, hello world);
a bounded Python load generator measures POST /api/v1/bookings, each request
booking a different free slot. Afterwards it reads each worker's peak memory
(VmHWM). Writes nothing itself; bench/run.py puts the figures in RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
NO_FLAGS = dict.fromkeys(
    ["bowel_bladder", "weight_loss", "fever", "trauma", "numbness_weakness", "cancer_history"],
    False,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn in a subprocess on 127.0.0.1, stopped on exit."""

    def __init__(self, target: str, env: dict):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                target,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{target} did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_peak_mb(self) -> list[float]:
        children = subprocess.run(
            ["ps", "--ppid", str(self.process.pid), "-o", "pid="],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        peaks = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
            peaks.append(kb / 1024)
        return peaks

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def wrk(url: str, seconds: int, connections: int) -> dict:
    # Warm every worker first (imports, templates, caches), as a running server is.
    subprocess.run(["wrk", "-t2", f"-c{connections}", "-d2s", url], capture_output=True, check=True)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def post_load(port: int, bodies: list[dict], concurrency: int) -> dict:
    """Each body is a different free slot; a bounded pool posts them all once."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one(body: dict) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        connection.request(
            "POST", "/api/v1/bookings", json.dumps(body), {"Content-Type": "application/json"}
        )
        status = connection.getresponse().status
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        with lock:
            latencies.append(elapsed)
            statuses.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, bodies))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(bodies) / wall,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "errors": sum(1 for s in statuses if s != 201),
    }


def prepare_database(path: Path) -> list[dict]:
    """The demo clinic with a realistic month booked; returns POST bodies for free slots."""
    sys.path.insert(0, str(ROOT))
    from booking import create_app
    from booking.extensions import db
    from booking.models import Service
    from booking.services import availability
    from booking.services.bookings import BookingRequest, create_booking
    from booking.services.demo import seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    bodies = []
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_demo()
        service = db.session.execute(db.select(Service).filter_by(slug="neck-follow-up")).scalar()
        first = date.today() + timedelta(days=2)
        slots = availability.free_slots(service, first, first + timedelta(days=55))
        # Book every third slot so the calendar looks like a real, busy clinic.
        for n, slot in enumerate(slots[::3]):
            try:
                create_booking(
                    BookingRequest(
                        service=service,
                        start=slot.start,
                        practitioner_id=slot.practitioner_id,
                        name=f"Seed {n}",
                        email=f"seed{n}@example.com",
                        phone="2075550100",
                        answers=NO_FLAGS,
                    )
                )
            except Exception:  # noqa: BLE001, S112  (overlaps with an earlier seed are fine)
                continue
        free = availability.free_slots(service, first, first + timedelta(days=55))
        # Free slots overlap one another (45 minutes + 15 buffer, every 15 minutes):
        # keep those a whole hour apart per practitioner, so every POST can succeed.
        next_free: dict[int, object] = {}
        for n, slot in enumerate(free):
            if slot.start < next_free.get(slot.practitioner_id, slot.start):
                continue
            next_free[slot.practitioner_id] = slot.start + timedelta(hours=1)
            bodies.append(
                {
                    "service": "neck-follow-up",
                    "start": slot.start.isoformat(),
                    "practitioner": slot.practitioner_id,
                    "patient": {
                        "name": f"Load {n}",
                        "email": f"load{n}@example.com",
                        "phone": "2075550100",
                    },
                    "screening": NO_FLAGS,
                    "disclaimer_accepted": True,
                }
            )
        db.engine.dispose()
    return bodies


def run(seconds: int, connections: int, posts: int) -> dict:
    results: dict = {
        "settings": f"gunicorn {WORKERS} sync workers; wrk -t2 -c{connections} -d{seconds}s"
    }
    with tempfile.TemporaryDirectory() as tmp:
        bodies = prepare_database(Path(tmp) / "bench.sqlite3")
        env = {
            "BOOKING_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "BOOKING_SECRET_KEY": "benchmark-secret-" + "x" * 40,
            "BOOKING_PRODUCTION": "0",
            # A load test from one client: the abuse limits would stop it at ten.
            "BOOKING_RATE_LIMITS": "false",
        }
        hello = Server("bench.hello:app", {})
        try:
            results["hello"] = wrk(hello.url("/"), seconds, connections)
            results["hello_mb"] = hello.worker_peak_mb()
        finally:
            hello.stop()
        app = Server("booking.wsgi:app", env)
        try:
            first = date.today() + timedelta(days=2)
            last = first + timedelta(days=30)
            results["availability"] = wrk(
                app.url(f"/api/v1/availability?service=neck-follow-up&from={first}&to={last}"),
                seconds,
                connections,
            )
            results["service_page"] = wrk(app.url("/services/neck-initial"), seconds, connections)
            results["post"] = post_load(app.port, bodies[:posts], connections)
            results["post_requests"] = min(posts, len(bodies))
            results["app_mb"] = app.worker_peak_mb()
        finally:
            app.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--posts", type=int, default=600)
    args = parser.parse_args()
    print(json.dumps(run(args.seconds, args.connections, args.posts), indent=2))


if __name__ == "__main__":
    main()
