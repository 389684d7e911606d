"""Limits on what one client, address or patient may do, counted where every worker sees.

A limit is a key (`booking-address`, `sign-in-account`...), a window and a ceiling.
`spend` counts one use and raises `RateLimited` past the ceiling. The counters live in
the database (`rate_counter`, one atomic upsert per use) or, when `RATE_LIMIT_STORE`
names a Redis server, in Redis; never in a worker's memory, so they hold across every
worker and every app server.

In the database a use counted inside a command is part of that command's transaction:
if the change fails, the use was never counted. Redis has no share in the transaction,
so a use counted there during a change that then rolls back is given back.

`RATE_LIMITS = False` turns every limit off, for load tests only.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from booking.errors import RateLimited
from booking.extensions import db
from booking.models import RateCounter

_GIVE_BACK = "limits_give_back"


@dataclass(frozen=True)
class Count:
    """How many uses the window holds now, and when it starts again from nothing."""

    hits: int
    resets_at: datetime

    def retry_after(self, now: datetime) -> int:
        return max(1, int((self.resets_at - now).total_seconds()) + 1)


def key(kind: str, *values: str) -> str:
    """A counter's key: the kind in the clear, each email or address only as a digest.

    Keys that share their leading values share a prefix (`prefix`), which is how every
    address's count for one account is found and cleared at once.
    """
    return f"{kind}:" + ":".join(_digest(value) for value in values)


def prefix(kind: str, *values: str) -> str:
    return key(kind, *values) + ":"


def _digest(value: str) -> str:
    """Keyed with the app secret: a stored key cannot confirm a guessed email or address."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    message = b"rate-limit\x00" + value.strip().lower().encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


class DatabaseCounters:
    """Counters in `rate_counter`; each use is one INSERT ... ON CONFLICT DO UPDATE."""

    def hit(self, name: str, window: timedelta, now: datetime) -> Count:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        expired = RateCounter.resets_at <= now
        statement = (
            insert(RateCounter)
            .values(key=name, hits=1, resets_at=now + window)
            .on_conflict_do_update(
                index_elements=[RateCounter.key],
                set_={
                    "hits": case((expired, 1), else_=RateCounter.hits + 1),
                    "resets_at": case((expired, now + window), else_=RateCounter.resets_at),
                },
            )
            .returning(RateCounter.hits, RateCounter.resets_at)
        )
        hits, resets_at = db.session.execute(statement).one()
        if hits == 1:
            # A window just began: a cheap moment to drop counters long run out.
            db.session.execute(
                delete(RateCounter).where(RateCounter.resets_at < now - timedelta(days=1))
            )
        return Count(hits, resets_at)

    def give_back(self, name: str) -> None:
        db.session.execute(
            update(RateCounter)
            .where(RateCounter.key == name, RateCounter.hits > 0)
            .values(hits=RateCounter.hits - 1)
        )

    def peek(self, name: str, now: datetime) -> Count | None:
        row = db.session.execute(
            select(RateCounter.hits, RateCounter.resets_at).where(
                RateCounter.key == name, RateCounter.resets_at > now
            )
        ).one_or_none()
        return Count(*row) if row else None

    def clear(self, name: str) -> None:
        db.session.execute(delete(RateCounter).where(RateCounter.key == name))

    def clear_prefix(self, start: str) -> int:
        return db.session.execute(
            delete(RateCounter).where(RateCounter.key.startswith(start, autoescape=True))
        ).rowcount

    def reached(self, start: str, ceiling: int, now: datetime) -> list[Count]:
        """The live counts under a prefix that have reached the ceiling."""
        rows = db.session.execute(
            select(RateCounter.hits, RateCounter.resets_at).where(
                RateCounter.key.startswith(start, autoescape=True),
                RateCounter.resets_at > now,
                RateCounter.hits >= ceiling,
            )
        )
        return [Count(*row) for row in rows]


class RedisCounters:
    """Counters in Redis: INCR, with the window's expiry set by the first use."""

    PREFIX = "booking:limit:"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def hit(self, name: str, window: timedelta, now: datetime) -> Count:
        full = self.PREFIX + name
        pipe = self.redis.pipeline()
        pipe.incr(full)
        pipe.expire(full, int(window.total_seconds()), nx=True)
        pipe.pttl(full)
        hits, _, ttl_ms = pipe.execute()
        _remember_give_back(self, name)
        return Count(int(hits), now + timedelta(milliseconds=max(ttl_ms, 0)))

    def give_back(self, name: str) -> None:
        full = self.PREFIX + name
        if int(self.redis.get(full) or 0) > 0:
            self.redis.decr(full)

    def peek(self, name: str, now: datetime) -> Count | None:
        full = self.PREFIX + name
        pipe = self.redis.pipeline()
        pipe.get(full)
        pipe.pttl(full)
        hits, ttl_ms = pipe.execute()
        if hits is None or ttl_ms <= 0:
            return None
        return Count(int(hits), now + timedelta(milliseconds=ttl_ms))

    def clear(self, name: str) -> None:
        self.redis.delete(self.PREFIX + name)

    def clear_prefix(self, start: str) -> int:
        names = list(self.redis.scan_iter(match=self.PREFIX + start + "*", count=500))
        return self.redis.delete(*names) if names else 0

    def reached(self, start: str, ceiling: int, now: datetime) -> list[Count]:
        found = []
        for full in self.redis.scan_iter(match=self.PREFIX + start + "*", count=500):
            count = self.peek(full.decode()[len(self.PREFIX) :], now)
            if count and count.hits >= ceiling:
                found.append(count)
        return found


def _remember_give_back(store: RedisCounters, name: str) -> None:
    if db.session().in_transaction():
        db.session.info.setdefault(_GIVE_BACK, []).append((store, name))


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(_GIVE_BACK, None)


@event.listens_for(Session, "after_rollback")
def _given_back(session: Session) -> None:
    for store, name in session.info.pop(_GIVE_BACK, []):
        store.give_back(name)


def counters() -> DatabaseCounters | RedisCounters:
    """The store the app is configured with, made once per app."""
    extensions = current_app.extensions
    if "rate_counters" not in extensions:
        url = current_app.config.get("RATE_LIMIT_STORE") or ""
        extensions["rate_counters"] = RedisCounters(url) if url else DatabaseCounters()
    return extensions["rate_counters"]


def enabled() -> bool:
    return bool(current_app.config.get("RATE_LIMITS", True))


def spend(name: str, ceiling: int, window: timedelta, now: datetime, message: str) -> Count:
    """Count one use of `name`; past `ceiling` in the window, RateLimited with `message`.

    "{wait}" in the message becomes when the limit lifts ("in 12 minutes").

    Call it inside the change's command, so that a change that fails counts for nothing.
    """
    count = counters().hit(name, window, now)
    if count.hits > ceiling:
        retry = count.retry_after(now)
        raise RateLimited(message.replace("{wait}", wait_phrase(retry)), retry)
    return count


def wait_phrase(seconds: int) -> str:
    """'in 3 minutes', 'in about 2 hours': when a limit lifts, for people."""
    minutes = max(1, -(-seconds // 60))
    if minutes < 90:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    return f"in about {round(minutes / 60)} hours"
