"""Production settings, and the answer to a failed query."""

import pytest

from booking import create_app
from tests.database import database_uri, fresh_database


def test_production_refuses_the_development_secret(tmp_path):
    with pytest.raises(RuntimeError, match="BOOKING_SECRET_KEY"):
        create_app({"PRODUCTION": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_a_short_secret():
    with pytest.raises(RuntimeError):
        create_app(
            {"PRODUCTION": True, "SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        )


def test_production_sends_cookies_over_https_only():
    app = create_app(
        {"PRODUCTION": True, "SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_warns_when_the_limits_are_off(caplog):
    create_app({"PRODUCTION": True, "SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "BOOKING_RATE_LIMITS is off" not in caplog.text
    create_app(
        {
            "PRODUCTION": True,
            "SECRET_KEY": "x" * 48,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATE_LIMITS": False,
        }
    )
    assert "BOOKING_RATE_LIMITS is off" in caplog.text
    assert "load tests only" in caplog.text


def failing_app(tmp_path):
    """A non-testing app (so the 500 handler is on) with a route whose SQL fails."""
    from booking.extensions import db as database

    app = create_app(
        {
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
            "SERVER_NAME": "clinic.test",
        }
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        fresh_database(app)

    def broken():
        # A failed flush leaves the session needing a rollback on every engine.
        from booking.models import Patient

        database.session.add(Patient(name=None, email="no_such_row@x.org", phone="1"))
        database.session.flush()

    app.add_url_rule("/broken", view_func=broken)
    app.add_url_rule("/api/v1/broken", endpoint="api_broken", view_func=broken)
    return app


def test_a_failed_query_gives_the_clinic_error_page_not_a_bare_500(tmp_path, caplog):
    app = failing_app(tmp_path)
    response = app.test_client().get("/broken")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    # The page is the clinic's own, phone number included: the session was usable again.
    with app.app_context():
        phone = database_phone()
    assert phone in page
    assert "no_such_row" not in caplog.text
    with app.app_context():
        database_engine_dispose(app)


def test_a_failed_query_gives_the_json_envelope_to_api_clients(tmp_path):
    app = failing_app(tmp_path)
    response = app.test_client().get("/api/v1/broken")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side. Please try again, or call the clinic.",
        }
    }
    with app.app_context():
        database_engine_dispose(app)


def database_engine_dispose(app):
    from booking.extensions import db as database

    database.engine.dispose()


def test_production_answers_with_hsts(tmp_path):
    app = create_app(
        {
            "PRODUCTION": True,
            "SECRET_KEY": "x" * 48,
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        }
    )
    with app.app_context():
        fresh_database(app)
    response = app.test_client().get("/", base_url="https://clinic.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    with app.app_context():
        database_engine_dispose(app)


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def database_phone() -> str:
    from booking.extensions import db as database
    from booking.models import ClinicSettings

    return database.session.execute(database.select(ClinicSettings.phone)).scalar_one()
