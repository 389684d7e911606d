"""Online booking and course-cost estimates for an acupuncture clinic."""

from __future__ import annotations

import os

from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config layers, database, extensions, blueprints, errors, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    load_config(app, test_config)
    app.json.sort_keys = False
    from booking.views.params import IdConverter

    app.url_map.converters["id"] = IdConverter
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def load_config(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then BOOKING_* variables, then test_config."""
    app.config.from_object("booking.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("BOOKING")
    if test_config:
        app.config.update(test_config)
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        # BOOKING_TRUSTED_HOSTS=book.example.com,www.example.com (or a JSON list).
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]
    if app.config.get("PRODUCTION"):
        check_production(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL") or (
            "sqlite:///" + os.path.join(app.instance_path, "booking.sqlite3")
        )
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    from booking.files import private_folder

    # The SQLite file, local config and emails written without SMTP live here.
    private_folder(app.instance_path)


def check_production(app: Flask) -> None:
    """Production mode: refuse the development secret, send cookies over HTTPS only."""
    from booking.config import BASE_URL as DEV_BASE_URL
    from booking.config import SECRET_KEY as DEV_SECRET

    secret = app.config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET or len(secret) < 32:
        raise RuntimeError(
            "BOOKING_SECRET_KEY must be set to a long random value (32+ characters) in "
            "production, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if app.config.get("BASE_URL") == DEV_BASE_URL:
        app.logger.warning(
            "BOOKING_BASE_URL is not set: links in emails will point to %s.", DEV_BASE_URL
        )
    if not app.config.get("SMTP_HOST"):
        app.logger.warning(
            "BOOKING_SMTP_HOST is not set: emails are written as files in instance/outbox/, "
            "each with the patient's details and manage link, instead of being sent."
        )
    if not app.config.get("RATE_LIMITS", True):
        app.logger.warning(
            "BOOKING_RATE_LIMITS is off: nothing limits sign-in attempts or online bookings. "
            "Use this for load tests only, never on a clinic's public site."
        )
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https",
    )


def register_extensions(app: Flask) -> None:
    from booking.database import configure_engine
    from booking.extensions import csrf, db, login_manager, migrate
    from booking.views.access import load_staff
    from booking.views.errors import unauthorized

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_staff)
    login_manager.unauthorized_handler(unauthorized)
    from booking.views import compression

    # Before the views' after_request hooks, so it runs after them: it sees the final body.
    compression.init_app(app)
    from booking.services import availability_cache, waitlist

    availability_cache.init_app(app)
    waitlist.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])


def register_blueprints(app: Flask) -> None:
    from booking.extensions import csrf
    from booking.views import account, admin, api, auth, feeds, fhir, public, staff, staff_api

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(staff_api.bp)
    app.register_blueprint(feeds.bp)
    # SMART Scheduling Links for slot directories: public, read-only, no cookies.
    app.register_blueprint(fhir.bp)
    app.register_blueprint(admin.bp)
    # The JSON API takes no cookies for patients: the manage token is the credential.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)


def register_errorhandlers(app: Flask) -> None:
    from booking.views import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from booking.views import helpers

    helpers.init_app(app)


def register_commands(app: Flask) -> None:
    from booking import cli

    cli.init_app(app)
