"""Two-step sign-in for staff: codes from an authenticator app (TOTP), and recovery codes.

A code is accepted for its own 30-second step and one either side (phone clocks drift),
but never for a step at or before the last one accepted, so a code read over someone's
shoulder, or sent twice, does not work again. Each code is counted before it is
checked, by the shared atomic counters of `services/limits.py` (per account, not in
the cookie, so replaying an old cookie resets nothing and parallel guesses cannot
exceed the count); five wrong ones lock the second step for 15 minutes.

Recovery codes are ten random strings shown once; only their SHA-256 is kept (they
are long and random, so a fast hash is enough) and each signs in once.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from sqlalchemy import delete, func

from booking.errors import ClinicError, Conflict, Unauthorized, ValidationError
from booking.extensions import db
from booking.models import ClinicSettings, RecoveryCode, User
from booking.models.base import utcnow
from booking.services import limits
from booking.services.accounts import password_is_right
from booking.services.commands import command
from booking.services.tokens import hash_token

VALID_WINDOW = 1  # steps either side of now
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
CODES_KIND = "two-factor-codes"
PENDING_LIFETIME = timedelta(minutes=5)
RECOVERY_CODES = 10
# Lower case without the look-alikes 0/o, 1/l/i: read off paper and typed on a phone.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4  # abcd-efgh-jkmn: about 60 bits

WRONG_CODE = (
    "That code is not right. Type the newest 6-digit code your app shows; if it keeps "
    "failing, check that your phone sets its time automatically."
)
USED_CODE = "That code has just been used. Wait for the next one in your app and type that."
WRONG_RECOVERY_CODE = "That recovery code is not right, or it has been used already."
LOCKED = (
    "Too many wrong codes. Sign-in is locked for {minutes} minutes; the owner can unlock it, "
    "or reset your two-step sign-in if you have lost your phone."
)


class TwoFactorError(Unauthorized):
    """A second step refused, with a message for the person signing in."""

    code = "two_factor_failed"


class TooManyCodes(TwoFactorError):
    code = "two_factor_locked"


class TwoFactorConflict(Conflict):
    """A change to two-step sign-in that cannot be made in the account's present state."""


class EnrolmentRequired(ClinicError):
    """The clinic requires two-step sign-in and this account has not set it up yet."""

    code = "two_factor_required"
    status = 403


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret for typing in, and the same as a QR code."""

    secret: str
    uri: str
    qr_data_uri: str

    @property
    def grouped_secret(self) -> str:
        """ABCD EFGH ...: the secret in fours, easier to type into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def required() -> bool:
    """Whether the owner requires two-step sign-in for every staff account."""
    return bool(db.session.execute(db.select(ClinicSettings.require_two_factor).limit(1)).scalar())


def _clinic_name() -> str:
    return db.session.execute(db.select(ClinicSettings.name).limit(1)).scalar() or "Clinic"


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time-step within the window whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def _looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _clean(code: str) -> str:
    return "".join(code.split())


def _normalised_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes() -> list[str]:
    """Ten fresh codes like abcd-efgh-jkmn."""
    return [
        "-".join(
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
            for _ in range(RECOVERY_GROUPS)
        )
        for _ in range(RECOVERY_CODES)
    ]


def recovery_codes_left(user: User) -> int:
    return db.session.execute(
        db.select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def _replace_recovery_codes(user: User, codes: list[str], now: datetime) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(
        RecoveryCode(
            user_id=user.id,
            code_hash=hash_token(_normalised_recovery_code(code)),
            created_at=now,
        )
        for code in codes
    )


# Enrolment


def start_enrolment(user: User) -> None:
    """A new secret for the account, which counts only once a code from it is confirmed."""
    if user.two_factor_enabled:
        raise TwoFactorConflict("Two-step sign-in is already on for your account.")
    with command("", user):
        user.totp_secret = pyotp.random_base32()


def enrolment(user: User) -> Enrolment | None:
    """The enrolment under way (a secret not yet confirmed), or None."""
    if user.two_factor_enabled or not user.totp_secret:
        return None
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=_clinic_name())
    # Drawn here, never fetched from elsewhere; as an <img> data: URI the SVG cannot
    # run anything, and the page's Content-Security-Policy allows data: images.
    qr = segno.make(uri, error="m").svg_data_uri(scale=1, omitsize=True, light="#fff")
    return Enrolment(user.totp_secret, uri, qr)


def confirm_enrolment(user: User, code: str, *, now: datetime | None = None) -> list[str]:
    """Turn two-step sign-in on with a first code from the app; returns the recovery codes."""
    now = now or utcnow()
    code = _clean(code)
    if user.two_factor_enabled:
        raise TwoFactorConflict("Two-step sign-in is already on for your account.")
    if not user.totp_secret:
        raise TwoFactorConflict("Start the set-up again: press “Set up two-step sign-in”.")
    step = _step(user.totp_secret, code, now) if _looks_like_totp(code) else None
    if step is None:
        raise ValidationError.field("code", WRONG_CODE)
    codes = new_recovery_codes()
    summary = f"Two-step sign-in turned on for {user.email}"
    with command(
        "account.two_factor_enabled", user, actor=user, tracks=None, lock=True, summary=summary
    ) as change:
        change.before, change.after = {"two_factor": False}, {"two_factor": True}
        user.two_factor_enabled_at = now
        # The code just typed is spent: it cannot also sign someone in.
        user.two_factor_last_step = step
        _replace_recovery_codes(user, codes, now)
    return codes


# Signing in


def pending_sign_in(
    user_id: object, session_token: object, started: object, *, now: datetime | None = None
) -> User | None:
    """The account whose password was just accepted and now owes its second step, or None.

    None when the pending sign-in is older than PENDING_LIFETIME, or the account has since
    been signed out everywhere, deactivated or had two-step sign-in turned off.
    """
    now = now or utcnow()
    if not (isinstance(user_id, int) and isinstance(started, int | float)):
        return None
    if not timedelta(0) <= now - datetime.fromtimestamp(started, UTC) < PENDING_LIFETIME:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_token != session_token:
        return None
    return user if user.two_factor_enabled else None


def _codes_key(user: User) -> str:
    return limits.key(CODES_KIND, str(user.id))


def seconds_locked(user: User, now: datetime | None = None) -> int | None:
    """How long the second step stays locked after five wrong codes; None if it is not."""
    if not limits.enabled():
        return None
    now = now or utcnow()
    count = limits.counters().peek(_codes_key(user), now)
    return count.retry_after(now) if count and count.hits >= MAX_FAILURES else None


def codes_locked(user: User, now: datetime | None = None) -> bool:
    """Whether five wrong codes have locked this account's second step for now."""
    return seconds_locked(user, now or utcnow()) is not None


def locked_message(seconds: int) -> str:
    return LOCKED.format(minutes=max(1, math.ceil(seconds / 60)))


def _locked(seconds: int) -> TooManyCodes:
    return TooManyCodes(locked_message(seconds))


def _count_attempt(user: User, now: datetime) -> int:
    """Count a code before it is checked (committed at once); refuse it past the limit."""
    if not limits.enabled():
        return 0
    with command(""):
        count = limits.counters().hit(_codes_key(user), LOCKOUT, now)
    if count.hits > MAX_FAILURES:
        raise _locked(count.retry_after(now))
    return count.hits


def clear_code_count(user: User) -> None:
    """Forget wrong codes (inside a command): after a right one, an unlock or a reset."""
    if limits.enabled():
        limits.counters().clear(_codes_key(user))


def _refuse(user: User, message: str, attempt: int, now: datetime) -> None:
    """A wrong code: audit the lock it starts if it was the last allowed, then raise."""
    if attempt == MAX_FAILURES:
        summary = f"Sign-in locked for {user.email} after {MAX_FAILURES} wrong codes"
        with command("account.two_factor_locked", user, tracks=None, summary=summary) as change:
            change.before, change.after = {"locked": False}, {"locked": True}
        raise _locked(int(LOCKOUT.total_seconds()))
    raise TwoFactorError(message)


def _accept_totp(user: User, code: str, now: datetime) -> str | None:
    """None if the code is accepted (and spent), else why not."""
    step = _step(user.totp_secret, code, now)
    if step is None:
        return WRONG_CODE
    with command("", user, lock=True):
        # Read again under the lock: of two requests with one code, only one gets in.
        fresh = user.two_factor_last_step is None or step > user.two_factor_last_step
        if fresh:
            user.two_factor_last_step = step
        return None if fresh else USED_CODE


def _use_recovery_code(user: User, code: str, now: datetime) -> str | None:
    """None if an unused recovery code matched (now used), else why not."""
    digest = hash_token(_normalised_recovery_code(code))
    with command("account.recovery_code_used", user, actor=user, tracks=None, lock=True) as change:
        found = db.session.execute(
            db.select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == digest,
                RecoveryCode.used_at.is_(None),
            )
        ).scalar_one_or_none()
        if found is None:
            return WRONG_RECOVERY_CODE
        left = recovery_codes_left(user)
        found.used_at = now
        change.before, change.after = (
            {"recovery_codes_left": left},
            {"recovery_codes_left": left - 1},
        )
        change.summary = f"{user.email} signed in with a recovery code; {left - 1} left"
    return None


def check_sign_in_code(user: User, code: str, *, now: datetime | None = None) -> int | None:
    """The second step: a current code from the app, or an unused recovery code.

    Returns how many recovery codes are left when one was used (None for an app code).
    Raises TwoFactorError with a message to show, or TooManyCodes once the account has
    been locked (the pending sign-in must then be dropped).
    """
    now = now or utcnow()
    attempt = _count_attempt(user, now)
    code = _clean(code)
    by_app = _looks_like_totp(code)
    problem = _accept_totp(user, code, now) if by_app else _use_recovery_code(user, code, now)
    if problem:
        _refuse(user, problem, attempt, now)
    with command(""):
        clear_code_count(user)
    return None if by_app else recovery_codes_left(user)


# Changes from the account page and the owner's


def _check_proof(user: User, proof: str, now: datetime) -> None:
    """The password, or a current code from the app (a password is never 6 digits)."""
    proof = proof.strip()
    if not _looks_like_totp(proof):
        if not password_is_right(user, proof):
            raise ValidationError.field("proof", "That is not your password or a current code.")
        return
    if codes_locked(user, now):
        raise ValidationError.field("proof", "Too many wrong codes: type your password instead.")
    try:
        check_sign_in_code(user, proof, now=now)
    except TwoFactorError as error:
        raise ValidationError.field("proof", error.message) from error


def regenerate_recovery_codes(user: User, proof: str, *, now: datetime | None = None) -> list[str]:
    """Ten new recovery codes, the old ones no longer working; needs a code or the password."""
    now = now or utcnow()
    if not user.two_factor_enabled:
        raise TwoFactorConflict("Turn on two-step sign-in first.")
    _check_proof(user, proof, now)
    codes = new_recovery_codes()
    summary = f"New recovery codes for {user.email}; the old ones no longer work"
    with command(
        "account.recovery_codes_regenerated",
        user,
        actor=user,
        tracks=None,
        always=True,
        summary=summary,
    ) as change:
        change.before = {"recovery_codes_left": recovery_codes_left(user)}
        change.after = {"recovery_codes_left": RECOVERY_CODES}
        _replace_recovery_codes(user, codes, now)
    return codes


def _turn_off(user: User) -> None:
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.two_factor_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    clear_code_count(user)


def disable(user: User, password: str) -> None:
    """Turn two-step sign-in off for one's own account, with the password."""
    if not user.two_factor_enabled:
        raise TwoFactorConflict("Two-step sign-in is already off for your account.")
    if required():
        raise TwoFactorConflict(
            "The clinic requires two-step sign-in for every account, so it stays on. "
            "Lost your phone? Sign in with a recovery code, or ask the owner to reset it."
        )
    if not password_is_right(user, password):
        raise ValidationError.field("password", "That is not your password.")
    summary = f"Two-step sign-in turned off for {user.email}"
    with command(
        "account.two_factor_disabled", user, actor=user, tracks=None, summary=summary
    ) as change:
        change.before, change.after = {"two_factor": True}, {"two_factor": False}
        _turn_off(user)


def reset(user: User, *, actor: User | None) -> bool:
    """Clear someone's two-step sign-in after a lost phone (owner or server); False if off."""
    if actor is not None and user.id == actor.id:
        raise TwoFactorConflict("Turn your own two-step sign-in off on your account page.")
    summary = f"Two-step sign-in reset for {user.email}"
    with command(
        "account.two_factor_reset", user, actor=actor, tracks=None, summary=summary
    ) as change:
        change.before = {"two_factor": user.two_factor_enabled}
        change.after = {"two_factor": False}
        _turn_off(user)
    return change.changed
