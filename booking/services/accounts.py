"""Staff accounts as the owner manages them: create, reset passwords, roles, deactivation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from booking.errors import Conflict, ValidationError
from booking.extensions import db
from booking.models import ClinicSettings, User
from booking.models.base import utcnow
from booking.models.user import OWNER, ROLES, new_session_token
from booking.services import limits
from booking.services.commands import command

# 12 random bytes are 16 URL-safe characters: above the minimum length, easy to type.
GENERATED_PASSWORD_BYTES = 12
MAX_EMAIL_LENGTH = 254
# The sign-in counter kind: one count per account and client address (services/auth.py).
SIGN_IN_ACCOUNT = "sign-in-account"
# Wrong passwords typed by a signed-in user to confirm a change, per account.
PASSWORD_CHECK = "password-check"  # noqa: S105 (a counter kind, not a password)


MIN_PASSWORD_LENGTH = 12
# zxcvbn's scale: 0 and 1 fall to a guessing attack in minutes, 2 in hours online;
# 3 and up hold against a throttled online attack and a slow hash offline.
MIN_PASSWORD_SCORE = 3
TOO_EASY = "That password is too easy to guess{why}. Three or four unrelated words make a good one."


class AccountError(Conflict):
    """A change to a staff account that cannot be made, with a message for the owner."""


def find_user(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def check_password_strength(password: str, hints: tuple[str, ...] = ()) -> None:
    """At least 12 characters, and not a common, repeated or guessable one.

    `hints` are words the account itself gives away (its email, its name, the clinic's).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    # zxcvbn's time grows with length; what lies past 100 characters adds nothing here.
    verdict = zxcvbn(password[:100], user_inputs=[h for h in hints if h])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        warning = verdict["feedback"]["warning"].rstrip(".")
        why = f" ({warning[0].lower()}{warning[1:]})" if warning else ""
        raise AccountError(TOO_EASY.format(why=why))


def _hints(email: str, name: str) -> tuple[str, ...]:
    clinic = db.session.execute(db.select(ClinicSettings.name).limit(1)).scalar()
    return (email, email.partition("@")[0], name, clinic or "")


def generate_password() -> str:
    """A random password to hand to a new colleague once."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def list_accounts() -> list[User]:
    """Active accounts first, then by name and email."""
    return list(
        db.session.execute(
            db.select(User).order_by(User.active.desc(), User.name, User.email)
        ).scalars()
    )


def sign_in_settings() -> tuple[int, int, timedelta]:
    """Wrong passwords allowed per account from one address, per address, and the window."""
    config = current_app.config
    return (
        config["SIGN_IN_ATTEMPTS"],
        config["SIGN_IN_ADDRESS_ATTEMPTS"],
        timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"]),
    )


def paused_until(user: User, now: datetime | None = None) -> datetime | None:
    """When the last sign-in pause on this account lifts (from any address); None if none."""
    if not limits.enabled():
        return None
    per_account, _, _ = sign_in_settings()
    start = limits.prefix(SIGN_IN_ACCOUNT, user.email)
    counts = limits.counters().reached(start, per_account, now or utcnow())
    return max((count.resets_at for count in counts), default=None)


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Paused by wrong passwords from some address, or by wrong two-step codes."""
    from booking.services.two_factor import codes_locked

    return paused_until(user, now) is not None or codes_locked(user, now)


def _lift_pauses(user: User) -> None:
    """Clear this account's sign-in counts from every address, and its wrong codes."""
    from booking.services.two_factor import clear_code_count

    if limits.enabled():
        limits.counters().clear_prefix(limits.prefix(SIGN_IN_ACCOUNT, user.email))
        clear_code_count(user)


def _active_owners() -> int:
    return db.session.execute(
        db.select(func.count(User.id)).where(User.role == OWNER, User.active.is_(True))
    ).scalar_one()


def is_last_active_owner(user: User) -> bool:
    """Whether the clinic would be left without an active owner if this user stepped down."""
    return user.role == OWNER and user.active and _active_owners() <= 1


def _check_not_last_owner(user: User, doing: str) -> None:
    if is_last_active_owner(user):
        raise AccountError(
            f"{user.display_name} is the last active owner and cannot be {doing}. "
            "Make another account an owner first."
        )


def create_account(email: str, name: str, role: str, password: str, *, actor: User | None) -> User:
    """A new staff account, audited. Raises AccountError with a message for the owner."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    if "@" not in email or len(email) > MAX_EMAIL_LENGTH:
        raise AccountError("Give a valid email address.")
    check_password_strength(password, _hints(email, name))
    # Hash outside the write lock: it is deliberately slow.
    password_hash = generate_password_hash(password)
    summary = f"{role.capitalize()} account created for {email}"
    with command("account.create", actor=actor, tracks=None, summary=summary) as change:
        if find_user(email) is not None:
            raise AccountError(f"An account for {email} already exists.")
        user = User(email=email, name=name.strip(), role=role, password_hash=password_hash)
        db.session.add(user)
        change.subject = user
        change.track(user)
    return user


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """Replace the password, lift any lockout and end every session the user has."""
    check_password_strength(password, _hints(user.email, user.name))
    password_hash = generate_password_hash(password)
    summary = f"Password set for {user.email}; signed out everywhere"
    with command("account.password", user, actor=actor, tracks=None, always=True) as change:
        change.before, change.after = {"locked": is_locked(user)}, {"locked": False}
        change.summary = summary
        user.password_hash = password_hash
        _lift_pauses(user)
        user.session_token = new_session_token()


def password_is_right(user: User, password: str) -> bool:
    """Whether this is the signed-in user's own password, for a change that asks for it.

    Counted like sign-in (before the check, on the shared counters), so someone at a
    screen left signed in cannot guess it: after five wrong ones in 15 minutes,
    RateLimited until the window passes.
    """
    if not limits.enabled():
        return check_password_hash(user.password_hash, password)
    name = limits.key(PASSWORD_CHECK, str(user.id))
    per_account, _, window = sign_in_settings()
    with command(""):
        limits.spend(
            name,
            per_account,
            window,
            utcnow(),
            "Too many wrong passwords. Please try again {wait}, or sign out and sign in again.",
        )
    if not check_password_hash(user.password_hash, password):
        return False
    with command(""):
        limits.counters().clear(name)
    return True


def change_own_password(user: User, current: str, new: str) -> None:
    """A staff member's new password, once they have shown they know the current one."""
    if not password_is_right(user, current):
        raise ValidationError.field("current_password", "That is not your current password.")
    if new == current:
        raise ValidationError.field("password", "Choose a password different from the current one.")
    try:
        set_password(user, new, actor=user)
    except AccountError as error:
        raise ValidationError.field("password", error.message) from error


def unlock(user: User, *, actor: User | None) -> bool:
    """Lift the pause wrong passwords put on sign-in, from every address; False if none."""
    summary = f"Sign-in unlocked for {user.email}"
    with command("account.unlock", user, actor=actor, tracks=None, summary=summary) as change:
        change.before = {"locked": is_locked(user)}
        change.after = {"locked": False}
        _lift_pauses(user)
    return change.changed


def deactivate(user: User, *, actor: User) -> bool:
    """Stop the user signing in and end their sessions at once; False if already off."""
    summary = f"Account deactivated for {user.email}"
    with command("account.deactivate", user, actor=actor, summary=summary) as change:
        if not user.active:
            return False
        if user.id == actor.id:
            raise AccountError("You cannot deactivate your own account.")
        _check_not_last_owner(user, "deactivated")
        user.active = False
        user.session_token = new_session_token()
    return change.changed


def reactivate(user: User, *, actor: User) -> bool:
    """Let the user sign in again with their password; False if already active."""
    summary = f"Account reactivated for {user.email}"
    with command("account.reactivate", user, actor=actor, summary=summary) as change:
        user.active = True
    return change.changed


def change_role(user: User, role: str, *, actor: User) -> bool:
    """Make the user reception or owner; False if it already was."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    with command(
        "account.role", user, actor=actor, summary=f"{user.email} is now {role}"
    ) as change:
        if role != OWNER and user.role != role:
            if user.id == actor.id:
                raise AccountError("You cannot remove your own owner role.")
            _check_not_last_owner(user, "made reception")
        user.role = role
    return change.changed


def create_user(email: str, role: str, password: str, name: str = "") -> User:
    """A staff account made from the command line: the same rules and audit as the owner's page."""
    return create_account(email, name, role, password, actor=None)
