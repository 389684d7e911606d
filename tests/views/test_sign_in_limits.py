"""Sign-in throttling: per account and address, per address; a stranger never locks anyone out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.errors import RateLimited
from booking.extensions import db
from booking.models import AuditEntry
from booking.models.base import utcnow
from booking.services.auth import LoginError, authenticate
from tests.conftest import PASSWORD
from tests.redis_server import redis_server, redis_url  # noqa: F401, F811  (fixtures)

STRANGER, DESK = "198.51.100.66", "192.0.2.10"
PAUSED = "Too many sign-in attempts from here"
GUESS = "Tr0ub4dor&3-guess"


def attempt(client, email, password, address):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def entries(app, prefix="sign_in."):
    with app.app_context():
        return [
            (e.action, e.summary, e.subject_id)
            for e in db.session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            ).scalars()
        ]


def test_a_stranger_cannot_keep_the_owner_out(app, client, make_user):
    owner = make_user("owner")
    for _ in range(5):
        assert attempt(client, owner, GUESS, STRANGER).status_code == 401
    paused = attempt(client, owner, PASSWORD, STRANGER)
    assert paused.status_code == 429
    assert PAUSED in paused.get_data(as_text=True)
    assert 840 <= int(paused.headers["Retry-After"]) <= 901
    # The owner, at the clinic's own address, signs in as usual.
    assert attempt(app.test_client(), owner, PASSWORD, DESK).status_code == 302


def test_unknown_emails_are_counted_and_answered_like_real_ones(app, client, make_user):
    real = make_user("owner")
    answers = {}
    for email in (real, "nobody@clinic.test"):
        bodies = [attempt(client, email, GUESS, STRANGER) for _ in range(6)]
        answers[email] = [(r.status_code, PAUSED in r.get_data(as_text=True)) for r in bodies]
    assert answers[real] == answers["nobody@clinic.test"] == [(401, False)] * 5 + [(429, True)]


def test_one_address_trying_many_accounts_is_paused_too(app, client):
    for n in range(30):
        assert attempt(client, f"guess{n}@clinic.test", GUESS, STRANGER).status_code == 401
    assert attempt(client, "another@clinic.test", "x", STRANGER).status_code == 429
    assert attempt(client, "another@clinic.test", "x", DESK).status_code == 401


def test_a_correct_password_clears_the_count_for_that_account(app, client, make_user):
    email = make_user()
    for _ in range(4):
        attempt(client, email, GUESS, DESK)
    assert attempt(client, email, PASSWORD, DESK).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert attempt(client, email, GUESS, DESK).status_code == 401
    assert attempt(client, email, PASSWORD, DESK).status_code == 302


def test_the_pause_lifts_when_the_window_has_passed(app, make_user):
    email = make_user()
    with app.app_context():
        now = utcnow()
        for _ in range(5):
            with pytest.raises(LoginError):
                authenticate(email, GUESS, STRANGER, now=now)
        with pytest.raises(RateLimited):
            authenticate(email, PASSWORD, STRANGER, now=now + timedelta(minutes=14))
        user = authenticate(email, PASSWORD, STRANGER, now=now + timedelta(minutes=15, seconds=1))
        assert user.email == email


def test_sign_ins_failures_and_pauses_are_in_the_audit_log(app, client, make_user):
    email = make_user(name="Rita Desk")
    attempt(client, "nobody@clinic.test", GUESS, STRANGER)
    for _ in range(5):
        attempt(client, email, GUESS, STRANGER)
    attempt(client, email, PASSWORD, DESK)
    logged = entries(app)
    assert logged[0] == (
        "sign_in.failure",
        f"Wrong password for an unknown email from {STRANGER}",
        None,
    )
    assert [action for action, _, _ in logged[1:]] == ["sign_in.failure"] * 5 + [
        "sign_in.paused",
        "sign_in.success",
    ]
    assert logged[6][1] == (
        f"Sign-in for {email} from {STRANGER} paused for 15 minutes after 5 wrong passwords"
    )
    assert logged[7][1] == f"Signed in from {DESK}"
    # The password tried is never kept.
    with app.app_context():
        stored = repr(
            [(e.before, e.after, e.summary) for e in db.session.scalars(db.select(AuditEntry))]
        )
    assert GUESS not in stored


def test_unlock_user_lifts_the_pause_from_every_address(app, client, runner, make_user):
    email = make_user()
    for address in (STRANGER, DESK):
        for _ in range(5):
            attempt(client, email, GUESS, address)
        assert attempt(client, email, PASSWORD, address).status_code == 429
    result = runner.invoke(args=["unlock-user", "--email", email])
    assert result.exit_code == 0 and f"Unlocked {email}" in result.output
    assert attempt(client, email, PASSWORD, DESK).status_code == 302
    assert [a for a, _, _ in entries(app, "account.unlock")] == ["account.unlock"]


def test_the_owner_lifts_a_pause_from_the_account_page(app, client, auth, make_user):
    desk = make_user("reception", email="desk@clinic.test")
    stranger = app.test_client()
    for _ in range(5):
        attempt(stranger, desk, GUESS, STRANGER)
    auth.login("owner")
    with app.app_context():
        from booking.models import User

        desk_id = db.session.execute(db.select(User.id).filter_by(email=desk)).scalar_one()
    page = client.get(f"/admin/accounts/{desk_id}").get_data(as_text=True)
    assert "Lift the pause now" in page
    response = client.post(f"/admin/accounts/{desk_id}/unlock")
    assert response.status_code == 302
    assert "can try their password again" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert attempt(stranger, desk, PASSWORD, STRANGER).status_code == 302


def test_redis_keeps_the_same_sign_in_limits(app, client, make_user, redis_url):  # noqa: F811
    app.config["RATE_LIMIT_STORE"] = redis_url
    app.extensions.pop("rate_counters", None)
    email = make_user()
    for _ in range(5):
        assert attempt(client, email, GUESS, STRANGER).status_code == 401
    assert attempt(client, email, PASSWORD, STRANGER).status_code == 429
    assert attempt(client, email, PASSWORD, DESK).status_code == 302
    client.post("/logout")
    with app.app_context():
        from booking.models import User
        from booking.services.accounts import paused_until, unlock

        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        assert paused_until(user) is not None
        assert unlock(user, actor=None)
        assert paused_until(user) is None
    assert attempt(client, email, PASSWORD, STRANGER).status_code == 302


def test_a_screen_left_signed_in_cannot_be_used_to_guess_the_password(app, client, auth):
    auth.login("reception")
    new = "three unrelated words here"
    for _ in range(5):
        wrong = client.post(
            "/account/password", data={"current_password": GUESS, "password": new, "confirm": new}
        )
        assert "That is not your current password." in wrong.get_data(as_text=True)
    paused = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": new, "confirm": new}
    )
    assert paused.status_code == 422
    assert "Too many wrong passwords. Please try again in 15 minutes" in paused.get_data(
        as_text=True
    )
