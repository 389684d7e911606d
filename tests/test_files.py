"""The files the app creates are readable by their owner only: instance/, SQLite, outbox."""

from __future__ import annotations

import os
import stat

import pytest
from flask import Flask

from booking import create_app
from booking.extensions import db
from booking.services import outbox


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A folder that does not exist yet, which create_app will take as instance/."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _app: str(folder))
    previous = os.umask(0o022)  # the usual one, which would leave new files world-readable
    yield folder
    os.umask(previous)


def sqlite_app():
    # No database URL: the default, booking.sqlite3 in the instance folder, on every engine.
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": ""})


def test_a_new_instance_folder_is_the_owners_only(instance):
    sqlite_app()
    assert mode(instance) == 0o700


def test_an_existing_instance_folder_is_made_the_owners_only(instance):
    instance.mkdir(mode=0o755)
    sqlite_app()
    assert mode(instance) == 0o700


def test_the_sqlite_file_and_its_wal_are_the_owners_only(instance):
    app = sqlite_app()
    with app.app_context():
        db.create_all()
        db.session.execute(db.text("UPDATE schedule_version SET version = version + 1"))
        db.session.commit()
        database = instance / "booking.sqlite3"
        assert mode(database) == 0o600
        assert mode(f"{database}-wal") == 0o600
        assert mode(f"{database}-shm") == 0o600
        db.engine.dispose()


def test_an_existing_world_readable_database_is_made_the_owners_only(instance):
    instance.mkdir()
    database = instance / "booking.sqlite3"
    database.touch(mode=0o644)
    app = sqlite_app()
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        assert mode(database) == 0o600
        db.engine.dispose()


def test_emails_written_without_smtp_are_the_owners_only(app, make_booking, tmp_path):
    previous = os.umask(0o022)
    try:
        make_booking()
        with app.app_context():
            report = outbox.send_due()
    finally:
        os.umask(previous)
    assert report.sent
    folder = tmp_path / "outbox"
    assert mode(folder) == 0o700
    files = list(folder.glob("*.eml"))
    assert files
    assert {mode(path) for path in files} == {0o600}
