"""Engine setup and the write transaction that every booking change runs in."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from booking.extensions import db
from booking.files import private_files


def configure_engine(engine: Engine, busy_timeout: float) -> None:
    """SQLite: WAL, foreign keys, a busy timeout, and BEGIN issued by us.

    pysqlite starts transactions lazily, only before a write, so a read-then-write
    would run as two transactions. Emitting BEGIN ourselves keeps them as one, and
    `write_transaction` asks for BEGIN IMMEDIATE to take the write lock up front.
    """
    if engine.dialect.name != "sqlite":
        return
    path = sqlite_file(engine.url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.isolation_level = None
        if path:
            # Before WAL mode is set: SQLite gives the -wal and -shm files the mode of
            # the database file, so they are born private too.
            private_files(path, path + "-wal", path + "-shm")
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten values (an erased patient's) are zeroed, not left in
        # the file's free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        if isinstance(dbapi_connection, sqlite3.Connection):
            # SQLite's own lower() folds ASCII only: 'Émilie' would never match 'émilie'
            # as it does on PostgreSQL. Python's folds every letter.
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_file(url: URL) -> str | None:
    """The SQLite database's file path, or None (in memory, or not SQLite)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database
    if database.startswith("file:") and str(url.query.get("uri", "")).lower() in ("true", "1"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if database in ("", ":memory:") or url.query.get("mode") == "memory":
            return None
    return os.path.abspath(database)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


@contextmanager
def write_transaction() -> Iterator[None]:
    """One transaction that holds the write lock from its first statement, then commits.

    Any read transaction the request had open is ended first, so the checks inside
    see the latest committed rows.
    """
    db.session.rollback()
    db.session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def checkpoint() -> None:
    """SQLite: copy the write-ahead log into the database file and empty it.

    After an erasure, so the erased values do not wait in the -wal file until every
    connection closes. Best effort: a reader still open elsewhere keeps what it reads.
    Nothing to do on PostgreSQL, whose old row versions go at the next (auto)vacuum.
    """
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
