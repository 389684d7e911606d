"""Staff sign-in, with a lockout after repeated failures, and the session loader."""

from __future__ import annotations

from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from booking.errors import Unauthorized
from booking.extensions import db
from booking.models import User
from booking.models.base import utcnow
from booking.services import staff_sessions
from booking.services.accounts import find_user
from booking.services.commands import command
from booking.services.staff_sessions import Limits

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
# Checked when the email is unknown, so both paths cost the same hashing time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
NO_MATCH = "That email and password do not match an account."


class LoginError(Unauthorized):
    code = "login_failed"


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """The active user with this email and password, or LoginError with a safe message."""
    now = now or utcnow()
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginError(NO_MATCH)
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginError(
            f"Too many failed attempts. Try again in {minutes} minutes, or ask the owner "
            "to reset your password."
        )
    if not check_password_hash(user.password_hash, password):
        # Counted in a transaction of its own, which the refusal must not undo.
        with command("", user):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
        raise LoginError(NO_MATCH)
    if not user.active:
        raise LoginError("This account has been deactivated. Please speak to the clinic owner.")
    with command("", user):
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
    return user


def load_user(user_id: str, session_token: str | None, limits: Limits) -> User | None:
    """Flask-Login's loader: the active user whose browser session is still open.

    The id carries the account's session token (changed to sign it out everywhere at
    once); `session_token` is this browser's own, ended by signing out or by time.
    """
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or len(ident) > 10:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    if not staff_sessions.check(user, session_token, limits):
        return None
    return user
