"""A real Redis server on loopback, for the limits kept in Redis."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from tests.net import free_port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """redis-server (Debian's, which scripts/test.sh installs) on a free loopback port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/test.sh installs it)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    """The server's URL, emptied for this test."""
    redis.Redis.from_url(redis_server).flushdb()
    return redis_server
