"""Whether this node can take bookings: the database answers and takes a write, the disk has room.

Also tells an outage (the database unreachable, locked, read-only or full) from a
mistake in the code, so that an outage is answered 503 and a mistake 500.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exc, update
from sqlalchemy.engine import Connection

from booking.database import sqlite_file
from booking.extensions import db
from booking.models import ScheduleVersion

OK = "ok"
UNREACHABLE = "unreachable"
LOCKED = "locked"
READ_ONLY = "read-only"
FULL = "full"
# The database failed in a way that is no outage (no table, say): a fault, not a wait.
BROKEN = "error"

# SQLite's primary result codes that mean the file, not the SQL, is the trouble.
SQLITE_OUTAGES = {
    5: LOCKED,  # SQLITE_BUSY: the write lock was not free within the busy timeout
    6: LOCKED,  # SQLITE_LOCKED
    8: READ_ONLY,  # SQLITE_READONLY
    10: UNREACHABLE,  # SQLITE_IOERR
    13: FULL,  # SQLITE_FULL
    14: UNREACHABLE,  # SQLITE_CANTOPEN
}
# PostgreSQL SQLSTATEs worth naming; any other OperationalError is the server or the link.
POSTGRES_OUTAGES = {"25006": READ_ONLY, "55P03": LOCKED, "53100": FULL}


@dataclass(frozen=True)
class Health:
    database: str
    free_mb: int
    low_disk: bool

    @property
    def ok(self) -> bool:
        return self.database == OK and not self.low_disk


def check() -> Health:
    """Ask the database for a write (rolled back) and the disk for its free space."""
    free_mb = free_space_mb()
    low = free_mb < int(current_app.config["HEALTH_MIN_FREE_MB"])
    return Health(database=database_state(), free_mb=free_mb, low_disk=low)


def outage(error: BaseException) -> str | None:
    """The kind of outage a database error means, or None when it is a mistake in the code."""
    if isinstance(error, exc.TimeoutError):  # every pooled connection busy past pool_timeout
        return LOCKED
    if not isinstance(error, exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return UNREACHABLE
    original = error.orig
    if isinstance(original, sqlite3.Error):
        # SQLite says OperationalError for "no such table" too: go by the result code.
        return SQLITE_OUTAGES.get(getattr(original, "sqlite_errorcode", 0) & 0xFF)
    state = getattr(original, "sqlstate", None)
    if state in POSTGRES_OUTAGES:
        return POSTGRES_OUTAGES[state]
    return UNREACHABLE if isinstance(error, exc.OperationalError) else None


def database_state() -> str:
    """Take the write lock and write a row as it is, then roll back: nothing is kept."""
    table = ScheduleVersion.__table__
    try:
        with db.engine.connect() as connection, short_lock_wait(connection):
            connection.execute(update(table).values(version=table.c.version))
            connection.rollback()
    except exc.SQLAlchemyError as error:
        kind = outage(error)
        if kind is None:
            current_app.logger.error("Health check: %s", type(error).__name__)
        return kind or BROKEN
    return OK


@contextmanager
def short_lock_wait(connection: Connection) -> Iterator[None]:
    """Wait HEALTH_LOCK_TIMEOUT seconds at most for a lock, not the busy timeout of requests."""
    seconds = float(current_app.config["HEALTH_LOCK_TIMEOUT"])
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(seconds * 1000)}")
        yield
        return
    # Set on the raw connection before the transaction begins: BEGIN IMMEDIATE waits too.
    pragma = "PRAGMA busy_timeout={}"
    raw = connection.connection.driver_connection
    raw.execute(pragma.format(int(seconds * 1000)))
    connection.execution_options(sqlite_immediate=True)
    try:
        yield
    finally:
        # The connection goes back to the pool: give it the requests' patience again.
        with suppress(sqlite3.Error):
            raw.execute(pragma.format(int(current_app.config["SQLITE_BUSY_TIMEOUT"] * 1000)))


def free_space_mb() -> int:
    """The least free space of the instance folder's disk and the SQLite file's, in MiB."""
    folders = {current_app.instance_path}
    path = sqlite_file(db.engine.url)
    if path:
        folders.add(os.path.dirname(path))
    return min(shutil.disk_usage(existing(folder)).free for folder in folders) // 2**20


def existing(folder: str) -> str:
    """The folder, or its nearest ancestor that exists (a missing one has no disk yet)."""
    folder = os.path.abspath(folder)
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder
