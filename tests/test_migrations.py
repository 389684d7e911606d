"""Migrations: an empty database upgraded to head has exactly the models' schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import g
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from booking import create_app
from booking.errors import SlotTaken
from booking.extensions import db
from booking.services.bookings import create_booking
from booking.services.demo import seed_demo
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
            assert {"booking_no_overlap", "waitlist_offer_no_overlap"} <= names
            triggers = set(
                connection.execute(
                    text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
                ).scalars()
            )
            assert triggers == {"booking_not_held", "waitlist_offer_free"}
        else:
            names = set(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
            )
            assert names == {
                "booking_no_overlap_insert",
                "booking_no_overlap_update",
                # An open waitlist offer holds the practitioner as a booking does.
                "booking_not_held_insert",
                "booking_not_held_update",
                "waitlist_offer_free_insert",
                "waitlist_offer_free_update",
            }


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
                " 'Desk', 'x', 'reception', true, 'token', 3, '2026-01-01 00:00:00')"
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
        assert connection.execute(text("SELECT totp_secret FROM staff_user")).one() == (None,)
        assert connection.execute(
            text(
                "SELECT bookings_per_address_hour, future_bookings_per_patient FROM clinic_settings"
            )
        ).one() == (10, 3)
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


def test_bookings_and_their_emails_survive_the_step_that_adds_voided_bookings(empty_app):
    """The status list changes without copying `booking`, which outbox rows refer to."""
    upgrade()
    seed_demo()
    request = booking_request()
    create_booking(request)
    emails = count_rows("outbox_message")
    assert emails >= 1
    db.session.execute(text("UPDATE booking SET status = 'entered-in-error'"))
    db.session.commit()
    db.session.remove()
    g.pop("clinic", None)  # the email's settings, cached for this context

    # The older schema has no voided status: those bookings go back as cancelled.
    downgrade(revision="9995dc72f830")
    with db.engine.connect() as connection:
        statuses = connection.execute(text("SELECT DISTINCT status FROM booking")).scalars()
        assert list(statuses) == ["cancelled"]
    assert count_rows("outbox_message") == emails

    upgrade()
    # The guard still holds after the round trip: the time is free again, once.
    request = booking_request()
    create_booking(request)
    with pytest.raises(SlotTaken):
        create_booking(request)


def count_rows(table: str) -> int:
    with db.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608


def booking_request():
    from datetime import timedelta

    from booking.domain import screening
    from booking.models import Service
    from booking.models.base import utcnow
    from booking.services.availability import free_slots
    from booking.services.bookings import BookingRequest

    service = db.session.execute(db.select(Service).filter_by(slug="neck-initial")).scalar_one()
    day = utcnow().date() + timedelta(days=3)
    slot = free_slots(service, day, day + timedelta(days=10))[0]
    answers = dict.fromkeys(screening.KEYS, False)
    return BookingRequest(
        service, slot.start, slot.practitioner_id, "Ann Lee", "ann@x.org", "207 555 0100", answers
    )


def test_queued_emails_lose_their_stored_bodies_and_still_go(empty_app, tmp_path):
    """Rows written whole before the outbox kept facts: the link goes, the email still goes."""
    from booking.services import outbox

    upgrade()
    seed_demo()
    create_booking(booking_request())
    db.session.remove()
    downgrade(revision="7883122fd3fb")
    with db.engine.begin() as connection:
        # As an older version left them: waiting, each body holding a manage link.
        connection.execute(
            text(
                "UPDATE outbox_message SET status = 'pending', "
                "message = 'To: ann@x.org\r\n\r\nhttps://clinic.example/manage/SECRET-LINK'"
            )
        )
    upgrade()
    columns = {c["name"] for c in inspect(db.engine).get_columns("outbox_message")}
    assert "message" not in columns and "facts" in columns
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT status, facts FROM outbox_message")).all()
        assert rows and all(status == "pending" for status, _facts in rows)
        dump = connection.execute(text("SELECT * FROM outbox_message")).all()
        assert "SECRET-LINK" not in repr(dump)
    g.pop("clinic", None)
    empty_app.config["SMTP_HOST"] = ""  # to .eml files, here in the test's own folder
    empty_app.instance_path = str(tmp_path)
    report = outbox.send_due()
    assert report.sent == len(rows)


def test_each_condition_keeps_its_first_consultations_plan(empty_app):
    """Plans that disagreed per service become one per condition: the first consultation's."""
    upgrade(revision="8c4f2a6e1b37")
    with db.engine.begin() as connection:
        for slug, condition, kind, plan, package in (
            ("back-initial", "back", "initial", (6, 8, 10), (5, 30_000)),
            ("back-follow-up", "back", "follow-up", (8, 10, 12), (None, None)),
            ("neck-follow-up", "neck", "follow-up", (4, 6, 9), (None, None)),
        ):
            connection.execute(
                text(
                    "INSERT INTO service (slug, name, condition, kind, description, "
                    "duration_minutes, buffer_minutes, price_cents, course_min, course_typical, "
                    "course_max, package_sessions, package_price_cents, active, position) "
                    "VALUES (:slug, :slug, :condition, :kind, '', 45, 15, 7500, :low, :typical, "
                    ":high, :sessions, :price, true, 0)"
                ),
                {
                    "slug": slug,
                    "condition": condition,
                    "kind": kind,
                    "low": plan[0],
                    "typical": plan[1],
                    "high": plan[2],
                    "sessions": package[0],
                    "price": package[1],
                },
            )
    upgrade()
    with db.engine.connect() as connection:
        ids = dict(connection.execute(text("SELECT slug, id FROM service")).all())
        plans = {
            row.condition: row
            for row in connection.execute(text("SELECT * FROM course_plan")).mappings()
        }
    back, neck = plans["back"], plans["neck"]
    assert (back["first_service_id"], back["follow_up_service_id"]) == (
        ids["back-initial"],
        ids["back-follow-up"],
    )
    assert (back["min_sessions"], back["typical_sessions"], back["max_sessions"]) == (6, 8, 10)
    assert (back["package_sessions"], back["package_price_cents"]) == (5, 30_000)
    # No first consultation for neck: its follow-up's plan is taken.
    assert (
        neck["first_service_id"] is None and neck["follow_up_service_id"] == ids["neck-follow-up"]
    )
    assert (neck["min_sessions"], neck["typical_sessions"], neck["max_sessions"]) == (4, 6, 9)
    columns = {c["name"] for c in inspect(db.engine).get_columns("service")}
    assert not columns & {"course_min", "course_typical", "course_max", "package_sessions"}
    # The bookings' table still refers to service: nothing was copied.
    downgrade(revision="8c4f2a6e1b37")
    with db.engine.connect() as connection:
        typical = dict(connection.execute(text("SELECT slug, course_typical FROM service")).all())
    assert typical == {"back-initial": 8, "back-follow-up": 8, "neck-follow-up": 6}


def test_bookings_already_made_join_a_course_per_patient_and_condition(empty_app):
    upgrade(revision="a3d5e7f9b2c4")
    a_patient = text(
        "INSERT INTO patient (name, email, phone, possible_duplicate, created_at) "
        "VALUES ('Ann Lee', 'ann@x.org', '207 555 0100', false, '2026-01-01 09:00:00')"
    )
    with db.engine.begin() as connection:
        connection.execute(a_patient)
        connection.execute(
            text(
                "INSERT INTO service (slug, name, condition, kind, description, "
                "duration_minutes, buffer_minutes, price_cents, active, position) VALUES "
                "('neck-initial', 'n1', 'neck', 'initial', '', 60, 15, 9500, true, 0), "
                "('neck-follow-up', 'n2', 'neck', 'follow-up', '', 45, 15, 7500, true, 1), "
                "('back-initial', 'b1', 'back', 'initial', '', 60, 15, 9500, true, 2)"
            )
        )
        connection.execute(
            text("INSERT INTO practitioner (name, title, bio, active) VALUES ('P', '', '', true)")
        )
        connection.execute(
            text(
                "INSERT INTO disclaimer (version, text, created_at) "
                "VALUES (1, 'x', '2026-01-01 09:00:00')"
            )
        )
        for number, slug, day in (
            (1, "neck-initial", 10),
            (2, "neck-follow-up", 17),
            (3, "back-initial", 12),
        ):
            connection.execute(
                text(
                    "INSERT INTO booking (reference, practitioner_id, service_id, patient_id, "
                    "start_at, end_at, blocked_until, status, price_cents, currency, "
                    "disclaimer_version, disclaimer_accepted_at, disclaimer_acknowledged_by, "
                    "screening, source, manage_token_hash, note, cancel_reason, sequence, "
                    "created_at, updated_at) SELECT :ref, 1, service.id, 1, :start, :end, :end, "
                    "'fulfilled', 9500, 'USD', 1, :start, 'patient', '{}', 'online', :ref, '', "
                    "'', 0, :start, :start FROM service WHERE slug = :slug"
                ),
                {
                    "ref": f"REF{number}",
                    "slug": slug,
                    "start": f"2026-03-{day:02d} 14:00:00",
                    "end": f"2026-03-{day:02d} 15:00:00",
                },
            )
    upgrade()
    with db.engine.connect() as connection:
        courses = connection.execute(
            text("SELECT id, condition FROM course ORDER BY condition")
        ).all()
        joined = dict(connection.execute(text("SELECT reference, course_id FROM booking")).all())
    assert [c.condition for c in courses] == ["back", "neck"]
    back, neck = (c.id for c in courses)
    assert joined == {"REF1": neck, "REF2": neck, "REF3": back}
    downgrade(revision="a3d5e7f9b2c4")
    assert "course" not in inspect(db.engine).get_table_names()
