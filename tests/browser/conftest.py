"""Real-browser fixtures: the app on a live local server, and Debian's Chromium as a phone."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

from booking import create_app
from booking.extensions import db
from tests.conftest import seeded_clinic
from tests.database import database_uri, fresh_database
from tests.mail import MailServer

# Playwright cannot download its own browser here; Debian's Chromium needs these flags.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A small phone: the size most patients will book on.
PHONE = {"width": 375, "height": 812}


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask

    def query(self, statement):
        """Run a SELECT against the server's database, as staff would see it afterwards."""
        with self.app.app_context():
            return list(db.session.execute(statement).scalars())


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright's fallback, an instance-method fixture pytest 9.2 warns about.

    The real address comes from `live_server`, per test, in `browser_context_args`.
    """
    return None


@pytest.fixture
def live_server(tmp_path):
    """The app with real forms (CSRF on) on its own SQLite file, served on 127.0.0.1."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "browser.sqlite3"),
            "WTF_CSRF_ENABLED": True,
            # Playwright fills the form in well under a person's time; the bot check's
            # own browser test raises this again.
            "BOT_MIN_FILL_SECONDS": 0,
        }
    )
    with app.app_context():
        fresh_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Links in pages and emails are built from BASE_URL, as in production.
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def clinic(live_server):
    """The demo clinic's practitioners and services, as the live server's database holds them."""
    with live_server.app.app_context():
        return seeded_clinic()


@pytest.fixture
def mail_server(live_server):
    """A real SMTP server on 127.0.0.1, and the live server's app set to deliver to it.

    Replaces tests/conftest.py's, which sets up the test client's app; links in what
    arrives keep pointing at the live server (its BASE_URL is left as it is).
    """
    server = MailServer()
    server.start()
    live_server.app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_STARTTLS=False,
        MAIL_FROM="booking@clinic.test",
    )
    yield server
    server.stop()


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    """Every page is a touch phone, 375 px wide, pointed at the live server."""
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "accept_downloads": True,
    }
