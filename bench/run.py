"""Run every benchmark in one go and write bench/RESULTS.md.

Not part of the test suite. Run:  .venv/bin/python bench/run.py   (needs wrk).
The machine is shared and noisy, so every figure is a median, and the HTTP figures
are set beside a bare Flask hello world measured in the same run.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import availability  # noqa: E402
import load  # noqa: E402

HERE = Path(__file__).resolve().parent
TARGETS = {
    "engine_ms": 20.0,
    "growth": 1.5,
    "availability_ratio": 0.5,
    "p99_ms": 100.0,
    "worker_mb": 120.0,
}


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Linux {platform.release()}, Python {platform.python_version()}; "
        f"load average at the start {load_avg}"
    )


def main() -> None:
    started = datetime.now(UTC)
    engine_rows = availability.run([1_000, 10_000, 100_000], repeat=21)
    http = load.run(seconds=10, connections=16, posts=600)
    hello = http["hello"]["rps"]
    engine_100k = engine_rows[-1]["engine_ms"]
    growth = engine_rows[-1]["engine_ms"] / engine_rows[0]["engine_ms"]
    ratio = http["availability"]["rps"] / hello
    worker_mb = max(http["app_mb"])
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()

    def http_row(name: str, label: str) -> str:
        r = http[name]
        return (
            f"| {label} | {r['rps']:,.0f} | {r['rps'] / hello:.2f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} |"
        )

    lines = [
        "# Benchmark results",
        "",
        f"Command: `.venv/bin/python bench/run.py` at commit {rev}, {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"Machine: {machine()}. The machine is shared; figures are medians from one run.",
        "",
        "## a. Availability engine, one month, one service, 20 practitioners",
        "",
        f"`bench/availability.py`: {availability.WINDOW_BOOKINGS} bookings inside the month, "
        "the rest history; medians of 21 runs.",
        "",
        availability.table(engine_rows),
        "",
        "## b. Over HTTP, gunicorn on 127.0.0.1",
        "",
        f"`bench/load.py`: {http['settings']}; POST is a bounded Python load generator "
        f"({http['post_requests']} bookings, each a different free slot, 16 at a time). "
        "Ratio = requests/s divided by the bare Flask hello world's in the same run.",
        "",
        "| endpoint | requests/s | ratio to hello world | p50 (ms) | p99 (ms) | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        http_row("hello", "hello world (bench/hello.py)"),
        http_row("availability", "GET /api/v1/availability, one month"),
        http_row("service_page", "GET /services/neck-initial (page with estimate)"),
        http_row("post", "POST /api/v1/bookings"),
        "",
        "## c. Peak memory per worker (VmHWM)",
        "",
        f"App workers: {', '.join(f'{mb:.0f} MB' for mb in http['app_mb'])}; "
        f"hello-world workers: {', '.join(f'{mb:.0f} MB' for mb in http['hello_mb'])}.",
        "",
        "## Against the targets",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        "| month of availability in the engine <= 20 ms at 100,000 bookings "
        f"| {engine_100k:.1f} ms | {verdict(engine_100k <= TARGETS['engine_ms'])} |",
        f"| growth 1,000 -> 100,000 bookings <= 1.5x | {growth:.2f}x "
        f"| {verdict(growth <= TARGETS['growth'])} |",
        f"| availability endpoint >= 50% of hello-world requests/s | {ratio:.0%} "
        f"| {verdict(ratio >= TARGETS['availability_ratio'])} |",
        f"| p99 <= 100 ms at that load (availability) | {http['availability']['p99']:.1f} ms "
        f"| {verdict(http['availability']['p99'] <= TARGETS['p99_ms'])} |",
        f"| <= 120 MB per worker | {worker_mb:.0f} MB "
        f"| {verdict(worker_mb <= TARGETS['worker_mb'])} |",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
