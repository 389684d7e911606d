"""Production settings and the health check."""

import pytest

from booking import create_app


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


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_unavailable_when_the_database_is_gone(tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
