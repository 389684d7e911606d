"""Signed-in staff sessions kept on the server: idle timeout, lifetime, sign-out that holds.

A session lives while it is used at least every `STAFF_IDLE_MINUTES` and for at most
`STAFF_SESSION_HOURS`; signing out ends it at once, and "sign out everywhere" ends
every other session of the account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from booking.extensions import db
from booking.models import StaffSession, User
from booking.models.base import utcnow
from booking.services.commands import command
from booking.services.tokens import hash_token

TOKEN_BYTES = 32
# last_seen_at is written at most this often, so a busy screen is not a write per click.
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Limits:
    idle: timedelta
    lifetime: timedelta


def start(user: User, *, now: datetime | None = None) -> str:
    """A new session for a user who has just signed in; returns its secret token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = now or utcnow()
    with command(""):
        db.session.add(
            StaffSession(
                token_hash=hash_token(token), user_id=user.id, created_at=now, last_seen_at=now
            )
        )
    return token


def _find(token: str | None) -> StaffSession | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        db.select(StaffSession).where(StaffSession.token_hash == hash_token(token))
    ).scalar_one_or_none()


def check(user: User, token: str | None, limits: Limits, *, now: datetime | None = None) -> bool:
    """Whether this browser's session is still open for this user; keeps it alive if so."""
    now = now or utcnow()
    found = _find(token)
    if found is None or found.user_id != user.id or found.ended_at is not None:
        return False
    if now - found.last_seen_at >= limits.idle or now - found.created_at >= limits.lifetime:
        end(token, now=now)
        return False
    if now - found.last_seen_at >= SEEN_EVERY:
        with command(""):
            found.last_seen_at = now
    return True


def end(token: str | None, *, now: datetime | None = None) -> None:
    """Sign this browser out on the server: its cookie no longer signs anyone in."""
    found = _find(token)
    if found is None or found.ended_at is not None:
        return
    with command(""):
        found.ended_at = now or utcnow()


def open_count(user: User, limits: Limits, *, now: datetime | None = None) -> int:
    """How many browsers the user is signed in on now."""
    now = now or utcnow()
    return db.session.execute(
        db.select(db.func.count(StaffSession.id)).where(
            StaffSession.user_id == user.id,
            StaffSession.ended_at.is_(None),
            StaffSession.last_seen_at > now - limits.idle,
            StaffSession.created_at > now - limits.lifetime,
        )
    ).scalar_one()


def end_others(user: User, keep: str | None, *, now: datetime | None = None) -> int:
    """Sign the user out of every other browser; returns how many sessions ended."""
    kept = hash_token(keep) if keep else ""
    summary = f"{user.email} signed out everywhere else"
    with command(
        "account.sign_out_everywhere", user, actor=user, tracks=None, summary=summary
    ) as change:
        result = db.session.execute(
            update(StaffSession)
            .where(
                StaffSession.user_id == user.id,
                StaffSession.ended_at.is_(None),
                StaffSession.token_hash != kept,
            )
            .values(ended_at=now or utcnow())
        )
        change.before, change.after = {"other_sessions": result.rowcount}, {"other_sessions": 0}
    return result.rowcount
