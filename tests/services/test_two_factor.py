"""Two-step sign-in: enrolment, codes that work once, recovery codes, throttling, resets."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pyotp
import pytest

from booking.errors import ValidationError
from booking.extensions import db
from booking.models import AuditEntry, ClinicSettings, RecoveryCode, User
from booking.models.base import utcnow
from booking.models.user import new_session_token
from booking.services import two_factor
from booking.services.two_factor import (
    MAX_FAILURES,
    TooManyCodes,
    TwoFactorConflict,
    TwoFactorError,
)
from tests.conftest import PASSWORD

# The middle of a 30-second step, so "the step before" and "after" are unambiguous.
NOW = utcnow().replace(second=10, microsecond=0)
STEP = timedelta(seconds=30)


def account(email: str = "reception@clinic.test") -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def code_at(secret: str, moment) -> str:
    return pyotp.TOTP(secret).at(moment)


def wrong_code(secret: str, now=NOW) -> str:
    """Six digits that are not the code of any step inside the window."""
    window = {code_at(secret, now + k * STEP) for k in (-1, 0, 1)}
    return next(code for code in ("123456", "654321", "111111") if code not in window)


def entries(prefix: str = "account.") -> list[AuditEntry]:
    return list(
        db.session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.action.startswith(prefix))
            .order_by(AuditEntry.id)
        ).scalars()
    )


def enrol(user: User, now=NOW) -> tuple[str, list[str]]:
    two_factor.start_enrolment(user)
    secret = user.totp_secret
    return secret, two_factor.confirm_enrolment(user, code_at(secret, now), now=now)


@pytest.fixture
def user(app, make_user):
    make_user("reception")
    with app.app_context():
        yield account()


def test_enrolment_shows_the_secret_as_a_qr_code_and_turns_on_with_a_first_code(app, user):
    two_factor.start_enrolment(user)
    shown = two_factor.enrolment(user)
    assert re.fullmatch(r"[A-Z2-7]{32}", shown.secret)
    assert shown.grouped_secret.replace(" ", "") == shown.secret
    assert shown.uri.startswith("otpauth://totp/")
    assert "issuer=Harbourside" in shown.uri and "reception%40clinic.test" in shown.uri
    assert shown.qr_data_uri.startswith("data:image/svg+xml")
    assert not user.two_factor_enabled

    codes = two_factor.confirm_enrolment(user, code_at(shown.secret, NOW), now=NOW)

    assert user.two_factor_enabled and two_factor.enrolment(user) is None
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(
        re.fullmatch(r"[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}", c) for c in codes
    )
    (entry,) = entries()
    assert entry.action == "account.two_factor_enabled"
    assert (entry.before, entry.after, entry.user_id) == (
        {"two_factor": False},
        {"two_factor": True},
        user.id,
    )


def test_recovery_codes_are_stored_hashed_never_in_plain(app, user):
    secret, codes = enrol(user)
    stored = list(db.session.execute(db.select(RecoveryCode.code_hash)).scalars())
    assert sorted(stored) == sorted(
        hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes
    )
    dump = json.dumps(stored)
    assert not any(code in dump or code.replace("-", "") in dump for code in codes)
    # Nor does the audit log hold the secret or a code.
    log = json.dumps([[e.summary, e.before, e.after] for e in entries()])
    assert secret not in log and not any(code in log for code in codes)


def test_a_wrong_first_code_is_refused_with_a_clear_message(app, user):
    two_factor.start_enrolment(user)
    with pytest.raises(ValidationError) as refused:
        two_factor.confirm_enrolment(user, wrong_code(user.totp_secret), now=NOW)
    assert "not right" in refused.value.fields["code"]
    assert not user.two_factor_enabled and entries() == []


def test_a_code_signs_in_once_and_never_again(app, user):
    secret, _ = enrol(user, NOW - 2 * STEP)
    code = code_at(secret, NOW)

    assert two_factor.check_sign_in_code(user, code, now=NOW) is None
    with pytest.raises(TwoFactorError, match="just been used"):
        two_factor.check_sign_in_code(user, code, now=NOW)
    # Nor does the step before, though it is still inside the window.
    with pytest.raises(TwoFactorError, match="just been used"):
        two_factor.check_sign_in_code(user, code_at(secret, NOW - STEP), now=NOW)
    assert two_factor.check_sign_in_code(user, code_at(secret, NOW + STEP), now=NOW) is None


def test_the_code_that_confirmed_enrolment_cannot_also_sign_in(app, user):
    secret, _ = enrol(user)
    with pytest.raises(TwoFactorError, match="just been used"):
        two_factor.check_sign_in_code(user, code_at(secret, NOW), now=NOW)


def test_codes_a_step_either_side_are_accepted_but_not_further(app, user):
    secret, _ = enrol(user, NOW - 10 * STEP)
    with pytest.raises(TwoFactorError, match="not right"):
        two_factor.check_sign_in_code(user, code_at(secret, NOW - 2 * STEP), now=NOW)
    two_factor.check_sign_in_code(user, code_at(secret, NOW - STEP), now=NOW)


def test_a_recovery_code_signs_in_once(app, user):
    _, codes = enrol(user)
    # Typed loosely, as from paper: capitals, spaces, no dashes.
    loosely = codes[3].upper().replace("-", " ")

    assert two_factor.check_sign_in_code(user, loosely, now=NOW) == 9
    with pytest.raises(TwoFactorError, match="used already"):
        two_factor.check_sign_in_code(user, codes[3], now=NOW)
    assert two_factor.recovery_codes_left(user) == 9
    used = [e for e in entries() if e.action == "account.recovery_code_used"]
    assert [(e.before, e.after) for e in used] == [
        ({"recovery_codes_left": 10}, {"recovery_codes_left": 9})
    ]


def test_five_wrong_codes_lock_sign_in_and_the_count_is_kept_on_the_server(app, user):
    secret, _ = enrol(user, NOW - 5 * STEP)
    wrong = wrong_code(secret)
    for _ in range(1, MAX_FAILURES):
        with pytest.raises(TwoFactorError, match="not right"):
            two_factor.check_sign_in_code(user, wrong, now=NOW)
        assert not two_factor.codes_locked(user, NOW)
    with pytest.raises(TooManyCodes, match="locked for 15 minutes"):
        two_factor.check_sign_in_code(user, "not-a-recovery-code", now=NOW)

    assert two_factor.codes_locked(user, NOW + timedelta(minutes=14))
    assert not two_factor.codes_locked(user, NOW + timedelta(minutes=15, seconds=1))
    # Even the right code waits for the lock to pass.
    with pytest.raises(TooManyCodes):
        two_factor.check_sign_in_code(user, code_at(secret, NOW), now=NOW)
    later = NOW + timedelta(minutes=16)
    two_factor.check_sign_in_code(user, code_at(secret, later), now=later)
    (locked,) = [e for e in entries() if e.action == "account.two_factor_locked"]
    assert (locked.before, locked.after, locked.user_id) == (
        {"locked": False},
        {"locked": True},
        None,
    )


def test_a_right_code_clears_the_count_of_wrong_ones(app, user):
    secret, _ = enrol(user, NOW - 5 * STEP)
    wrong = wrong_code(secret)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(TwoFactorError):
            two_factor.check_sign_in_code(user, wrong, now=NOW)
    two_factor.check_sign_in_code(user, code_at(secret, NOW), now=NOW)
    # The count starts again: four more wrong codes still do not lock.
    later = NOW + STEP
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(TwoFactorError, match="not right"):
            two_factor.check_sign_in_code(user, wrong_code(secret), now=later)
    assert not two_factor.codes_locked(user, later)


def test_new_recovery_codes_need_the_password_or_a_code_and_replace_the_old(app, user):
    secret, old = enrol(user, NOW - 5 * STEP)
    with pytest.raises(ValidationError) as refused:
        two_factor.regenerate_recovery_codes(user, "not my password", now=NOW)
    assert "proof" in refused.value.fields

    new = two_factor.regenerate_recovery_codes(user, PASSWORD, now=NOW)
    again = two_factor.regenerate_recovery_codes(user, code_at(secret, NOW), now=NOW)

    assert len(again) == 10 and not set(new) & set(again)
    with pytest.raises(TwoFactorError):
        two_factor.check_sign_in_code(user, old[0], now=NOW)
    assert two_factor.check_sign_in_code(user, again[0], now=NOW) == 9
    assert [e.action for e in entries()].count("account.recovery_codes_regenerated") == 2


def test_turning_it_off_needs_the_password_and_forgets_the_secret(app, user):
    enrol(user)
    with pytest.raises(ValidationError):
        two_factor.disable(user, "not my password")
    assert user.two_factor_enabled

    two_factor.disable(user, PASSWORD)

    assert not user.two_factor_enabled and user.totp_secret is None
    assert db.session.execute(db.select(RecoveryCode)).first() is None
    assert entries()[-1].action == "account.two_factor_disabled"


def test_it_cannot_be_turned_off_while_the_owner_requires_it(app, user):
    enrol(user)
    settings = db.session.execute(db.select(ClinicSettings)).scalar_one()
    settings.require_two_factor = True
    db.session.commit()
    with pytest.raises(TwoFactorConflict, match="requires two-step sign-in"):
        two_factor.disable(user, PASSWORD)
    assert user.two_factor_enabled


def test_the_owner_resets_a_colleagues_two_step_sign_in_but_not_their_own(app, make_user):
    make_user("reception")
    make_user("owner")
    with app.app_context():
        check_reset(account(), account("owner@clinic.test"))


def check_reset(user: User, owner: User) -> None:
    enrol(user)
    enrol(owner)

    assert two_factor.reset(user, actor=owner)
    assert not two_factor.reset(user, actor=owner)
    with pytest.raises(TwoFactorConflict):
        two_factor.reset(owner, actor=owner)

    assert not user.two_factor_enabled and owner.two_factor_enabled
    reset = entries("account.two_factor_reset")
    assert [(e.subject_id, e.user_id, e.after) for e in reset] == [
        (user.id, owner.id, {"two_factor": False})
    ]


def test_a_pending_sign_in_lasts_five_minutes_and_ends_with_the_session_token(app, user):
    enrol(user)
    started = NOW.timestamp()
    token = user.session_token
    assert two_factor.pending_sign_in(user.id, token, started, now=NOW) == user
    later = NOW + timedelta(minutes=4, seconds=59)
    assert two_factor.pending_sign_in(user.id, token, started, now=later) == user
    expired = NOW + timedelta(minutes=5)
    assert two_factor.pending_sign_in(user.id, token, started, now=expired) is None
    assert two_factor.pending_sign_in(user.id, "other", started, now=NOW) is None
    assert two_factor.pending_sign_in(str(user.id), token, started, now=NOW) is None
    user.session_token = new_session_token()
    db.session.commit()
    assert two_factor.pending_sign_in(user.id, token, started, now=NOW) is None
