"""Two-step sign-in on the pages: enrolment on /account, the code after the password, owners."""

from __future__ import annotations

import html
import re
import time

import pyotp
import pytest

from booking.extensions import db
from booking.models import AuditEntry, ClinicSettings, StaffSession, User
from booking.services.two_factor import MAX_FAILURES
from booking.views.auth import PENDING
from tests.conftest import PASSWORD
from tests.views.test_staff_sessions import copy_of


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def the_user(app, email: str = "reception@clinic.test") -> User:
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        db.session.expunge(user)
        return user


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(AuditEntry.action)
                .where(AuditEntry.action.startswith("account."))
                .order_by(AuditEntry.id)
            ).scalars()
        )


def require_two_factor(app, required: bool = True) -> None:
    with app.app_context():
        db.session.execute(db.select(ClinicSettings)).scalar_one().require_two_factor = required
        db.session.commit()


def code_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def code_next(secret: str) -> str:
    """The next step's code: still inside the window, and newer than any accepted yet."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def a_minute_passes(app, email: str) -> None:
    """As if the codes accepted so far were a minute old, so the app's current code is new."""
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        user.two_factor_last_step = pyotp.TOTP(user.totp_secret).timecode(time.time()) - 2
        db.session.commit()


def wrong_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    window = {totp.at(time.time() + k * 30) for k in (-1, 0, 1, 2)}
    return next(code for code in ("123456", "654321", "111111") if code not in window)


def enrol(client) -> tuple[str, list[str]]:
    """Set up two-step sign-in from the account page, as a person would: (secret, codes)."""
    assert client.post("/account/two-factor/start").status_code == 302
    page = text(client.get("/account/two-factor"))
    secret = re.search(r'<p class="secret" id="secret">([A-Z2-7 ]+)</p>', page).group(1)
    secret = secret.replace(" ", "")
    shown = client.post("/account/two-factor/confirm", data={"code": code_now(secret)})
    assert shown.status_code == 200, text(shown)
    return secret, re.findall(r"<code>([a-z2-9-]{14})</code>", text(shown))


@pytest.fixture
def enrolled(app, client, auth):
    """A reception account with two-step sign-in, signed out again: (email, secret, codes)."""
    email = auth.login("reception")
    secret, codes = enrol(client)
    auth.logout()
    return email, secret, codes


def password_step(client, email: str, **query):
    return client.post("/login", query_string=query, data={"email": email, "password": PASSWORD})


def code_step(client, code: str, **query):
    return client.post("/login/two-factor", query_string=query, data={"code": code})


# Enrolment


def test_staff_set_it_up_on_their_account_page_and_see_ten_recovery_codes_once(app, client, auth):
    auth.login("reception")
    account = text(client.get("/account/"))
    assert "Two-step sign-in" in account and "Off" in account

    client.post("/account/two-factor/start")
    setup = client.get("/account/two-factor")
    page = text(setup)
    assert setup.headers["Cache-Control"] == "no-store"
    assert '<img class="qr" src="data:image/svg+xml' in page
    assert the_user(app).totp_secret.replace(" ", "") in page.replace(" ", "")
    assert not the_user(app).two_factor_enabled

    secret = the_user(app).totp_secret
    shown = client.post("/account/two-factor/confirm", data={"code": code_now(secret)})

    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9-]{14})</code>", text(shown))
    assert len(set(codes)) == 10
    assert "shown only this once" in text(shown)
    account = text(client.get("/account/"))
    assert "10 of 10 recovery codes left" in account
    assert not any(code in account for code in codes)
    assert client.get("/account/two-factor").status_code == 302
    assert audit_actions(app) == ["account.two_factor_enabled"]


def test_a_wrong_first_code_is_explained_and_nothing_changes(app, client, auth):
    auth.login("reception")
    client.post("/account/two-factor/start")
    secret = the_user(app).totp_secret
    response = client.post("/account/two-factor/confirm", data={"code": wrong_code(secret)})
    assert response.status_code == 422
    assert "That code is not right" in text(response)
    assert not the_user(app).two_factor_enabled
    # The same key is still on the page to try again.
    assert secret[:4] in text(response)


# Signing in


def test_the_password_alone_does_not_sign_in_the_code_does(app, client, enrolled):
    email, secret, _ = enrolled
    response = password_step(client, email)
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        assert (
            db.session.execute(
                db.select(StaffSession).where(StaffSession.ended_at.is_(None))
            ).first()
            is None
        )
    page = client.get("/login/two-factor")
    assert "6-digit code" in text(page) and page.headers["Cache-Control"] == "no-store"

    response = code_step(client, code_next(secret))

    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_next_is_kept_through_the_code_step_and_still_only_on_this_site(
    app, client, clinic, enrolled
):
    email, secret, _ = enrolled
    asked_for = f"/staff/week?practitioner={clinic.practitioner.id}"
    response = password_step(client, email, next=asked_for)
    assert response.headers["Location"].startswith("/login/two-factor?next=")
    response = client.post(response.headers["Location"], data={"code": code_next(secret)})
    assert response.headers["Location"] == asked_for

    client.post("/logout")
    a_minute_passes(app, email)
    password_step(client, email, next="//evil.example")
    response = code_step(client, code_now(secret), next="//evil.example")
    assert response.headers["Location"] == "/staff/"


def test_a_wrong_code_is_refused_with_a_clear_message(client, enrolled):
    email, secret, _ = enrolled
    password_step(client, email)
    response = code_step(client, wrong_code(secret))
    assert response.status_code == 401
    assert "That code is not right" in text(response)
    assert client.get("/staff/").status_code == 302


def test_a_code_that_has_signed_in_once_does_not_again(client, enrolled):
    email, secret, _ = enrolled
    code = code_next(secret)
    password_step(client, email)
    assert code_step(client, code).status_code == 302
    client.post("/logout")

    password_step(client, email)
    response = code_step(client, code)

    assert response.status_code == 401
    assert "has just been used" in text(response)


def test_a_recovery_code_signs_in_once(app, client, enrolled):
    email, _, codes = enrolled
    password_step(client, email)
    form = text(client.get("/login/two-factor?recovery=1"))
    assert "Recovery code" in form and "Use a code from the app instead" in form

    response = code_step(client, codes[0].upper(), recovery="1")

    assert response.status_code == 302
    assert "9 recovery codes left" in text(client.get("/staff/"))
    client.post("/logout")
    password_step(client, email)
    again = code_step(client, codes[0], recovery="1")
    assert again.status_code == 401 and "used already" in text(again)
    assert "account.recovery_code_used" in audit_actions(app)


def test_five_wrong_codes_end_the_sign_in_and_an_old_cookie_cannot_carry_on(app, client, enrolled):
    email, secret, _ = enrolled
    password_step(client, email)
    # A copy of the cookie as it was before any wrong code: replaying it resets nothing.
    before = copy_of(app, client)
    wrong = wrong_code(secret)
    for _ in range(MAX_FAILURES - 1):
        assert code_step(client, wrong).status_code == 401

    fifth = code_step(client, wrong)

    assert fifth.status_code == 302 and fifth.headers["Location"] == "/login"
    assert "Too many wrong codes" in text(client.get("/login"))
    assert client.get("/login/two-factor").status_code == 302
    replayed = code_step(before, code_next(secret))
    assert replayed.status_code == 302 and replayed.headers["Location"] == "/login"
    assert before.get("/staff/").status_code == 302
    # Starting again with the password waits for the lock too.
    again = password_step(client, email)
    assert again.status_code == 429 and "Too many wrong codes" in text(again)
    assert int(again.headers["Retry-After"]) > 800
    assert "account.two_factor_locked" in audit_actions(app)


def test_a_pending_sign_in_expires_after_five_minutes(client, enrolled):
    email, secret, _ = enrolled
    password_step(client, email)
    with client.session_transaction() as session:
        session[PENDING] = {**session[PENDING], "at": session[PENDING]["at"] - 301}

    response = code_step(client, code_next(secret))

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "waits five minutes for its code" in text(client.get("/login"))
    assert client.get("/staff/").status_code == 302


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client):
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


# Changing it from the account page


def test_new_recovery_codes_need_the_password_and_replace_the_old(app, client, auth, enrolled):
    email, secret, old = enrolled
    password_step(client, email)
    code_step(client, code_next(secret))

    refused = client.post("/account/two-factor/recovery-codes", data={"proof": "wrong password"})
    assert refused.status_code == 422 and "not your password" in text(refused)
    shown = client.post("/account/two-factor/recovery-codes", data={"proof": PASSWORD})
    new = re.findall(r"<code>([a-z2-9-]{14})</code>", text(shown))

    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")
    password_step(client, email)
    assert code_step(client, old[1]).status_code == 401
    assert code_step(client, new[1]).status_code == 302
    assert "account.recovery_codes_regenerated" in audit_actions(app)


def test_turning_it_off_needs_the_password(app, client, enrolled):
    email, secret, _ = enrolled
    password_step(client, email)
    code_step(client, code_next(secret))

    refused = client.post("/account/two-factor/disable", data={"disable-password": "nope"})
    assert refused.status_code == 422 and "not your password" in text(refused)
    assert the_user(app).two_factor_enabled
    response = client.post("/account/two-factor/disable", data={"disable-password": PASSWORD})

    assert response.status_code == 302
    assert not the_user(app).two_factor_enabled and the_user(app).totp_secret is None
    client.post("/logout")
    assert password_step(client, email).headers["Location"] == "/staff/"
    assert audit_actions(app)[-1] == "account.two_factor_disabled"


# The owner


def test_when_the_owner_requires_it_staff_set_it_up_before_anything_else(app, client, auth):
    auth.login("reception")
    require_two_factor(app)

    for url in ("/staff/", "/staff/patients", "/account/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/account/two-factor"
    api = client.get("/api/v1/staff/patients?q=ann")
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "two_factor_required"
    assert "asks every staff account" in text(client.get("/account/two-factor"))

    enrol(client)

    assert client.get("/staff/").status_code == 200
    refused = client.post("/account/two-factor/disable", data={"disable-password": PASSWORD})
    assert refused.status_code == 302
    assert the_user(app).two_factor_enabled


def test_a_new_colleague_signs_in_with_the_password_and_is_sent_to_set_it_up(
    app, client, make_user
):
    require_two_factor(app)
    email = make_user("reception")
    response = password_step(client, email)
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").headers["Location"] == "/account/two-factor"
    # Signing out still works while set-up is owed.
    client.post("/logout")
    assert client.get("/account/two-factor").headers["Location"].startswith("/login")


def test_the_owner_resets_a_colleagues_two_step_sign_in(app, client, auth, enrolled):
    email, _, _ = enrolled
    desk = the_user(app, email)
    owner = auth.login("owner")
    page = text(client.get(f"/admin/accounts/{desk.id}"))
    assert "Reset two-step sign-in" in page
    assert "Two-step sign-in" in text(client.get("/admin/accounts"))

    response = client.post(f"/admin/accounts/{desk.id}/two-factor/reset")

    assert response.status_code == 302
    assert not the_user(app, email).two_factor_enabled
    with app.app_context():
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="account.two_factor_reset")
        ).scalar_one()
        assert (entry.subject_id, entry.user_id) == (desk.id, the_user(app, owner).id)
    other = app.test_client()
    assert password_step(other, email).headers["Location"] == "/staff/"


def test_an_owner_cannot_reset_their_own_from_the_owner_area(app, client, auth):
    owner = auth.login("owner")
    enrol(client)
    me = the_user(app, owner)
    response = client.post(f"/admin/accounts/{me.id}/two-factor/reset")
    assert response.status_code == 409
    assert the_user(app, owner).two_factor_enabled


def test_reception_cannot_reset_anyones(app, client, auth, make_user, enrolled):
    email, _, _ = enrolled
    desk = the_user(app, email)
    auth.login(email=make_user("reception", email="other@clinic.test"))
    assert client.post(f"/admin/accounts/{desk.id}/two-factor/reset").status_code == 403
    assert the_user(app, email).two_factor_enabled


def test_the_reset_two_factor_command(app, runner, enrolled):
    email, _, _ = enrolled
    result = runner.invoke(args=["reset-two-factor", "--email", email])
    assert "Two-step sign-in reset" in result.output
    assert not the_user(app, email).two_factor_enabled
    again = runner.invoke(args=["reset-two-factor", "--email", email])
    assert "did not have two-step sign-in on" in again.output
