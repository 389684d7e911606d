"""Staff sign-in, pauses, sign-out; the create-user, unlock-user and reset-password commands."""

import pytest

from booking.extensions import db
from booking.models import User
from tests.audit import changes
from tests.conftest import PASSWORD

MAX_FAILURES = 5
PAUSED = "Too many sign-in attempts from here"


def test_staff_sign_in_leads_to_the_calendar_and_sign_out_ends_it(client, make_user):
    email = make_user("reception")
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    client.post("/logout")
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_user):
    email = make_user()
    response = client.post("/login", data={"email": email, "password": "wrong password"})
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    unknown = client.post("/login", data={"email": "nobody@x.org", "password": "whatever12"})
    assert "do not match" in unknown.get_data(as_text=True)


def test_repeated_failures_pause_sign_in_from_that_address(app, client, make_user):
    email = make_user()
    for _ in range(MAX_FAILURES):
        client.post("/login", data={"email": email, "password": "wrong password"})
    paused = client.post("/login", data={"email": email, "password": PASSWORD})
    assert paused.status_code == 429
    assert 840 <= int(paused.headers["Retry-After"]) <= 901
    assert PAUSED in paused.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example",
        "////evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_only_goes_to_this_site(client, make_user, target):
    email = make_user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/staff/"


def test_a_signed_in_visitor_is_not_sent_off_site_either(client, auth):
    auth.login()
    response = client.get("/login", query_string={"next": "////evil.example"})
    assert response.headers["Location"] == "/staff/"


def test_login_returns_to_the_page_asked_for(client, clinic, make_user):
    email = make_user()
    asked_for = f"/staff/week?practitioner={clinic.practitioner.id}"
    first = client.get(asked_for)
    assert first.status_code == 302
    assert "next=" in first.headers["Location"]
    response = client.post(first.headers["Location"], data={"email": email, "password": PASSWORD})
    assert response.headers["Location"] == asked_for


def test_deactivated_account_is_signed_out_and_cannot_sign_in(app, client, auth):
    auth.login()
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        user.active = False
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    response = client.post("/login", data={"email": "reception@clinic.test", "password": PASSWORD})
    assert "deactivated" in response.get_data(as_text=True)


def test_passwords_are_stored_hashed(app, make_user):
    make_user()
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_create_user_command_with_and_without_password(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Owner@Clinic.test",
            "--role",
            "owner",
            "--password",
            "a-long-password",
        ]
    )
    assert "Created owner account for owner@clinic.test" in result.output
    prompted = runner.invoke(
        args=["create-user", "--email", "desk@clinic.test", "--role", "reception"],
        input="another-long-pass\nanother-long-pass\n",
    )
    assert "Created reception account" in prompted.output
    short = runner.invoke(
        args=[
            "create-user",
            "--email",
            "x@clinic.test",
            "--role",
            "reception",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    duplicate = runner.invoke(
        args=[
            "create-user",
            "--email",
            "owner@clinic.test",
            "--role",
            "owner",
            "--password",
            "a-long-password",
        ]
    )
    assert "already exists" in duplicate.output
    with app.app_context():
        roles = dict(db.session.execute(db.select(User.email, User.role)).all())
        assert roles == {"owner@clinic.test": "owner", "desk@clinic.test": "reception"}


def test_accounts_made_on_the_command_line_are_in_the_audit_log(app, runner):

    runner.invoke(
        args=[
            "create-user",
            "--email",
            "o@clinic.test",
            "--role",
            "owner",
            "--password",
            "owner password 123",
        ]
    )
    with app.app_context():
        entry = db.session.execute(changes()).scalar_one()
        assert entry.action == "account.create"
        assert entry.user_id is None
        assert "owner password 123" not in str(entry.after)


def lock_out(client, email):
    for _ in range(MAX_FAILURES):
        client.post("/login", data={"email": email, "password": "wrong password"})
    refused = client.post("/login", data={"email": email, "password": PASSWORD})
    assert PAUSED in refused.get_data(as_text=True)


def test_unlock_user_lets_a_locked_out_colleague_sign_in_again(app, client, runner, make_user):
    from booking.models import AuditEntry

    email = make_user()
    lock_out(client, email)

    result = runner.invoke(args=["unlock-user", "--email", email.upper()])

    assert result.exit_code == 0 and f"Unlocked {email}" in result.output
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    with app.app_context():
        entry = db.session.execute(
            changes().where(AuditEntry.action == "account.unlock")
        ).scalar_one()
        assert (entry.before, entry.after, entry.user_id) == (
            {"locked": True},
            {"locked": False},
            None,
        )
    again = runner.invoke(args=["unlock-user", "--email", email])
    assert "was not locked" in again.output


def test_unlock_and_reset_refuse_an_unknown_email(runner):
    unknown = ["--email", "nobody@clinic.test"]
    for args in (["unlock-user", *unknown], ["reset-password", *unknown, "--password", "x" * 16]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "No staff account has the email nobody@clinic.test" in result.output


def test_reset_password_replaces_it_lifts_the_lock_and_ends_sessions(app, client, runner, auth):
    email = auth.login()
    other = app.test_client()
    lock_out(other, email)

    result = runner.invoke(
        args=["reset-password", "--email", email], input="brand-new-password\nbrand-new-password\n"
    )

    assert result.exit_code == 0 and "Password changed" in result.output
    # The session that was open has ended, and only the new password works.
    assert client.get("/staff/").status_code == 302
    old = other.post("/login", data={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    new = other.post("/login", data={"email": email, "password": "brand-new-password"})
    assert new.status_code == 302
    short = runner.invoke(args=["reset-password", "--email", email, "--password", "short"])
    assert short.exit_code != 0 and "at least 12 characters" in short.output


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "repeats"),
        ("123456789012", "similar to a commonly used password"),
        ("password1234", "very common password"),
        ("harbourside acupuncture", "too easy to guess"),
    ],
)
def test_common_and_guessable_passwords_are_refused(app, runner, password, why):
    result = runner.invoke(
        args=["create-user", "--email", "o@clinic.test", "--role", "owner", "--password", password]
    )
    assert result.exit_code != 0
    assert "too easy to guess" in result.output and why in result.output.lower()
    with app.app_context():
        assert db.session.execute(db.select(User)).first() is None


def test_staff_change_their_own_password_on_their_account_page(app, client, auth):
    email = auth.login()
    laptop = app.test_client()
    laptop.post("/login", data={"email": email, "password": PASSWORD})
    new = "three unrelated words here"

    wrong = client.post(
        "/account/password",
        data={"current_password": "not it at all", "password": new, "confirm": new},
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    weak = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "password1234", "confirm": "password1234"},
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    mismatch = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": new, "confirm": new + "!"},
    )
    assert "The two new passwords are not the same." in mismatch.get_data(as_text=True)

    done = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": new, "confirm": new},
        follow_redirects=True,
    )

    assert "Your password has been changed" in done.get_data(as_text=True)
    assert client.get("/staff/").status_code == 200  # still signed in here
    assert laptop.get("/staff/").status_code == 302  # signed out elsewhere
    stranger = app.test_client()
    assert stranger.post("/login", data={"email": email, "password": PASSWORD}).status_code == 401
    assert stranger.post("/login", data={"email": email, "password": new}).status_code == 302
