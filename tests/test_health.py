"""/healthz, and every request's answer when the database is out: 503, try again in a minute."""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from datetime import timedelta

import pytest

from booking import create_app
from booking.extensions import db
from booking.models import ScheduleVersion, Service
from booking.models.base import utcnow
from booking.services import availability
from booking.views.helpers import to_local
from tests.conftest import NO_FLAGS, PATIENT
from tests.database import POSTGRES_URL, fresh_database
from tests.net import free_port

TRY_AGAIN = "We can't take bookings for a moment. Please try again in a minute"
UNAVAILABLE = {
    "error": {
        "code": "unavailable",
        "message": "We can't take bookings for a moment. Please try again in a minute, "
        "or call the clinic.",
    }
}


def make_app(uri: str, **config):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": uri,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "clinic.test",
            "BOT_MIN_FILL_SECONDS": 0,
            **config,
        }
    )


@contextmanager
def running(app, instance):
    app.instance_path = str(instance)
    try:
        yield app.test_client()
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sqlite_clinic(tmp_path):
    """A seeded SQLite file of its own (on every engine), and a booking body for it."""
    path = tmp_path / "clinic.sqlite3"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        fresh_database(app)
        service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
        first = to_local(utcnow()).date() + timedelta(days=2)
        slot = availability.free_slots(service, first, first + timedelta(days=13))[0]
        db.engine.dispose()
    body = {
        "service": "neck-initial",
        "start": slot.start.isoformat(),
        "practitioner": slot.practitioner_id,
        "patient": dict(PATIENT),
        "screening": dict(NO_FLAGS),
        "disclaimer_accepted": True,
    }
    return path, body


def assert_unavailable(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"


def test_healthz_answers_ok_when_a_write_would_go_through(app, client):
    with app.app_context():
        before = db.session.execute(db.select(ScheduleVersion.version)).scalar_one()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["disk"]["low"] is False
    assert body["disk"]["free_mb"] > 0
    assert "Retry-After" not in response.headers
    with app.app_context():
        # The write was rolled back: the availability cache's counter did not move.
        assert db.session.execute(db.select(ScheduleVersion.version)).scalar_one() == before


def test_healthz_leaves_nothing_in_a_sqlite_file(sqlite_clinic, tmp_path):
    path, _ = sqlite_clinic
    with closing(sqlite3.connect(path)) as probe:
        changes = probe.execute("PRAGMA data_version").fetchone()
        with running(make_app(f"sqlite:///{path}"), tmp_path) as client:
            assert client.get("/healthz").status_code == 200
        # data_version moves when another connection commits anything.
        assert probe.execute("PRAGMA data_version").fetchone() == changes


def test_healthz_says_low_disk_space_with_503(app, client):
    app.config["HEALTH_MIN_FREE_MB"] = 10**12
    response = client.get("/healthz")
    assert_unavailable(response)
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["disk"]["low"] is True


def test_healthz_says_unreachable_when_the_database_file_is_gone(tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite3"
    with running(make_app(f"sqlite:///{missing}"), tmp_path) as client:
        response = client.get("/healthz")
    assert_unavailable(response)
    assert response.get_json()["status"] == "unavailable"
    assert response.get_json()["database"] == "unreachable"


@pytest.fixture
def read_only(sqlite_clinic, tmp_path):
    # mode=ro holds even for root, whom file modes do not stop.
    path, body = sqlite_clinic
    with running(make_app(f"sqlite:///file:{path}?mode=ro&uri=true"), tmp_path) as client:
        yield client, body


def test_healthz_says_read_only(read_only):
    client, _ = read_only
    response = client.get("/healthz")
    assert_unavailable(response)
    assert response.get_json()["database"] == "read-only"


def test_booking_on_a_read_only_database_answers_503_unavailable(read_only):
    client, body = read_only
    response = client.post("/api/v1/bookings", json=body)
    assert_unavailable(response)
    assert response.get_json() == UNAVAILABLE


def test_a_page_that_writes_on_a_read_only_database_says_try_again(read_only):
    client, _ = read_only
    # A sign-in attempt is counted in a committed write before the password is checked.
    response = client.post("/login", data={"email": "a@clinic.test", "password": "x" * 12})
    assert_unavailable(response)
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert TRY_AGAIN in page
    assert "Traceback" not in page


@contextmanager
def write_lock_held(path):
    """Another process's transaction holding SQLite's write lock."""
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


def test_healthz_says_locked_without_waiting_out_the_busy_timeout(sqlite_clinic, tmp_path):
    path, _ = sqlite_clinic
    app = make_app(f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT=15, HEALTH_LOCK_TIMEOUT=0.1)
    with running(app, tmp_path) as client:
        with write_lock_held(path):
            response = client.get("/healthz")
        assert_unavailable(response)
        assert response.get_json()["database"] == "locked"
        with app.app_context():
            # The short wait was for the health check only: requests keep their patience.
            timeout = db.session.execute(db.text("PRAGMA busy_timeout")).scalar_one()
            assert timeout == 15000
        assert client.get("/healthz").status_code == 200


def test_booking_locked_out_past_the_busy_timeout_answers_503(sqlite_clinic, tmp_path):
    path, body = sqlite_clinic
    app = make_app(f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT=0.1)
    with running(app, tmp_path) as client, write_lock_held(path):
        response = client.post("/api/v1/bookings", json=body)
    assert_unavailable(response)
    assert response.get_json() == UNAVAILABLE


@pytest.fixture
def unreachable_postgres(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/booking"
    with running(make_app(url), tmp_path) as client:
        yield client


def test_healthz_says_unreachable_when_postgresql_is_down(unreachable_postgres):
    response = unreachable_postgres.get("/healthz")
    assert_unavailable(response)
    assert response.get_json()["database"] == "unreachable"


def test_pages_and_the_api_say_try_again_when_postgresql_is_down(unreachable_postgres):
    page = unreachable_postgres.get("/")
    assert_unavailable(page)
    assert TRY_AGAIN in page.get_data(as_text=True)
    api = unreachable_postgres.get("/api/v1/services")
    assert_unavailable(api)
    assert api.get_json() == UNAVAILABLE


def test_a_mistake_in_sql_is_still_an_error_not_an_outage(app):
    def broken():
        db.session.execute(db.text("SELECT * FROM no_such_table"))

    app.add_url_rule("/api/v1/broken", view_func=broken)
    with pytest.raises(Exception, match="no_such_table"):
        app.test_client().get("/api/v1/broken")


@pytest.mark.skipif(not POSTGRES_URL, reason="a PostgreSQL server of the tests' own")
def test_healthz_and_bookings_say_read_only_on_a_read_only_postgresql(
    app, tmp_path, booking_payload
):
    body = booking_payload()
    options = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    replica = make_app(POSTGRES_URL, SQLALCHEMY_ENGINE_OPTIONS=options)
    with running(replica, tmp_path) as client:
        health = client.get("/healthz")
        booking = client.post("/api/v1/bookings", json=body)
    assert_unavailable(health)
    assert health.get_json()["database"] == "read-only"
    assert_unavailable(booking)
    assert booking.get_json() == UNAVAILABLE
