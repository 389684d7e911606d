"""Owners manage staff accounts: create, reset passwords, roles, deactivation, guard rails."""

from __future__ import annotations

import html
import json
import re

import pytest

from booking.extensions import db
from booking.models import AuditEntry, User
from booking.services import accounts
from booking.services.accounts import AccountError
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
DESK = "desk@example.com"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def user_by_email(app, email: str) -> User:
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        db.session.expunge(user)
        return user


def user_id(app, email: str) -> int:
    return user_by_email(app, email).id


def audit_entries(app, prefix: str = "account.") -> list[AuditEntry]:
    with app.app_context():
        entries = list(
            db.session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            ).scalars()
        )
        db.session.expunge_all()
        return entries


def sign_in(app, email: str, password: str = PASSWORD):
    """Another browser, signed in as this user."""
    other = app.test_client()
    response = other.post("/login", data={"email": email, "password": password})
    return other, response


def new_account(**overrides) -> dict:
    return {"name": "Robin Desk", "email": "robin@example.com", "role": "reception"} | overrides


def shown_password(page: str) -> str:
    match = re.search(r'<input id="new-password"[^>]*value="([^"]+)"', page)
    assert match, "no password shown"
    return html.unescape(match.group(1))


# Who may use the pages


DESK_URL = "/admin/accounts/{desk}"
EVERY_URL = [
    pytest.param("get", "/admin/accounts", {}, id="list"),
    pytest.param("post", "/admin/accounts", new_account(password=NEW_PASSWORD), id="create"),
    pytest.param("get", DESK_URL, {}, id="show"),
    pytest.param("post", f"{DESK_URL}/password", {"password": NEW_PASSWORD}, id="password"),
    pytest.param("post", f"{DESK_URL}/role", {"role": "owner"}, id="role"),
    pytest.param("post", f"{DESK_URL}/deactivate", {"confirm": "yes"}, id="deactivate"),
    pytest.param("post", f"{DESK_URL}/reactivate", {}, id="reactivate"),
    pytest.param("post", f"{DESK_URL}/two-factor/reset", {}, id="two-factor-reset"),
]


def call(app, client, method: str, url: str, data: dict):
    return getattr(client, method)(url.format(desk=user_id(app, DESK)), data=data)


def assert_desk_unchanged(app, desk_hash: str) -> None:
    desk = user_by_email(app, DESK)
    assert (desk.active, desk.role, desk.password_hash) == (True, "reception", desk_hash)
    with app.app_context():
        assert (
            db.session.execute(db.select(User).filter_by(email="robin@example.com")).first() is None
        )
    assert audit_entries(app) == []


@pytest.mark.parametrize(("method", "url", "data"), EVERY_URL)
def test_anonymous_visitors_are_sent_to_sign_in(app, client, make_user, method, url, data):
    make_user("reception", email=DESK)
    desk_hash = user_by_email(app, DESK).password_hash
    response = call(app, client, method, url, data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert_desk_unchanged(app, desk_hash)


@pytest.mark.parametrize(("method", "url", "data"), EVERY_URL)
def test_reception_is_refused(app, client, auth, make_user, method, url, data):
    make_user("reception", email=DESK)
    desk_hash = user_by_email(app, DESK).password_hash
    auth.login("reception")
    assert call(app, client, method, url, data).status_code == 403
    assert_desk_unchanged(app, desk_hash)


@pytest.mark.parametrize(("method", "url", "data"), EVERY_URL)
def test_owner_can_use_every_page(app, client, auth, make_user, method, url, data):
    make_user("reception", email=DESK)
    auth.login("owner")
    response = call(app, client, method, url, data)
    assert response.status_code == (200 if method == "get" else 302)


def test_an_unknown_account_is_404(client, auth):
    auth.login("owner")
    assert client.get("/admin/accounts/999").status_code == 404
    assert client.post("/admin/accounts/999/deactivate").status_code == 404


# The list


def test_list_shows_each_account_with_role_status_two_step_lock_and_last_sign_in(app, client, auth):
    owner = auth.login("owner")
    client.post("/admin/accounts", data=new_account(password=NEW_PASSWORD))
    client.post(
        "/admin/accounts",
        data=new_account(name="Lee Gone", email="lee@example.com", password=NEW_PASSWORD),
    )
    stranger = app.test_client()
    for _ in range(5):
        stranger.post("/login", data={"email": "robin@example.com", "password": "wrong password"})
    client.post(
        f"/admin/accounts/{user_id(app, 'lee@example.com')}/deactivate", data={"confirm": "yes"}
    )

    page = text(client.get("/admin/accounts"))
    rows = {
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    }
    assert any(r.startswith(f"Owner (you) {owner} Owner Active Off No ") for r in rows), rows
    assert not any("Never" in r for r in rows if owner in r)
    assert any(
        r.startswith("Robin Desk robin@example.com Reception Active Off Paused until") for r in rows
    )
    assert "Lee Gone lee@example.com Reception Deactivated Off No Never" in rows
    # Active accounts first.
    assert page.index("robin@example.com") < page.index("lee@example.com")


# Creating


def test_owner_creates_an_account_who_can_then_sign_in(app, client, auth):
    auth.login("owner")
    response = client.post(
        "/admin/accounts", data=new_account(email=" Robin@Example.COM ", password=NEW_PASSWORD)
    )
    robin = user_by_email(app, "robin@example.com")
    assert response.headers["Location"] == f"/admin/accounts/{robin.id}"
    assert (robin.name, robin.role, robin.active) == ("Robin Desk", "reception", True)
    assert "Account created for robin@example.com." in text(
        client.get(response.headers["Location"])
    )
    other, signed_in = sign_in(app, "robin@example.com", NEW_PASSWORD)
    assert signed_in.status_code == 302
    assert other.get("/staff/").status_code == 200
    assert other.get("/admin/").status_code == 403


def test_a_generated_password_is_shown_once_and_works(app, client, auth):
    auth.login("owner")
    response = client.post("/admin/accounts", data=new_account(role="owner", generate="y"))
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(text(response))
    assert len(password) >= 10
    robin = user_by_email(app, "robin@example.com")
    assert robin.role == "owner"
    assert password not in text(client.get(f"/admin/accounts/{robin.id}"))
    other, signed_in = sign_in(app, "robin@example.com", password)
    assert signed_in.status_code == 302
    assert other.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password": "too short"}, "password", "at least 12 characters"),
        ({}, "password", "Type a password, or tick “generate”"),
        ({"password": NEW_PASSWORD, "generate": "y"}, "password", "not both"),
        ({"password": NEW_PASSWORD, "email": "not-an-email"}, "email", "Check the email address"),
        ({"password": NEW_PASSWORD, "name": " "}, "name", "Enter the person's name."),
        ({"password": NEW_PASSWORD, "role": "admin"}, "role", "Not a valid choice"),
    ],
)
def test_mistakes_are_explained_and_nothing_is_created(app, client, auth, fields, field, message):
    auth.login("owner")
    response = client.post("/admin/accounts", data=new_account(**fields))
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', text(response))
    assert 'value="robin@example.com"' in text(response) or field == "email"
    with app.app_context():
        assert db.session.execute(db.select(User).filter_by(name="Robin Desk")).first() is None


def test_an_email_already_in_use_is_refused(app, client, auth, make_user):
    make_user("reception", email=DESK)
    auth.login("owner")
    response = client.post(
        "/admin/accounts", data=new_account(email="DESK@Example.com", password=NEW_PASSWORD)
    )
    assert response.status_code == 422
    assert f"An account for {DESK} already exists." in text(response)


# Passwords


def test_a_new_password_ends_old_sessions_and_lifts_the_lockout(app, client, auth, make_user):
    make_user("reception", email=DESK)
    desk, _ = sign_in(app, DESK)
    assert desk.get("/staff/").status_code == 200
    for _ in range(5):
        sign_in(app, DESK, "wrong password")
    assert sign_in(app, DESK)[1].status_code == 429
    auth.login("owner")
    page = text(client.get(f"/admin/accounts/{user_id(app, DESK)}"))
    assert "Paused" in page and "Other addresses can still sign in." in page

    response = client.post(
        f"/admin/accounts/{user_id(app, DESK)}/password", data={"password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "any session they had has ended" in text(client.get(response.headers["Location"]))
    bounced = desk.get("/staff/")
    assert bounced.status_code == 302
    assert bounced.headers["Location"].startswith("/login")
    assert sign_in(app, DESK)[1].status_code == 401
    assert sign_in(app, DESK, NEW_PASSWORD)[1].status_code == 302
    assert "Paused" not in text(client.get(f"/admin/accounts/{user_id(app, DESK)}"))


def test_a_generated_reset_password_is_shown_once(app, client, auth, make_user):
    make_user("reception", email=DESK)
    auth.login("owner")
    response = client.post(f"/admin/accounts/{user_id(app, DESK)}/password", data={"generate": "y"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert sign_in(app, DESK, shown_password(text(response)))[1].status_code == 302


def test_a_short_password_is_refused_and_the_old_one_still_works(app, client, auth, make_user):
    make_user("reception", email=DESK)
    auth.login("owner")
    response = client.post(
        f"/admin/accounts/{user_id(app, DESK)}/password", data={"password": "short"}
    )
    assert response.status_code == 422
    assert "at least 12 characters" in text(response)
    assert sign_in(app, DESK)[1].status_code == 302


def test_an_owner_changing_their_own_password_stays_signed_in_here_only(app, client, auth):
    owner = auth.login("owner")
    elsewhere, _ = sign_in(app, owner)
    response = client.post(
        f"/admin/accounts/{user_id(app, owner)}/password", data={"password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/accounts").status_code == 200
    assert elsewhere.get("/admin/accounts").status_code == 302


# Deactivating


def test_deactivating_needs_the_box_ticked_and_changes_nothing_without_it(
    app, client, auth, make_user
):
    make_user("reception", email=DESK)
    desk, _ = sign_in(app, DESK)
    auth.login("owner")
    page = text(client.get(f"/admin/accounts/{user_id(app, DESK)}"))
    assert 'name="confirm" value="yes" required' in page
    refused = client.post(f"/admin/accounts/{user_id(app, DESK)}/deactivate")
    assert refused.status_code == 422
    assert "Tick the box to confirm" in text(refused)
    assert desk.get("/staff/").status_code == 200  # still signed in, still active


def test_a_deactivated_user_is_signed_out_at_once_and_cannot_sign_in(app, client, auth, make_user):
    make_user("reception", email=DESK)
    desk, _ = sign_in(app, DESK)
    assert desk.get("/staff/").status_code == 200
    auth.login("owner")
    response = client.post(
        f"/admin/accounts/{user_id(app, DESK)}/deactivate", data={"confirm": "yes"}
    )
    assert response.status_code == 302
    assert "is deactivated and signed out everywhere" in text(
        client.get(response.headers["Location"])
    )

    bounced = desk.get("/staff/")
    assert bounced.status_code == 302
    assert bounced.headers["Location"].startswith("/login")
    assert desk.get("/api/v1/staff/calendar/day").status_code == 401
    again, refused = sign_in(app, DESK)
    assert refused.status_code == 401
    assert "This account has been deactivated" in text(refused)
    assert again.get("/staff/").status_code == 302


def test_a_reactivated_user_can_sign_in_again(app, client, auth, make_user):
    make_user("reception", email=DESK)
    auth.login("owner")
    desk_id = user_id(app, DESK)
    client.post(f"/admin/accounts/{desk_id}/deactivate", data={"confirm": "yes"})
    assert "Reactivate account" in text(client.get(f"/admin/accounts/{desk_id}"))
    response = client.post(f"/admin/accounts/{desk_id}/reactivate")
    assert response.status_code == 302
    assert "can sign in again" in text(client.get(response.headers["Location"]))
    other, signed_in = sign_in(app, DESK)
    assert signed_in.status_code == 302
    assert other.get("/staff/").status_code == 200


# Roles


def test_a_new_role_applies_on_the_next_request(app, client, auth, make_user):
    make_user("reception", email=DESK)
    desk, _ = sign_in(app, DESK)
    assert desk.get("/admin/").status_code == 403
    auth.login("owner")
    desk_id = user_id(app, DESK)
    response = client.post(f"/admin/accounts/{desk_id}/role", data={"role": "owner"})
    assert response.status_code == 302
    assert f"{DESK} is now owner." in text(client.get(response.headers["Location"]))
    assert desk.get("/admin/").status_code == 200
    client.post(f"/admin/accounts/{desk_id}/role", data={"role": "reception"})
    assert desk.get("/admin/").status_code == 403


# Guard rails


def test_an_owner_cannot_deactivate_or_demote_themself(app, client, auth, make_user):
    make_user("owner", email="partner@clinic.test")
    owner = auth.login("owner")
    me = user_id(app, owner)
    page = text(client.get(f"/admin/accounts/{me}"))
    assert "You cannot deactivate your own account; another owner can." in page
    assert "Deactivate account" not in page

    refused = client.post(f"/admin/accounts/{me}/deactivate", data={"confirm": "yes"})
    assert refused.status_code == 409
    assert "You cannot deactivate your own account." in text(refused)
    demoted = client.post(f"/admin/accounts/{me}/role", data={"role": "reception"})
    assert demoted.status_code == 409
    assert "You cannot remove your own owner role." in text(demoted)
    me_now = user_by_email(app, owner)
    assert (me_now.active, me_now.role) == (True, "owner")
    assert client.get("/admin/").status_code == 200
    assert audit_entries(app) == []


def test_the_only_owner_is_told_why_they_cannot_step_down(app, client, auth, make_user):
    owner = auth.login("owner")
    page = text(client.get(f"/admin/accounts/{user_id(app, owner)}"))
    assert "Change role" not in page
    assert "Deactivate account" not in page


def test_the_last_active_owner_can_never_be_deactivated_or_demoted(app, make_user):
    """Two owners stepping each other down at the same moment must leave one owner."""
    make_user("owner", email="ann@clinic.test", name="Ann")
    make_user("owner", email="bo@clinic.test", name="Bo")
    with app.app_context():
        ann, bo = (
            db.session.execute(db.select(User).filter_by(email=e)).scalar_one()
            for e in ("ann@clinic.test", "bo@clinic.test")
        )
        assert accounts.change_role(bo, "reception", actor=ann)
        # Bo's request was already under way as an owner when Ann's change landed.
        with pytest.raises(
            AccountError, match="Ann is the last active owner and cannot be made reception"
        ):
            accounts.change_role(ann, "reception", actor=bo)
        with pytest.raises(AccountError, match="is the last active owner and cannot be deact"):
            accounts.deactivate(ann, actor=bo)
        db.session.refresh(ann)
        assert (ann.role, ann.active) == ("owner", True)


def test_a_deactivated_owner_does_not_count_as_an_owner(app, client, auth, make_user):
    make_user("owner", email="partner@clinic.test")
    make_user("reception", email=DESK)
    owner = auth.login("owner")
    partner = user_id(app, "partner@clinic.test")
    assert (
        client.post(f"/admin/accounts/{partner}/deactivate", data={"confirm": "yes"}).status_code
        == 302
    )
    with app.app_context():
        me = db.session.execute(db.select(User).filter_by(email=owner)).scalar_one()
        assert accounts.is_last_active_owner(me)
    # Bringing the partner back needs no owner to step down first.
    assert client.post(f"/admin/accounts/{partner}/reactivate").status_code == 302
    assert (
        client.post(f"/admin/accounts/{partner}/role", data={"role": "reception"}).status_code
        == 302
    )


# Audit


def test_every_change_is_audited_without_any_secret(app, client, auth, make_user):
    owner = auth.login("owner")
    client.post("/admin/accounts", data=new_account(password=NEW_PASSWORD))
    robin = user_id(app, "robin@example.com")
    generated = shown_password(
        text(client.post(f"/admin/accounts/{robin}/password", data={"generate": "y"}))
    )
    client.post(f"/admin/accounts/{robin}/role", data={"role": "owner"})
    client.post(f"/admin/accounts/{robin}/deactivate", data={"confirm": "yes"})
    client.post(f"/admin/accounts/{robin}/reactivate")

    entries = audit_entries(app)
    assert [e.action for e in entries] == [
        "account.create",
        "account.password",
        "account.role",
        "account.deactivate",
        "account.reactivate",
    ]
    assert {(e.subject_type, e.subject_id) for e in entries} == {("account", robin)}
    assert {e.user_id for e in entries} == {user_id(app, owner)}
    assert entries[0].after == {
        "email": "robin@example.com",
        "name": "Robin Desk",
        "role": "reception",
        "active": True,
    }
    assert (entries[2].before["role"], entries[2].after["role"]) == ("reception", "owner")
    assert (entries[3].before["active"], entries[3].after["active"]) == (True, False)

    robin_now = user_by_email(app, "robin@example.com")
    stored = json.dumps([[e.summary, e.before, e.after] for e in entries])
    for secret in (NEW_PASSWORD, generated, robin_now.password_hash, robin_now.session_token):
        assert secret not in stored
    assert not re.search(r"scrypt|pbkdf2|hash|token", stored)
    # And the owner reads them in the audit log.
    log = text(client.get("/staff/audit"))
    assert "Password set for robin@example.com; signed out everywhere" in log
