"""Migrations: an empty database upgraded to head has exactly the models' schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from booking import create_app
from booking.extensions import db
from tests.database import POSTGRES_URL, database_uri


@pytest.fixture
def empty_app(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "migrate.sqlite3")}
    )
    with app.app_context():
        if POSTGRES_URL:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        yield app
        db.session.remove()
        if POSTGRES_URL:
            # Leave the shared test database as the other tests expect to find it.
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def test_upgrade_to_head_matches_the_models(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_upgrade_installs_the_no_double_booking_guard(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            names = set(
                connection.execute(
                    text("SELECT conname FROM pg_constraint WHERE contype = 'x'")
                ).scalars()
            )
            assert "booking_no_overlap" in names
        else:
            names = set(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
            )
            assert names == {"booking_no_overlap_insert", "booking_no_overlap_update"}


def test_downgrade_to_base_removes_every_table(empty_app):
    upgrade()
    downgrade(revision="base")
    remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()


def test_downgrading_below_the_outbox_keeps_the_double_booking_guard(empty_app):
    upgrade()
    # The revision before the outbox: on SQLite, dropping the booking column must not
    # rebuild the table (which would lose its triggers).
    downgrade(revision="ebaf69a8e1e3")
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            kept = connection.execute(
                text("SELECT 1 FROM pg_constraint WHERE conname = 'booking_no_overlap'")
            ).scalar()
        else:
            kept = (
                connection.execute(
                    text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
                ).scalar()
                == 2
            )
    assert kept
    assert "outbox_message" not in inspect(db.engine).get_table_names()
    upgrade()
    assert "outbox_message" in inspect(db.engine).get_table_names()


def test_two_factor_columns_arrive_and_leave_without_losing_accounts(empty_app):
    upgrade(revision="9995dc72f830")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clinic_settings (id, name, address, phone, email, timezone, currency,"
                " min_notice_minutes, horizon_days, slot_step_minutes, cancellation_notice_hours,"
                " price_min_cents, price_max_cents) VALUES (1, 'Clinic', '', '', '',"
                " 'America/New_York', 'USD', 120, 60, 15, 24, 5000, 15000)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO staff_user (id, email, name, password_hash, role, active,"
                " session_token, failed_logins, created_at) VALUES (1, 'desk@clinic.test',"
                " 'Desk', 'x', 'reception', true, 'token', 0, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO staff_session (token_hash, user_id, created_at, last_seen_at)"
                " VALUES ('abc', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(
            text("SELECT two_factor_failures, totp_secret FROM staff_user")
        ).one() == (0, None)
        assert connection.execute(
            text("SELECT require_two_factor FROM clinic_settings")
        ).scalar() in (
            False,
            0,
        )
    # On SQLite a downgrade that copied staff_user would drop its sessions with the old copy.
    downgrade(revision="9995dc72f830")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM staff_user")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM staff_session")).scalar() == 1
    assert "recovery_code" not in inspect(db.engine).get_table_names()
