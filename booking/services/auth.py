"""Staff sign-in with lockout after repeated failures, and account creation."""

from __future__ import annotations

from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from booking.extensions import db
from booking.models import User
from booking.models.base import utcnow

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
# Checked when the email is unknown, so both paths cost the same hashing time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginError(Exception):
    pass


class AccountError(ValueError):
    pass


def find_user(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """The active user with this email and password, or LoginError with a safe message."""
    now = now or utcnow()
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginError("That email and password do not match an account.")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginError(
            f"Too many failed attempts. Try again in {minutes} minutes, or ask the owner "
            "to reset your password."
        )
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        db.session.commit()
        raise LoginError("That email and password do not match an account.")
    if not user.active:
        raise LoginError("This account has been deactivated. Please speak to the clinic owner.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return user


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(email: str, role: str, password: str, name: str = "") -> User:
    """A staff account made from the command line: the same rules and audit as the owner's page."""
    from booking.services.accounts import create_account

    return create_account(email, name, role, password, actor=None)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session token, so old sessions end."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    return user
