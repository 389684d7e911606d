"""gunicorn serving the test's app and database on loopback, for tests about concurrency."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.net import free_port


@contextmanager
def serve(app, workers: int = 4, *, args: tuple[str, ...] = (), **env: str) -> Iterator[int]:
    """The app under gunicorn sync workers on 127.0.0.1, sharing the test's database.

    `args` go to gunicorn as they are (e.g. `-c gunicorn.conf.py`). `env` adds BOOKING_*
    settings (e.g. BOOKING_PROXY_COUNT="1" to trust X-Forwarded-For, so one test can
    speak from many client addresses). Yields the port.
    """
    port = free_port()
    environment = {
        **os.environ,
        "BOOKING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "BOOKING_SECRET_KEY": "concurrency-test-secret-" + "x" * 32,
        "BOOKING_PRODUCTION": "0",
        **env,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "512",
            *args,
            "booking.wsgi:app",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
        time.sleep(0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)
