"""flask backup and restore: a consistent copy while the site serves, checked before restoring."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import stamp
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from booking import create_app
from booking.extensions import db
from booking.models import Booking, Patient, User
from booking.services import backups
from tests.database import POSTGRES_URL
from tests.gunicorn import serve
from tests.test_http_limits import book, free_slots, separate

OLDER_REVISION = "3dd89a701461"  # the migration before two-step sign-in
BOOKINGS_DURING_FLOOD = 100

needs_pg_tools = pytest.mark.skipif(
    bool(POSTGRES_URL) and not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump and pg_restore (postgresql-client) are not installed",
)
pytestmark = needs_pg_tools


@pytest.fixture
def app(app):
    """The test's app and database, at the schema version the migrations end at."""
    with app.app_context():
        stamp()
    yield app
    if POSTGRES_URL:
        # Leave the shared test database as the other tests expect to find it.
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def empty_target(tmp_path):
    """An app on a database of its own with nothing in it: where backups are restored to."""
    if not POSTGRES_URL:
        target = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restored.db'}"}
        )
        yield target
        with target.app_context():
            db.engine.dispose()
        return
    url = make_url(POSTGRES_URL).set(database="booking_restore_test")
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS booking_restore_test WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE booking_restore_test"))
    target = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)}
    )
    yield target
    with target.app_context():
        db.engine.dispose()
    with server.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS booking_restore_test WITH (FORCE)"))
    server.dispose()


def take_backup(app, to_dir: Path, *options: str) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(to_dir), *options])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    return Path(re.search(r"Backed up to (\S+) \(", lines[0]).group(1))


def restore(app, file: Path, *options: str):
    return app.test_cli_runner().invoke(args=["restore", str(file), *options])


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        names = sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version"})
        with db.engine.connect() as connection:
            counts = {
                name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                for name in names
            }
        db.engine.dispose()
    return counts


def references(app) -> set[str]:
    with app.app_context():
        if "booking" not in inspect(db.engine).get_table_names():
            return set()
        found = set(db.session.execute(db.select(Booking.reference)).scalars())
        db.session.remove()
        db.engine.dispose()
    return found


def integrity(app) -> str:
    """SQLite's own check of the file; PostgreSQL has no such check, so it answers 'ok'."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return "ok"
        with db.engine.connect() as connection:
            verdict = connection.execute(text("PRAGMA integrity_check")).scalar()
        db.engine.dispose()
    return verdict


def test_a_backup_restores_to_a_database_with_the_same_rows(
    app, make_booking, empty_target, tmp_path
):
    made = {make_booking(days_ahead=days)["reference"] for days in (2, 3, 4)}
    file = take_backup(app, tmp_path / "backups")

    result = restore(empty_target, file)

    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"Restored \S+ \(schema \w+\) into \S+: 3 booking\(s\)\.\n", result.output)
    assert integrity(empty_target) == "ok"
    assert row_counts(empty_target) == row_counts(app)
    assert references(empty_target) == made


def test_a_backup_is_named_by_utc_time_private_and_checksummed_like_sha256sum(app, tmp_path):
    folder = tmp_path / "new" / "backups"
    file = take_backup(app, folder)

    suffix = ".dump" if POSTGRES_URL else ".sqlite3"
    assert re.fullmatch(r"booking-\d{8}T\d{6}Z" + re.escape(suffix), file.name)
    taken = datetime.strptime(file.name[8:24], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - taken) < timedelta(minutes=1)
    checksum = Path(f"{file}.sha256")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    assert checksum.read_text() == f"{digest}  {file.name}\n"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(checksum.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [file.name, checksum.name]
    if not POSTGRES_URL:
        with sqlite3.connect(file) as copy:
            assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_only_the_newest_backups_are_kept_and_other_files_are_left_alone(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    strangers = ["notes.txt", "booking-manual.sqlite3", "booking-20200101T000000Z.sqlite3.old"]
    for name in strangers:
        (folder / name).write_text("not a backup of ours")
    start = datetime(2030, 1, 1, 2, 0, tzinfo=UTC)
    with app.app_context():
        made = [backups.backup(folder, keep=3, now=start + timedelta(days=d)) for d in range(5)]

    kept = [m.path for m in made[2:]]
    expected = {p.name for p in kept} | {f"{p.name}.sha256" for p in kept} | set(strangers)
    assert {p.name for p in folder.iterdir()} == expected
    assert [m.kept for m in made] == [1, 2, 3, 3, 3]


def test_keep_defaults_to_fourteen_and_the_line_says_how_many(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 backup(s) kept" in result.output
    assert app.test_cli_runner().invoke(args=["backup", "--to", "x", "--keep", "0"]).exit_code == 2


def test_a_changed_backup_is_refused(app, make_booking, empty_target, tmp_path):
    make_booking()
    file = take_backup(app, tmp_path / "backups")
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))

    result = restore(empty_target, file)

    assert result.exit_code == 1
    assert "does not match its checksum" in result.output
    assert references(empty_target) == set()


def test_a_backup_without_its_checksum_is_refused(app, empty_target, tmp_path):
    file = take_backup(app, tmp_path / "backups")
    Path(f"{file}.sha256").unlink()

    result = restore(empty_target, file)

    assert result.exit_code == 1
    assert ".sha256 is missing" in result.output


def test_a_backup_of_another_schema_version_is_refused(app, make_booking, empty_target, tmp_path):
    make_booking()
    with app.app_context():
        stamp(revision=OLDER_REVISION)
        head = backups.head_revision()
    file = take_backup(app, tmp_path / "backups")

    result = restore(empty_target, file)

    assert result.exit_code == 1
    assert f"schema version is {OLDER_REVISION} but this app's is {head}" in result.output
    assert "flask db upgrade" in result.output
    assert references(empty_target) == set()


def test_restoring_over_a_database_in_use_needs_force(app, make_booking, tmp_path):
    before = make_booking(days_ahead=2)["reference"]
    file = take_backup(app, tmp_path / "backups")
    after = make_booking(days_ahead=3)["reference"]

    refused = restore(app, file)
    assert refused.exit_code == 1
    assert "already holds bookings, patients or staff accounts" in refused.output
    assert "--force" in refused.output
    assert references(app) == {before, after}

    forced = restore(app, file, "--force")
    assert forced.exit_code == 0, forced.output
    assert references(app) == {before}
    assert integrity(app) == "ok"


def test_a_clinic_with_only_staff_accounts_counts_as_in_use(app, make_user, tmp_path):
    file = take_backup(app, tmp_path / "backups")
    make_user("owner")
    assert restore(app, file).exit_code == 1
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 0
        assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1


def test_a_backup_for_the_other_engine_is_refused(app, empty_target, tmp_path):
    other = tmp_path / ("booking-20300101T000000Z" + (".sqlite3" if POSTGRES_URL else ".dump"))
    other.write_bytes(b"x")
    result = restore(empty_target, other)
    assert result.exit_code == 1
    assert "backup but the app is configured for" in result.output


@pytest.mark.skipif(not POSTGRES_URL, reason="pg_dump is only used on PostgreSQL")
def test_without_pg_dump_the_backup_says_to_install_the_client(app, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])

    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output
    assert "postgresql-client" in result.output
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_backup_taken_while_gunicorn_books_holds_every_booking_confirmed_before_it(
    app, empty_target, tmp_path
):
    _, slots = free_slots(app)
    chosen = separate(slots)[:BOOKINGS_DURING_FLOOD]
    confirmed: list[tuple[float, str]] = []  # (when the 201 arrived, reference)
    statuses: list[int] = []
    enough = threading.Event()

    def flood(port):
        for n, slot in enumerate(chosen):
            status, _, body = book(port, slot, n)
            statuses.append(status)
            if status == 201:
                confirmed.append((time.monotonic(), json.loads(body)["reference"]))
            if len(confirmed) == BOOKINGS_DURING_FLOOD // 4:
                enough.set()

    with serve(app, BOOKING_RATE_LIMITS="false") as port:
        booking = threading.Thread(target=flood, args=(port,))
        booking.start()
        assert enough.wait(timeout=120), statuses
        began = time.monotonic()
        file = take_backup(app, tmp_path / "backups")
        finished = time.monotonic()
        booking.join(timeout=300)
    assert not booking.is_alive()

    result = restore(empty_target, file)
    assert result.exit_code == 0, result.output
    assert integrity(empty_target) == "ok"
    before = {reference for at, reference in confirmed if at < began}
    restored = references(empty_target)
    assert len(before) >= BOOKINGS_DURING_FLOOD // 4
    assert before <= restored
    # The backup was taken mid-flood: bookings went on being confirmed after it.
    assert any(at > finished for at, _ in confirmed)
    assert restored <= {reference for _, reference in confirmed}
    assert statuses.count(201) == BOOKINGS_DURING_FLOOD, statuses
