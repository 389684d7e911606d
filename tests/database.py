"""Which database the tests run on: SQLite files by default, PostgreSQL when asked.

scripts/test.sh runs the suite twice; the second time it starts a throwaway
PostgreSQL server and sets BOOKING_TEST_DATABASE_URL to it.
"""

from __future__ import annotations

import os

from booking.extensions import db
from booking.services.demo import seed_demo

POSTGRES_URL = os.environ.get("BOOKING_TEST_DATABASE_URL", "")


def database_uri(tmp_path, name: str = "test.sqlite3") -> str:
    return POSTGRES_URL or f"sqlite:///{tmp_path / name}"


def fresh_database(app) -> None:
    """An empty schema with the demo clinic in it (inside an app context)."""
    if POSTGRES_URL:
        db.drop_all()
    db.create_all()
    seed_demo()


def every_stored_value(app) -> str:
    """Every value in every table, as text: what a copy of the database would give."""
    with app.app_context():
        values = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(db.select(table)):
                values.extend(str(value) for value in row)
        return "\n".join(values)
