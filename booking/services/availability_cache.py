"""Cached availability answers, kept exactly as fresh as the database.

A month of free slots takes milliseconds to compute and to serialise, and patients
ask for the same months over and over. Each worker keeps the last answers it gave,
keyed on the request and on ScheduleVersion, a counter that every change able to
move a slot bumps inside its own transaction (ORM flushes and bulk statements alike).
Any worker's next request sees the new counter, so no answer outlives a change.
The current minute is part of the key, because the minimum notice moves with time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from itertools import chain

from flask import Flask
from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session

from booking.extensions import db
from booking.models import (
    Booking,
    ClinicSettings,
    Practitioner,
    ScheduleVersion,
    Service,
    TimeOff,
    WaitlistOffer,
    WorkingHours,
)
from booking.models.base import utcnow
from booking.models.practitioner import practitioner_service

WATCHED = (Booking, ClinicSettings, Practitioner, Service, TimeOff, WaitlistOffer, WorkingHours)
WATCHED_TABLES = frozenset({model.__table__ for model in WATCHED} | {practitioner_service})
_BUMPED = "schedule_version_bumped"


def _bump(session: Session) -> None:
    if not session.info.get(_BUMPED):
        session.info[_BUMPED] = True
        # On the connection, not the session: no autoflush, no ORM events, no recursion.
        table = ScheduleVersion.__table__
        session.connection().execute(
            update(table).values(version=table.c.version + 1, changed_at=utcnow())
        )


def _changed_objects(session: Session, _context, _instances) -> None:
    if any(
        isinstance(item, WATCHED) for item in chain(session.new, session.dirty, session.deleted)
    ):
        _bump(session)


def _bulk_statements(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if table is not None and table in WATCHED_TABLES:
            _bump(state.session)


def _transaction_over(session: Session, *_args) -> None:
    session.info.pop(_BUMPED, None)


LISTENERS = (
    ("before_flush", _changed_objects),
    ("do_orm_execute", _bulk_statements),
    ("after_commit", _transaction_over),
    ("after_soft_rollback", _transaction_over),
)


def init_app(app: Flask) -> None:
    """Keep the counter true for every session, and give this app its own answer cache.

    One cache per app (and so per worker process): answers never cross databases.
    The listeners are on the Session class, so they are added once per process.
    """
    for name, listener in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    app.extensions["availability_cache"] = ResponseCache(app.config["AVAILABILITY_CACHE_SIZE"])


def current_version() -> int:
    """The counter, read on a bare pooled connection: this is the whole cost of a hit."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT version FROM schedule_version WHERE id = 1")
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
    return row[0] if row else 0


class ResponseCache:
    """A small least-recently-used map of (key, version) -> response body."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int) -> bytes | None:
        """The stored body, if it was stored at this version."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != version:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, version: int, body: bytes) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = (version, body)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
