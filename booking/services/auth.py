"""Staff sign-in, throttled per client address and per account, and the session loader.

Each attempt is counted before its password is checked, in a transaction of its own,
by the atomic counters in `services/limits.py`: parallel attempts each get their own
number, so no more than the allowed few are ever checked. The count is per account
*and address*, so a stranger's wrong guesses pause only the stranger; a success gives
the attempt back. An unknown email is counted and answered exactly like a known one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from werkzeug.security import check_password_hash, generate_password_hash

from booking.errors import RateLimited, Unauthorized
from booking.extensions import db
from booking.models import User
from booking.models.base import utcnow
from booking.services import limits, staff_sessions
from booking.services.accounts import SIGN_IN_ACCOUNT, find_user, sign_in_settings
from booking.services.commands import command
from booking.services.staff_sessions import Limits

# Checked when the email is unknown, so both paths cost the same hashing time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
NO_MATCH = "That email and password do not match an account."
ADDRESS_KEY = "sign-in-address"


class LoginError(Unauthorized):
    code = "login_failed"


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt's counters: for this account from this address, and overall."""

    email: str
    address: str
    account_hits: int = 0

    @property
    def account_key(self) -> str:
        return limits.key(SIGN_IN_ACCOUNT, self.email, self.address)

    @property
    def address_key(self) -> str:
        return limits.key(ADDRESS_KEY, self.address)


def _paused(retry_after: int) -> RateLimited:
    return RateLimited(
        "Too many sign-in attempts from here. Please try again "
        f"{limits.wait_phrase(retry_after)}, or ask the clinic owner to reset your password.",
        retry_after,
    )


def _reserve(email: str, address: str, now: datetime) -> Attempt:
    """Count the attempt before its password is checked; refuse it past either limit."""
    attempt = Attempt(email, address)
    if not limits.enabled():
        return attempt
    per_account, per_address, window = sign_in_settings()
    with command(""):  # committed at once: the count must hold whatever happens next
        store = limits.counters()
        overall = store.hit(attempt.address_key, window, now)
        account = store.hit(attempt.account_key, window, now)
        for count, ceiling in ((overall, per_address), (account, per_account)):
            if count.hits > ceiling:
                raise _paused(count.retry_after(now))
    return Attempt(email, address, account.hits)


def authenticate(email: str, password: str, address: str, now: datetime | None = None) -> User:
    """The active user with this email and password, or LoginError with a safe message.

    RateLimited (429) once this address has had its tries, whether or not the account
    exists.
    """
    now = now or utcnow()
    email = email.strip().lower()
    attempt = _reserve(email, address, now)
    user = find_user(email)
    if user is None or not check_password_hash(user.password_hash, password):
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
        _failed(user, attempt)
        raise LoginError(NO_MATCH)
    if not user.active:
        raise LoginError("This account has been deactivated. Please speak to the clinic owner.")
    if limits.enabled():
        with command(""):
            store = limits.counters()
            store.clear(attempt.account_key)
            store.give_back(attempt.address_key)
    return user


def signed_in(user: User, address: str, how: str = "", now: datetime | None = None) -> None:
    """Record a completed sign-in (after the second step, if the account has one)."""
    summary = f"Signed in from {address}{how}"
    with command("sign_in.success", user, actor=user, tracks=None, summary=summary, always=True):
        user.last_login_at = now or utcnow()


def _failed(user: User | None, attempt: Attempt) -> None:
    """Audit a wrong password, and the pause it starts when it was the last allowed."""
    who = user.email if user else "an unknown email"
    with command(
        "sign_in.failure",
        user,
        tracks=None,
        always=True,
        summary=f"Wrong password for {who} from {attempt.address}",
    ):
        pass
    per_account, _, window = sign_in_settings()
    if user is not None and limits.enabled() and attempt.account_hits == per_account:
        minutes = int(window.total_seconds() // 60)
        with command(
            "sign_in.paused",
            user,
            tracks=None,
            always=True,
            summary=(
                f"Sign-in for {user.email} from {attempt.address} paused for {minutes} "
                f"minutes after {per_account} wrong passwords"
            ),
        ):
            pass


def load_user(user_id: str, session_token: str | None, session_limits: Limits) -> User | None:
    """Flask-Login's loader: the active user whose browser session is still open.

    The id carries the account's session token (changed to sign it out everywhere at
    once); `session_token` is this browser's own, ended by signing out or by time.
    """
    ident, _, token = user_id.partition(":")
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 10:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    if not staff_sessions.check(user, session_token, session_limits):
        return None
    return user
